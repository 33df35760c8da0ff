"""The detailed-review score grid: as-you-type checks per item kind, totals, sync states, keyboard entry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.models.score_grid import (
    ERROR_COLOUR,
    UNSYNCED_COLOUR,
    CellState,
    CellStateRole,
    ScoreGridModel,
)
from app.ui.score_grid import ScoreSheet
from bideval.domain.commands import (
    DeductEntry,
    Deduction,
    ObjectiveEntry,
    PassFailEntry,
    ScoreEntry,
    VoteEntry,
)
from bideval.domain.method import Criterion, ItemKind, ReviewStage
from bideval.domain.setup import Bidder
from server.packages.demo import build_demo_package
from server.packages.manifest import load_package

PASS_FAIL = Criterion("P1", "施工许可资料齐全", ReviewStage.DETAILED, ItemKind.PASS_FAIL)
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[tuple[Bidder, ...], tuple[Criterion, ...]]:
    package = load_package(build_demo_package(Path(tmp_path_factory.mktemp("package")) / "demo"))
    setup = package.setups[0]
    return setup.bidders[:3], setup.method.entered_items()


@pytest.fixture
def model(demo: tuple[tuple[Bidder, ...], tuple[Criterion, ...]]) -> ScoreGridModel:
    bidders, criteria = demo
    return ScoreGridModel(bidders, (*criteria, PASS_FAIL), expert_id="E01")


def column(model: ScoreGridModel, criterion_id: str) -> int:
    for number in range(model.total_column):
        found = model.criterion(number)
        if found is not None and found.id == criterion_id:
            return number
    raise KeyError(criterion_id)


def edit(model: ScoreGridModel, row: int, criterion_id: str, text: str) -> bool:
    return model.setData(model.index(row, column(model, criterion_id)), text)


def shown(model: ScoreGridModel, row: int, criterion_id: str) -> object:
    return model.data(model.index(row, column(model, criterion_id)), DISPLAY)


def total(model: ScoreGridModel, row: int) -> object:
    return model.data(model.index(row, model.total_column), DISPLAY)


def test_columns_are_entered_items_and_a_total(model: ScoreGridModel) -> None:
    assert model.rowCount() == 3
    assert model.columnCount() == 14  # 12 entered demo items + the pass/fail item + total
    header = model.headerData(0, Qt.Orientation.Horizontal)
    assert header == "施工方案与技术措施 (0–8, 步长 0.5)"
    assert model.headerData(model.total_column, Qt.Orientation.Horizontal) == "合计"
    assert model.headerData(0, Qt.Orientation.Vertical) == "B01 江西赣禹路桥建设有限公司"
    assert not model.flags(model.index(0, model.total_column)) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_model_passes_qt_model_tester(qtmodeltester: ModelTester, model: ScoreGridModel) -> None:
    qtmodeltester.check(model)
    assert edit(model, 0, "T1", "6.5")
    assert edit(model, 1, "C1", "1 行政处罚")
    assert edit(model, 2, "V1", "y")
    assert not edit(model, 0, "T2", "7.3")
    qtmodeltester.check(model)


def test_valid_score_is_stored_unsynced_and_announced(qtbot: QtBot, model: ScoreGridModel) -> None:
    with qtbot.waitSignal(model.sig_entry_changed) as changed:
        assert edit(model, 0, "T1", " 6.5 ")
    assert changed.args == ["B01", "T1", ScoreEntry(Decimal("6.5"))]
    index = model.index(0, column(model, "T1"))
    assert model.data(index) == "6.5"
    assert model.data(index, Qt.ItemDataRole.EditRole) == "6.5"
    assert model.data(index, CellStateRole) is CellState.UNSYNCED
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) == UNSYNCED_COLOUR
    assert model.cell_error(0, index.column()) is None


@pytest.mark.parametrize(
    ("criterion_id", "text", "fragment"),
    [
        ("T1", "7.3", "步长"),  # off the 0.5 grid
        ("T1", "9", "分值范围"),  # above max 8
        ("T1", "-1", "分值范围"),
        ("T1", "abc", "不是有效的分数"),
        ("T1", "NaN", "finite"),
        ("M1", "2.5", "步长"),  # objective items step 1
        ("C1", "1", "扣分理由"),  # deduction without a reason
        ("C1", "0.3 理由", "步长"),
        ("C1", "6 全扣", "below the minimum"),  # more than the full mark of 5
        ("C1", "扣一分", "无法识别扣分"),
        ("P1", "0", "reason"),  # a fail without a reason
        ("P1", "maybe", "无法识别"),
        ("V1", "1 因为", "不需要理由"),
    ],
)
def test_invalid_input_is_refused_with_a_message(
    qtbot: QtBot, model: ScoreGridModel, criterion_id: str, text: str, fragment: str
) -> None:
    number = column(model, criterion_id)
    with qtbot.assertNotEmitted(model.sig_entry_changed), qtbot.waitSignal(model.sig_rejected) as rejected:
        assert not edit(model, 1, criterion_id, text)
    row, col, message = rejected.args
    assert (row, col) == (1, number)
    assert fragment in message
    assert model.cell_error(1, number) == message
    index = model.index(1, number)
    assert model.data(index) == ""
    assert model.data(index, CellStateRole) is CellState.UNSUBMITTED
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) == ERROR_COLOUR
    assert model.data(index, Qt.ItemDataRole.EditRole) == text  # the refused text, to correct it
    assert message in model.data(index, Qt.ItemDataRole.ToolTipRole)


def test_refusal_keeps_the_previous_value_and_a_valid_input_clears_the_error(model: ScoreGridModel) -> None:
    assert edit(model, 0, "T1", "6")
    assert not edit(model, 0, "T1", "7.3")
    assert shown(model, 0, "T1") == "6"
    assert model.entry("B01", "T1") == ScoreEntry(Decimal("6"))
    assert edit(model, 0, "T1", "7.5")
    assert model.cell_error(0, column(model, "T1")) is None
    assert shown(model, 0, "T1") == "7.5"


def test_deductions_show_the_points_left(model: ScoreGridModel) -> None:
    assert edit(model, 0, "C1", "1 行政处罚; 0.5 通报批评")
    assert shown(model, 0, "C1") == "3.5"
    assert model.entry("B01", "C1") == DeductEntry(
        (Deduction(Decimal("1"), "行政处罚"), Deduction(Decimal("0.5"), "通报批评"))
    )
    index = model.index(0, column(model, "C1"))
    assert model.data(index, Qt.ItemDataRole.EditRole) == "1 行政处罚; 0.5 通报批评"
    assert "−0.5 通报批评" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert edit(model, 1, "C1", "无")
    assert shown(model, 1, "C1") == "5"
    assert model.entry("B02", "C1") == DeductEntry(())


@pytest.mark.parametrize(
    ("text", "entry", "display"),
    [
        ("1", PassFailEntry(True), "通过"),
        ("y", PassFailEntry(True), "通过"),
        ("通过", PassFailEntry(True), "通过"),
        ("0 资质证书过期", PassFailEntry(False, "资质证书过期"), "不通过"),
        ("n: 无安全生产许可证", PassFailEntry(False, "无安全生产许可证"), "不通过"),
        ("不通过：未提供业绩证明", PassFailEntry(False, "未提供业绩证明"), "不通过"),
        ("不通过缺少授权书", PassFailEntry(False, "缺少授权书"), "不通过"),
    ],
)
def test_pass_fail_text(model: ScoreGridModel, text: str, entry: PassFailEntry, display: str) -> None:
    assert edit(model, 0, "P1", text)
    assert model.entry("B01", "P1") == entry
    assert shown(model, 0, "P1") == display


def test_vote_and_objective(model: ScoreGridModel) -> None:
    assert edit(model, 0, "V1", "是")
    assert shown(model, 0, "V1") == "是"
    assert model.entry("B01", "V1") == VoteEntry(True)
    assert edit(model, 1, "V1", "n")
    assert shown(model, 1, "V1") == "否"
    assert edit(model, 0, "M1", "4")
    assert model.entry("B01", "M1") == ObjectiveEntry(Decimal("4"))


def test_totals_update_live(qtbot: QtBot, model: ScoreGridModel) -> None:
    assert total(model, 0) == "0"
    total_index = model.index(0, model.total_column)
    with qtbot.waitSignal(model.dataChanged, check_params_cb=lambda top, _bottom, _roles: top == total_index):
        assert edit(model, 0, "T1", "6.5")
    assert edit(model, 0, "M1", "2")
    assert edit(model, 0, "C1", "1 行政处罚")  # 5 - 1 = 4
    assert edit(model, 0, "V1", "y")  # vote yes = 2
    assert edit(model, 0, "P1", "0 缺证")  # pass/fail adds nothing
    assert total(model, 0) == "14.5"
    assert model.total("B01") == Decimal("14.5")
    assert edit(model, 0, "V1", "n")
    assert total(model, 0) == "12.5"
    assert total(model, 1) == "0"


def test_same_value_again_is_not_announced(qtbot: QtBot, model: ScoreGridModel) -> None:
    assert edit(model, 0, "T1", "6.5")
    model.mark_synced("B01", "T1")
    with qtbot.assertNotEmitted(model.sig_entry_changed):
        assert edit(model, 0, "T1", "6.50")  # Decimal equality: the same value
    assert model.cell_state("B01", "T1") is CellState.SYNCED


def test_mark_synced(model: ScoreGridModel) -> None:
    index = model.index(0, column(model, "T1"))
    model.mark_synced("B01", "T1")  # nothing entered: stays unsubmitted
    assert model.data(index, CellStateRole) is CellState.UNSUBMITTED
    assert edit(model, 0, "T1", "6")
    assert edit(model, 0, "T1", "6.5")
    model.mark_synced("B01", "T1", ScoreEntry(Decimal("6")))  # an older value acknowledged: still unsynced
    assert model.data(index, CellStateRole) is CellState.UNSYNCED
    model.mark_synced("B01", "T1", ScoreEntry(Decimal("6.5")))
    assert model.data(index, CellStateRole) is CellState.SYNCED
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is None


def test_read_only_after_submission(qtbot: QtBot, model: ScoreGridModel) -> None:
    assert edit(model, 0, "T1", "6")
    with qtbot.waitSignal(model.dataChanged):
        model.set_read_only(True)
    assert model.read_only
    assert not any(
        model.flags(model.index(row, col)) & Qt.ItemFlag.ItemIsEditable
        for row in range(model.rowCount())
        for col in range(model.columnCount())
    )
    with qtbot.assertNotEmitted(model.sig_entry_changed):
        assert not edit(model, 0, "T1", "7")
    assert shown(model, 0, "T1") == "6"


def test_load_entries_restores_a_draft(qtbot: QtBot, model: ScoreGridModel) -> None:
    draft = {
        ("B01", "T1"): ScoreEntry(Decimal("7")),
        ("B02", "C1"): DeductEntry((Deduction(Decimal("0.5"), "通报批评"),)),
        ("B99", "T1"): ScoreEntry(Decimal("1")),  # a bidder no longer in the grid
    }
    with qtbot.assertNotEmitted(model.sig_entry_changed):
        model.load_entries(draft)
    assert shown(model, 0, "T1") == "7"
    assert shown(model, 1, "C1") == "4.5"
    assert total(model, 1) == "4.5"
    assert model.cell_state("B01", "T1") is CellState.SYNCED
    assert model.entries() == {k: v for k, v in draft.items() if k[0] != "B99"}
    model.load_entries({("B03", "T2"): ScoreEntry(Decimal("2"))}, synced=False)
    assert model.cell_state("B03", "T2") is CellState.UNSYNCED


def test_a_refused_cell_is_red_with_the_reason_and_entering_it_again_records_it(
    qtbot: QtBot, model: ScoreGridModel
) -> None:
    index = model.index(0, column(model, "T1"))
    model.mark_refused("B01", "T1", None, "paused")  # nothing entered: nothing to refuse
    assert model.data(index, CellStateRole) is CellState.UNSUBMITTED
    assert edit(model, 0, "T1", "6")
    assert edit(model, 0, "T1", "6.5")
    model.mark_refused(
        "B01", "T1", ScoreEntry(Decimal("6")), "paused"
    )  # an older value: the newer is on its way
    assert model.data(index, CellStateRole) is CellState.UNSYNCED
    model.mark_refused("B01", "T1", ScoreEntry(Decimal("6.5")), "the session is paused")
    assert model.data(index, CellStateRole) is CellState.REFUSED
    assert model.cell_state("B01", "T1") is CellState.REFUSED
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) == ERROR_COLOUR
    assert "服务器未接受：the session is paused" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert model.refused_count() == 1
    assert model.refused_cells() == [("B01", "T1", ScoreEntry(Decimal("6.5")))]
    assert model.cell_error(0, index.column()) is None  # the value itself was valid: it stays shown
    assert model.cell_refusal(0, index.column()) == "the session is paused"
    assert shown(model, 0, "T1") == "6.5"

    # The same value entered again is recorded again (an unchanged synced value would not be).
    with qtbot.waitSignal(model.sig_entry_changed) as changed:
        assert edit(model, 0, "T1", "6.5")
    assert changed.args == ["B01", "T1", ScoreEntry(Decimal("6.5"))]
    assert model.data(index, CellStateRole) is CellState.UNSYNCED
    assert model.refused_count() == 0
    assert model.cell_refusal(0, index.column()) is None
    assert "服务器未接受" not in model.data(index, Qt.ItemDataRole.ToolTipRole)
    model.mark_synced("B01", "T1", ScoreEntry(Decimal("6.5")))
    assert model.data(index, CellStateRole) is CellState.SYNCED


def test_resend_refused_announces_each_refused_cell_once(qtbot: QtBot, model: ScoreGridModel) -> None:
    assert edit(model, 0, "T1", "6")
    assert edit(model, 1, "V1", "y")
    assert edit(model, 2, "T1", "3")
    model.mark_refused("B01", "T1", None, "paused")
    model.mark_refused("B02", "V1", VoteEntry(True), "paused")
    model.mark_synced("B03", "T1")
    announced: list[tuple[str, str, object]] = []
    model.sig_entry_changed.connect(lambda *args: announced.append(tuple(args)))
    assert model.resend_refused() == 2
    assert announced == [("B01", "T1", ScoreEntry(Decimal("6"))), ("B02", "V1", VoteEntry(True))]
    assert model.cell_state("B01", "T1") is CellState.UNSYNCED
    assert model.cell_state("B02", "V1") is CellState.UNSYNCED
    assert model.cell_state("B03", "T1") is CellState.SYNCED
    assert model.resend_refused() == 0  # once: nothing refused any more
    assert len(announced) == 2


def test_counts_for_the_submit_button(model: ScoreGridModel) -> None:
    cells = model.rowCount() * model.total_column
    assert model.missing_count() == cells
    assert edit(model, 0, "T1", "6")
    assert not edit(model, 0, "T2", "7.3")  # refused as typed: an error, no value
    assert (model.missing_count(), model.error_count(), model.unsynced_count()) == (cells - 1, 1, 1)
    model.mark_refused("B01", "T1", None, "paused")
    assert (model.refused_count(), model.unsynced_count()) == (1, 0)
    model.load_entries({("B02", "T1"): ScoreEntry(Decimal("1"))})
    assert model.missing_count() == cells - 2


def test_load_entries_clears_a_refusal(model: ScoreGridModel) -> None:
    assert edit(model, 0, "T1", "6")
    model.mark_refused("B01", "T1", None, "paused")
    model.load_entries({("B01", "T1"): ScoreEntry(Decimal("6"))})
    assert model.cell_state("B01", "T1") is CellState.SYNCED
    assert model.refused_count() == 0
    tip = model.data(model.index(0, column(model, "T1")), Qt.ItemDataRole.ToolTipRole)
    assert "服务器未接受" not in tip


def test_tooltip_shows_range_step_and_guidance(model: ScoreGridModel) -> None:
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "分值范围 0–8，步长 0.5" in tip
    assert "方案科学合理" in tip


def editor_of(sheet: ScoreSheet, row: int, col: int) -> QWidget:
    editor = sheet.view.indexWidget(sheet.view.model().index(row, col))
    assert editor is not None
    return editor


def test_keyboard_entry_moves_down_and_shows_refusals(qtbot: QtBot, model: ScoreGridModel) -> None:
    sheet = ScoreSheet(model)
    qtbot.addWidget(sheet)
    sheet.show()
    qtbot.waitExposed(sheet)
    view = sheet.view
    view.setCurrentIndex(model.index(0, 0))
    view.setFocus()

    qtbot.keyClick(view, "6")  # typing starts editing
    qtbot.keyClicks(editor_of(sheet, 0, 0), ".5")
    with qtbot.waitSignal(model.sig_entry_changed):
        qtbot.keyClick(editor_of(sheet, 0, 0), Qt.Key.Key_Return)
    assert shown(model, 0, "T1") == "6.5"
    assert view.currentIndex().row() == 1  # Enter moved down
    assert view.currentIndex().column() == 0

    qtbot.keyClick(view, "7")
    qtbot.keyClicks(editor_of(sheet, 1, 0), ".3")
    with qtbot.waitSignal(model.sig_rejected):
        qtbot.keyClick(editor_of(sheet, 1, 0), Qt.Key.Key_Return)
    assert shown(model, 1, "T1") == ""
    assert view.currentIndex().row() == 1  # refused: stays on the cell
    assert "步长" in sheet.status_label.text()

    qtbot.keyClick(view, "5")
    with qtbot.assertNotEmitted(model.sig_entry_changed):
        qtbot.keyClick(editor_of(sheet, 1, 0), Qt.Key.Key_Escape)  # Esc cancels
    assert shown(model, 1, "T1") == ""
    assert view.indexWidget(model.index(1, 0)) is None

    qtbot.keyClick(view, "3")
    with qtbot.waitSignal(model.sig_entry_changed):
        qtbot.keyClick(editor_of(sheet, 1, 0), Qt.Key.Key_Enter)
    assert shown(model, 1, "T1") == "3"
    assert sheet.status_label.text() == ""
    assert view.currentIndex().row() == 2


def test_selecting_a_refused_cell_shows_the_servers_reason(qtbot: QtBot, model: ScoreGridModel) -> None:
    sheet = ScoreSheet(model)
    qtbot.addWidget(sheet)
    assert edit(model, 0, "T1", "6")
    model.mark_refused("B01", "T1", None, "the session is paused")
    sheet.view.setCurrentIndex(model.index(1, 0))
    assert sheet.status_label.text() == ""
    sheet.view.setCurrentIndex(model.index(0, 0))
    assert sheet.status_label.text() == "服务器未接受：the session is paused"


def test_read_only_view_does_not_start_editing(qtbot: QtBot, model: ScoreGridModel) -> None:
    sheet = ScoreSheet(model)
    qtbot.addWidget(sheet)
    sheet.show()
    qtbot.waitExposed(sheet)
    model.set_read_only(True)
    sheet.view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(sheet.view, "6")
    assert sheet.view.indexWidget(model.index(0, 0)) is None
