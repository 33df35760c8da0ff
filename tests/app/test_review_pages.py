"""The preliminary review page and the clarification panel against a real server.

E01 uses a real SessionWindow; E02-E05 and the supervisor S01 are simulated through the public API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.models.preliminary import PreliminaryModel
from app.models.score_grid import ERROR_COLOUR, CellState
from app.services.cache import SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Sequencer, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.review_pages import ClarificationPanel, PreliminaryPage
from app.ui.session_window import SessionWindow
from bideval.domain.commands import PassFailEntry
from bideval.domain.method import Criterion, ItemKind, PreliminaryCategory, ReviewStage
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from tests.support import RunningServer

PIN = "246810"
EXPERT = "E01"
DEVICE = "E01-desktop"
OTHERS = ("E02", "E03", "E04", "E05")
WAIT = 20_000  # ms: the machine is shared, be patient


@dataclass
class Setup:
    engine: SyncEngine
    own: ApiClient
    driver: CommitteeDriver
    others: dict[str, ApiClient]
    session_id: str
    server: RunningServer
    make_window: Callable[[], SessionWindow]
    windows: list[SessionWindow] = field(default_factory=list)

    @property
    def window(self) -> SessionWindow:
        return self.windows[-1]

    def view(self) -> session_pb2.SessionView:
        view = self.window.view
        assert view is not None
        return view

    def phase(self) -> int:
        view = self.window.view
        return common_pb2.PHASE_UNSPECIFIED if view is None else view.phase

    def me(self) -> session_pb2.Member:
        return next(m for m in self.view().members if m.person_id == EXPERT)

    def queued(self) -> int:
        """The sequence number of E01's newest queued change."""
        return self.engine.cache.device_state().last_sequence


@pytest.fixture
def setup(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> Iterator[Setup]:
    cache = SessionCache.create(tmp_path / "cache", server.session_id, EXPERT, DEVICE, PIN)
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    own = server.client(EXPERT, device="desktop")
    own.sequencer = Sequencer(DEVICE, signer_from_pem(cert_pem, key_pem), *cache.device_state())
    engine = SyncEngine(cache, own, server.session_id, idle_poll=0.5)
    engine.start()
    others = {person: server.client(person) for person in OTHERS}
    driver = CommitteeDriver(server.session_id, others, server.client("S01", Role.SUPERVISOR))

    def make_window() -> SessionWindow:
        window = SessionWindow(own, engine, server.session_id, refresh_interval_ms=200)
        qtbot.addWidget(window)
        state.windows.append(window)
        return window

    state = Setup(engine, own, driver, others, server.session_id, server, make_window)
    make_window()
    try:
        yield state
    finally:
        for window in state.windows:
            window.close()
            qtbot.waitUntil(lambda w=window: not w.busy, timeout=WAIT)  # type: ignore[misc]
        engine.stop(timeout=10)
        cache.close()


def reach_preliminary(qtbot: QtBot, setup: Setup, leader: str) -> None:
    """E01's earlier steps through its own engine (test_session_window covers those pages)."""
    engine = setup.engine
    qtbot.waitUntil(lambda: setup.window.view is not None, timeout=WAIT)
    engine.record("CheckIn", venue_id=setup.me().venue_id)
    setup.driver.check_in()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PLEDGE, timeout=WAIT)
    engine.record("AcceptPledge")
    setup.driver.accept_pledge()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_RECUSAL, timeout=WAIT)
    engine.record("DeclareRecusal")
    setup.driver.declare_no_conflict()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_LEADER_ELECTION, timeout=WAIT)
    engine.record("CastLeaderVote", candidate_id=leader)
    for client in setup.others.values():
        client.command("CastLeaderVote", setup.session_id, candidate_id=leader)
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_AWAITING_START, timeout=WAIT)
    if leader == EXPERT:
        engine.record("RequestStart")
        qtbot.waitUntil(lambda: setup.view().start_requested, timeout=WAIT)
        setup.driver.supervisor.command("ApproveStart", setup.session_id, approved=True, note="同意开始评标")
    else:
        setup.driver.start()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PRELIMINARY_REVIEW, timeout=WAIT)


def ready_page(qtbot: QtBot, setup: Setup) -> PreliminaryPage:
    """The page once it is shown and the saved verdicts were read (the grid is editable then)."""
    window = setup.window
    page = window.preliminary_page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page, timeout=WAIT)
    qtbot.waitUntil(lambda: page.model is not None and not page.model.read_only, timeout=WAIT)
    return page


def others_submit(setup: Setup, fails: dict[tuple[str, str], str]) -> None:
    """E02-E05 each record every verdict, failing ``fails`` ((bidder, item) -> reason), and submit."""
    view = setup.driver.view("E02")
    items = [c.id for c in view.method.criteria if c.stage == "preliminary"]
    for client in setup.others.values():
        for bidder in view.bidders:
            for item in items:
                reason = fails.get((bidder.id, item))
                client.command(
                    "RecordPreliminaryVerdict",
                    setup.session_id,
                    bidder_id=bidder.id,
                    criterion_id=item,
                    passed=reason is None,
                    reason=reason or "",
                )
        client.command("SubmitPreliminary", setup.session_id)


def own_sheet(setup: Setup) -> session_pb2.Sheet:
    reader = setup.server.client(EXPERT, device="reader")
    response: evaluation_service_pb2.GetSheetsResponse = reader.evaluation.GetSheets(
        evaluation_service_pb2.GetSheetsRequest(session_id=setup.session_id), timeout=10
    )
    return next(s for s in response.sheets if s.expert_id == EXPERT)


def editor_of(page: PreliminaryPage, row: int, column: int) -> QWidget:
    assert page.grid is not None
    assert page.model is not None
    editor = page.grid.indexWidget(page.model.index(row, column))
    assert editor is not None, "the reason editor is open in the cell"
    return editor


def test_the_expert_reviews_by_keyboard_submits_and_sees_the_outcome(qtbot: QtBot, setup: Setup) -> None:
    reach_preliminary(qtbot, setup, leader="E02")
    page = ready_page(qtbot, setup)
    model, grid = page.model, page.grid
    assert model is not None
    assert grid is not None
    assert not page.submit_button.isEnabled()
    assert "尚未评审" in page.submit_button.toolTip()
    assert "[红名单]" in str(model.headerData(1, Qt.Orientation.Vertical))  # B02's credit status is shown
    first, second = model.bidder_id(0), model.criterion(1).id

    # Space on the first cell: 合格, recorded, then acknowledged.
    grid.setCurrentIndex(model.index(0, 0))
    QTest.keyClick(grid, Qt.Key.Key_Space)
    assert model.verdict(first, model.criterion(0).id) == PassFailEntry(True)
    qtbot.waitUntil(lambda: model.cell_state(first, model.criterion(0).id) is CellState.SYNCED, timeout=WAIT)

    # Right, then Space twice: 合格, then 不合格 — which opens the reason editor in the cell.
    QTest.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex() == model.index(0, 1)
    QTest.keyClick(grid, Qt.Key.Key_Space)
    queued = setup.queued()
    QTest.keyClick(grid, Qt.Key.Key_Space)
    QTest.keyClick(editor_of(page, 0, 1), Qt.Key.Key_Escape)  # no reason given
    assert model.needs_reason(0, 1)
    assert model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) == ERROR_COLOUR
    assert setup.queued() == queued, "a fail without a reason is not sent"
    assert model.verdict(first, second) == PassFailEntry(True)  # the server still has 合格

    # Enter on the red cell asks for the reason again; with it, the fail is sent and acknowledged.
    QTest.keyClick(grid, Qt.Key.Key_Return)
    editor = editor_of(page, 0, 1)
    assert isinstance(editor, QLineEdit)
    editor.insert("投标文件格式不符合要求")  # what an input method commits (QTest types ASCII only)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not model.needs_reason(0, 1), timeout=WAIT)  # the delegate commits queued
    assert model.verdict(first, second) == PassFailEntry(False, "投标文件格式不符合要求")
    assert setup.queued() == queued + 1
    qtbot.waitUntil(lambda: model.cell_state(first, second) is CellState.SYNCED, timeout=WAIT)

    # The rest 合格 in one go; the submit button explains itself until everything is there.
    assert not page.submit_button.isEnabled()
    page.all_pass_button.click()
    assert model.complete()
    assert page.submit_button.isEnabled()
    asked: list[int] = []

    def cancel(fails: int) -> bool:
        asked.append(fails)
        return False

    page.set_confirmation(cancel)
    page.submit_button.click()
    assert asked == [1]
    assert not setup.me().preliminary_submitted
    page.set_confirmation(lambda fails: True)
    page.submit_button.click()
    assert not page.submit_button.isEnabled()  # at once, before the server answers
    qtbot.waitUntil(lambda: setup.me().preliminary_submitted, timeout=WAIT)
    qtbot.waitUntil(lambda: "E02、E03、E04、E05" in page.status_label.text(), timeout=WAIT)
    assert page.status_label.text().startswith("已提交。")
    assert model.read_only
    QTest.keyClick(grid, Qt.Key.Key_Space)  # a sealed sheet does not change
    assert model.verdict(first, second) == PassFailEntry(False, "投标文件格式不符合要求")
    sheet = own_sheet(setup)
    assert sheet.preliminary_submitted
    assert len(sheet.verdicts) == model.rowCount() * model.columnCount()

    # The others fail B03 on F1 (majority); E01's lone fail of the first bidder is outvoted.
    others_submit(setup, {("B03", "F1"): "投标函未加盖单位公章"})
    qtbot.waitUntil(lambda: setup.view().preliminary.concluded, timeout=WAIT)
    qtbot.waitUntil(lambda: page.outcome.isVisibleTo(page), timeout=WAIT)
    text = page.outcome.label.text()
    assert "否决投标" in text
    rejected = next(line for line in text.splitlines() if "✗" in line)
    assert "B03" in rejected
    assert "投标函签字盖章" in rejected
    assert "投标函未加盖单位公章" in text
    assert f"✓ {first}" in text
    qtbot.waitUntil(lambda: setup.window.pages.currentWidget() is setup.window.detailed_page, timeout=WAIT)
    dock = setup.window.review_dock_content
    assert dock.outcome.label.text() == text  # the outcome stays in sight during the detailed review
    assert not setup.window.review_dock.isHidden()


def test_the_leader_asks_a_clarification_and_everyone_sees_it(qtbot: QtBot, setup: Setup) -> None:
    reach_preliminary(qtbot, setup, leader=EXPERT)
    page = ready_page(qtbot, setup)
    panel = setup.window.clarification_panel
    qtbot.waitUntil(lambda: not panel.ask_box.isHidden(), timeout=WAIT)
    assert panel.rows() == []
    assert not panel.ask_button.isEnabled()  # no question yet
    assert "书面澄清问题" in panel.ask_button.toolTip()

    panel.bidder_combo.setCurrentIndex(panel.bidder_combo.findData("B02"))
    panel.question_edit.insertPlainText("请说明项目经理的在建工程情况。")  # as an input method commits it
    assert panel.ask_button.isEnabled()
    panel.ask_button.click()
    assert panel.question_edit.toPlainText() == ""
    qtbot.waitUntil(lambda: len(panel.rows()) == 1, timeout=WAIT)
    assert panel.rows()[0] == ("C1", "B02", "请说明项目经理的在建工程情况。", "待监督人员批准", "")
    assert page.model is not None
    assert not page.model.read_only  # asking does not lock the grid

    # The supervisor approves, the operator records the bidder's answer: everyone sees both.
    setup.driver.supervisor.command(
        "ApproveClarification", setup.session_id, clarification_id="C1", approved=True, note="同意"
    )
    qtbot.waitUntil(lambda: panel.rows()[0][3].startswith("已批准"), timeout=WAIT)
    operator = setup.server.client("OP01", Role.OPERATOR)
    operator.command(
        "RecordClarificationAnswer",
        setup.session_id,
        clarification_id="C1",
        answer="项目经理目前无在建工程。",
    )
    qtbot.waitUntil(lambda: panel.rows()[0][4] == "项目经理目前无在建工程。", timeout=WAIT)
    assert panel.rows()[0][3].startswith("投标人已答复")

    # A non-leader (E02's own view) sees the same list and no question box.
    other = ClarificationPanel(lambda *_args, **_fields: None)
    qtbot.addWidget(other)
    other.show_view(setup.driver.view("E02"), busy=False)
    assert other.ask_box.isHidden()
    assert not other.ask_button.isEnabled()
    assert other.rows() == panel.rows()

    # The leader still submits the preliminary review after asking.
    page.all_pass_button.click()
    page.set_confirmation(lambda fails: True)
    qtbot.waitUntil(page.submit_button.isEnabled, timeout=WAIT)
    page.submit_button.click()
    qtbot.waitUntil(lambda: setup.me().preliminary_submitted, timeout=WAIT)


def test_a_verdict_the_server_refuses_turns_red_with_its_reason(qtbot: QtBot, setup: Setup) -> None:
    reach_preliminary(qtbot, setup, leader="E02")
    page = ready_page(qtbot, setup)
    model = page.model
    assert model is not None
    bidder, item = model.bidder_id(0), model.criterion(0).id
    model.set_passed(0, 0)
    qtbot.waitUntil(lambda: model.cell_state(bidder, item) is CellState.SYNCED, timeout=WAIT)

    # Paused on the server before this window heard of it: the same verdict sent again is refused, and the
    # page (through the recorder's answer callback) marks its cell, the window says why.
    setup.driver.supervisor.command("PauseSession", setup.session_id, reason="核对投标文件")
    page._verdict_changed(bidder, item, PassFailEntry(True))
    qtbot.waitUntil(lambda: model.refused_count() == 1, timeout=WAIT)
    assert f"服务器未接受 {bidder}/{item}" in setup.window.message_label.text()
    assert not page.submit_check()[0]
    setup.driver.supervisor.command("ResumeSession", setup.session_id, reason="核对完毕")


def test_verdicts_are_restored_when_the_window_is_recreated(qtbot: QtBot, setup: Setup) -> None:
    reach_preliminary(qtbot, setup, leader="E02")
    page = ready_page(qtbot, setup)
    model = page.model
    assert model is not None
    b1, b2 = model.bidder_id(0), model.bidder_id(1)
    c1, c2 = model.criterion(0).id, model.criterion(1).id
    model.set_passed(0, 0)
    model.set_failed(0, 1, "营业执照已过期")
    qtbot.waitUntil(lambda: model.cell_state(b1, c2) is CellState.SYNCED, timeout=WAIT)
    qtbot.waitUntil(lambda: model.cell_state(b1, c1) is CellState.SYNCED, timeout=WAIT)

    # Offline: the next verdict stays in the encrypted outbox.
    setup.engine.stop(timeout=10)
    model.set_failed(1, 0, "未提交投标保证金")
    assert model.cell_state(b2, c1) is CellState.UNSYNCED

    setup.window.close()
    qtbot.waitUntil(lambda: not setup.window.busy, timeout=WAIT)
    window = setup.make_window()
    restored = ready_page(qtbot, setup)
    assert restored is window.preliminary_page
    again = restored.model
    assert again is not None
    assert again is not model
    assert again.verdict(b1, c1) == PassFailEntry(True)
    assert again.verdict(b1, c2) == PassFailEntry(False, "营业执照已过期")
    assert again.cell_state(b1, c2) is CellState.SYNCED
    assert again.verdict(b2, c1) == PassFailEntry(False, "未提交投标保证金")
    assert again.cell_state(b2, c1) is CellState.UNSYNCED  # from the outbox, not yet on the server
    assert again.verdict(b2, c2) is None

    # Back online: the queued verdict reaches the server and the restored cell turns synced.
    setup.engine.start()
    qtbot.waitUntil(lambda: again.cell_state(b2, c1) is CellState.SYNCED, timeout=WAIT)
    verdicts = {(v.bidder_id, v.criterion_id): (v.passed, v.reason) for v in own_sheet(setup).verdicts}
    assert verdicts[(b2, c1)] == (False, "未提交投标保证金")


@dataclass(frozen=True)
class _Bidder:
    id: str
    name: str


def test_the_model_never_announces_a_fail_without_a_reason_and_resends_a_refused_verdict(
    qtbot: QtBot,
) -> None:
    criteria = [
        Criterion(
            id=f"F{number}",
            title=f"形式项 {number}",
            stage=ReviewStage.PRELIMINARY,
            kind=ItemKind.PASS_FAIL,
            category=PreliminaryCategory.FORM,
        )
        for number in (1, 2)
    ]
    model = PreliminaryModel([_Bidder("B01", "甲公司"), _Bidder("B02", "乙公司")], criteria, {"B02": "black"})
    announced: list[tuple[str, str, PassFailEntry]] = []
    model.sig_verdict_changed.connect(lambda *args: announced.append(args))
    assert "[黑名单]" in str(model.headerData(1, Qt.Orientation.Vertical))

    assert not model.toggle(0, 0)  # empty → 合格
    assert model.toggle(0, 0)  # 合格 → 不合格, waiting for its reason
    assert announced == [("B01", "F1", PassFailEntry(True))]
    assert model.missing_count() == 4
    assert not model.setData(model.index(0, 0), "   ")  # an empty reason is no reason
    assert model.setData(model.index(0, 0), "未签字")
    assert announced[-1] == ("B01", "F1", PassFailEntry(False, "未签字"))
    assert not model.toggle(0, 0)  # 不合格 → 合格
    assert announced[-1] == ("B01", "F1", PassFailEntry(True))
    assert not model.setData(model.index(0, 0), "理由")  # a pass has no reason to edit
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable

    for row in range(2):
        for column in range(2):
            if model.is_empty(row, column):
                model.set_passed(row, column)
    assert model.complete()
    count = len(announced)
    model.mark_refused("B02", "F2", PassFailEntry(True), "当前步骤不允许此操作")
    assert not model.complete()
    assert model.index(1, 1).data(Qt.ItemDataRole.BackgroundRole) == ERROR_COLOUR
    model.set_passed(1, 1)  # entering the same verdict again sends it again
    assert len(announced) == count + 1
    assert model.complete()
    model.mark_synced("B02", "F2", PassFailEntry(True))
    assert model.cell_state("B02", "F2") is CellState.SYNCED

    # Refused while paused: after the resume the page has the model send every refused verdict again, once.
    model.mark_refused("B01", "F2", PassFailEntry(True), "评标已暂停")
    model.mark_refused("B02", "F1", PassFailEntry(True), "评标已暂停")
    count = len(announced)
    assert model.resend_refused() == 2
    assert sorted(announced[count:]) == [
        ("B01", "F2", PassFailEntry(True)),
        ("B02", "F1", PassFailEntry(True)),
    ]
    assert model.refused_count() == 0
    assert model.cell_state("B01", "F2") is CellState.UNSYNCED
    assert model.resend_refused() == 0
