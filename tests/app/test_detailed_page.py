"""The detailed review page (详细评审) against a real server: submission, restore after a restart, refusals.

E01 uses a real SessionWindow with its own encrypted cache and sync engine; E02-E05 and the supervisor S01
are simulated through the public API. Nothing of the server is mocked.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.models.score_grid import CellState, ScoreGridModel
from app.services.cache import SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.session_window import DetailedPage, SessionWindow, score_loader
from bideval.domain.method import Criterion, ItemKind
from bideval.domain.summary import fmt
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from tests.app.gui_session import grid_values, server_values, stored_score_changes
from tests.support import RunningServer

PIN = "246810"
EXPERT = "E01"
DEVICE = "E01-desktop"
OTHERS = ("E02", "E03", "E04", "E05")
WAIT = 20_000  # ms: the machine is shared, be patient


@dataclass
class Setup:
    cache: SessionCache
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

    def own_sheet(self) -> session_pb2.Sheet:
        reader = self.server.client(EXPERT, device="reader")
        response: evaluation_service_pb2.GetSheetsResponse = reader.evaluation.GetSheets(
            evaluation_service_pb2.GetSheetsRequest(session_id=self.session_id), timeout=10
        )
        return next(s for s in response.sheets if s.expert_id == EXPERT)

    def pause(self) -> None:
        self.driver.supervisor.command("PauseSession", self.session_id, reason="副场网络中断，暂停评标")

    def resume(self) -> None:
        self.driver.supervisor.command("ResumeSession", self.session_id, reason="网络已恢复")

    def recorded_scores(self) -> int:
        return len(self.cache.outbox_items("RecordScore"))


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

    state = Setup(cache, engine, own, driver, others, server.session_id, server, make_window)
    make_window()
    try:
        yield state
    finally:
        for window in state.windows:
            window.close()
            qtbot.waitUntil(lambda w=window: not w.busy, timeout=WAIT)  # type: ignore[misc]
        engine.stop(timeout=10)
        cache.close()


def reach_detailed(qtbot: QtBot, setup: Setup) -> None:
    """E01's earlier steps through its own engine (their pages are tested elsewhere), E02 leads."""
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
    engine.record("CastLeaderVote", candidate_id="E02")
    for client in setup.others.values():
        client.command("CastLeaderVote", setup.session_id, candidate_id="E02")
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_AWAITING_START, timeout=WAIT)
    setup.driver.start()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PRELIMINARY_REVIEW, timeout=WAIT)
    view = setup.view()
    items = [c.id for c in view.method.criteria if c.stage == "preliminary"]
    for bidder in view.bidders:
        for item in items:
            engine.record("RecordPreliminaryVerdict", bidder_id=bidder.id, criterion_id=item, passed=True)
    engine.record("SubmitPreliminary")
    for person in OTHERS:
        setup.driver.preliminary_sheet(person, view=view)
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_DETAILED_REVIEW, timeout=WAIT)


def ready_page(qtbot: QtBot, setup: Setup) -> tuple[DetailedPage, ScoreGridModel]:
    """The page once shown and restored (its grid is editable then)."""
    window = setup.window
    page = window.detailed_page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is page, timeout=WAIT)
    qtbot.waitUntil(lambda: page.model is not None and not page.model.read_only, timeout=WAIT)
    assert page.model is not None
    return page, page.model


def text_for(criterion: Criterion, high: bool = False) -> str:
    """A valid input for a cell of ``criterion`` (its lowest value, or its highest)."""
    match criterion.kind:
        case ItemKind.SCORE | ItemKind.OBJECTIVE:
            return fmt(criterion.max_points if high else criterion.min_points)
        case ItemKind.DEDUCT:
            return "无" if high else f"{fmt(criterion.step)} 通报批评"
        case ItemKind.PASS_FAIL:
            return "通过"
        case ItemKind.VOTE:
            return "是" if high else "否"
    raise AssertionError(f"no input for {criterion.kind}")


def fill(model: ScoreGridModel, cells: list[tuple[int, int]], high: bool = False) -> None:
    for row, column in cells:
        criterion = model.criterion(column)
        assert criterion is not None
        assert model.setData(model.index(row, column), text_for(criterion, high)), (row, column)


def every_cell(model: ScoreGridModel) -> list[tuple[int, int]]:
    return [(row, column) for row in range(model.rowCount()) for column in range(model.total_column)]


def key_of(model: ScoreGridModel, row: int, column: int) -> tuple[str, str]:
    criterion = model.criterion(column)
    assert criterion is not None
    return model.bidder_id(row), criterion.id


def wait_state(qtbot: QtBot, model: ScoreGridModel, cell: tuple[int, int], state: CellState) -> None:
    key = key_of(model, *cell)
    qtbot.waitUntil(lambda: model.cell_state(*key) is state, timeout=WAIT)


def closed_port_client(server: RunningServer) -> ApiClient:
    """An ApiClient whose server cannot be reached: nothing listens on its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cert_pem, key_pem = server.pki.person(EXPERT, Role.EXPERT)
    endpoint = Endpoint(f"127.0.0.1:{port}", server.pki.directory.ca_path.read_bytes(), cert_pem, key_pem)
    sequencer = Sequencer("E01-unreachable", signer_from_pem(cert_pem, key_pem))
    return ApiClient(open_channel(endpoint), sequencer, timeout=5)


# -- submission ---------------------------------------------------------------------------------------


def test_submit_is_enabled_only_for_a_complete_sheet_and_seals_it(qtbot: QtBot, setup: Setup) -> None:
    reach_detailed(qtbot, setup)
    page, model = ready_page(qtbot, setup)
    button = page.submit_button
    assert button.text() == "提交详细评审"
    cells = every_cell(model)
    assert not button.isEnabled()
    assert button.toolTip() == f"还有 {len(cells)} 项尚未评分"

    fill(model, cells[:-1])
    assert not button.isEnabled()
    assert button.toolTip() == "还有 1 项尚未评分"
    last = cells[-1]
    fill(model, [last])
    qtbot.waitUntil(button.isEnabled, timeout=WAIT)
    assert button.toolTip() == "提交后不能再修改"

    # A mistyped cell blocks the submission until corrected.
    score_column = next(
        c for c in range(model.total_column) if (k := model.criterion(c)) and k.kind is ItemKind.SCORE
    )
    assert not model.setData(model.index(0, score_column), "abc")
    assert not button.isEnabled()
    assert button.toolTip() == "有 1 项输入有误，请更正"
    fill(model, [(0, score_column)], high=True)
    assert button.isEnabled()

    # A refused cell blocks it too, until entered again.
    for cell in cells:
        wait_state(qtbot, model, cell, CellState.SYNCED)
    model.mark_refused(*key_of(model, *last), None, "the session is paused")
    assert not button.isEnabled()
    assert button.toolTip() == "有 1 项评分未被服务器接受，请重新输入"
    fill(model, [last])
    assert model.cell_state(*key_of(model, *last)) is CellState.UNSYNCED
    assert button.isEnabled()

    # Cancelled: nothing is recorded.
    asked: list[int] = []
    answer = False

    def confirm(unsynced: int) -> bool:
        asked.append(unsynced)
        return answer

    page.set_confirmation(confirm)  # instead of the modal QMessageBox
    sent = setup.engine.cache.device_state().last_sequence
    button.click()
    assert len(asked) == 1
    assert setup.engine.cache.device_state().last_sequence == sent
    assert not model.read_only

    # Confirmed: SubmitDetailed recorded through the window, the sheet read-only at once.
    answer = True
    button.click()
    assert len(asked) == 2
    assert setup.engine.cache.device_state().last_sequence == sent + 1
    assert model.read_only
    assert not button.isEnabled()
    qtbot.waitUntil(lambda: setup.me().detailed_submitted, timeout=WAIT)
    qtbot.waitUntil(lambda: page.status_label.text().startswith("已提交。"), timeout=WAIT)
    assert "E02" in page.status_label.text()  # who the page waits for
    assert button.toolTip() == "已提交，不能再修改"
    assert model.read_only
    sheet = setup.own_sheet()
    assert sheet.detailed_submitted
    assert server_values(sheet) == grid_values(model)


# -- restore after a restart -------------------------------------------------------------------------


def test_the_sheet_is_restored_after_a_restart_and_the_unsynced_change_syncs_once(
    qtbot: QtBot, setup: Setup
) -> None:
    reach_detailed(qtbot, setup)
    _page, model = ready_page(qtbot, setup)
    synced_cells = [(0, 0), (1, 0), (0, 1)]
    fill(model, synced_cells)
    fill(model, [(0, 0)], high=True)  # changed once: the newest value is the one restored
    for cell in synced_cells:
        wait_state(qtbot, model, cell, CellState.SYNCED)
    qtbot.waitUntil(lambda: setup.engine.status().unsynced == 0, timeout=WAIT)

    # Offline (the engine stopped): one more change stays in the encrypted outbox.
    setup.engine.stop(timeout=10)
    unsynced_cell = (1, 1)
    fill(model, [unsynced_cell])
    assert model.cell_state(*key_of(model, *unsynced_cell)) is CellState.UNSYNCED
    expected = model.entries()
    recorded = setup.recorded_scores()
    assert recorded == 5

    # The window is gone (a crash, a new login); a new one on the same cache restores the sheet.
    setup.window.close()
    qtbot.waitUntil(lambda: not setup.window.busy, timeout=WAIT)
    window = setup.make_window()
    page = window.detailed_page
    qtbot.waitUntil(lambda: page.model is not None, timeout=WAIT)
    again = page.model
    assert again is not None
    assert again is not model
    qtbot.waitUntil(lambda: not again.read_only, timeout=WAIT)  # read-only until restored
    assert again.entries() == expected
    for cell in synced_cells:
        assert again.cell_state(*key_of(again, *cell)) is CellState.SYNCED
    assert again.cell_state(*key_of(again, *unsynced_cell)) is CellState.UNSYNCED
    assert page.status_label.text() == "未同步的评分: 1 项"
    assert setup.recorded_scores() == recorded  # restoring records nothing

    # Back online: the queued change reaches the server once and the restored cell turns synced.
    setup.engine.start()
    wait_state(qtbot, again, unsynced_cell, CellState.SYNCED)
    assert setup.recorded_scores() == recorded
    assert server_values(setup.own_sheet()) == grid_values(again)
    changes = stored_score_changes(setup.server, EXPERT)
    assert changes[key_of(again, *unsynced_cell)] == 1
    assert changes[key_of(again, 0, 0)] == 2  # its two values, each once
    assert sum(changes.values()) == recorded
    qtbot.waitUntil(lambda: page.status_label.text() == "", timeout=WAIT)


def test_without_the_server_the_restored_sheet_comes_from_the_outbox(qtbot: QtBot, setup: Setup) -> None:
    reach_detailed(qtbot, setup)
    _page, model = ready_page(qtbot, setup)
    fill(model, [(0, 0), (0, 1)])
    for cell in ((0, 0), (0, 1)):
        wait_state(qtbot, model, cell, CellState.SYNCED)
    setup.engine.stop(timeout=10)
    fill(model, [(1, 0)])
    expected = model.entries()
    view = setup.view()
    setup.window.close()
    qtbot.waitUntil(lambda: not setup.window.busy, timeout=WAIT)

    # GetSheets cannot reach the server: the acknowledged changes stand in for the server's copy.
    dead = closed_port_client(setup.server)
    try:
        loader = score_loader(dead, setup.cache, setup.session_id)
        saved = loader(EXPERT)
        assert saved.server_error
        assert {key: cell.state for key, cell in saved.cells.items()} == {
            key_of(model, 0, 0): CellState.SYNCED,
            key_of(model, 0, 1): CellState.SYNCED,
            key_of(model, 1, 0): CellState.UNSYNCED,
        }

        recorded: list[str] = []

        def record(rpc: str, *_args: object, **_fields: object) -> int:
            recorded.append(rpc)
            return 1

        page = DetailedPage(record, loader)
        qtbot.addWidget(page)
        restored = page.build(view)
        assert restored.read_only  # until restored
        page.show_view(view)
        qtbot.waitUntil(lambda: not restored.read_only, timeout=WAIT)
        assert restored.entries() == expected
        assert restored.cell_state(*key_of(model, 0, 0)) is CellState.SYNCED
        assert restored.cell_state(*key_of(model, 1, 0)) is CellState.UNSYNCED
        assert page.status_label.text().startswith("无法连接服务器，显示本机保存的评分：")
        assert recorded == []
    finally:
        dead.close()


# -- refused during a pause, recorded again after the resume -------------------------------------------


def test_a_score_refused_during_a_pause_is_recorded_again_after_the_resume(
    qtbot: QtBot, setup: Setup
) -> None:
    reach_detailed(qtbot, setup)
    page, model = ready_page(qtbot, setup)
    window = setup.window

    # Typed while the link is down; the supervisor pauses before it arrives.
    setup.engine.stop(timeout=10)
    cell = (0, 0)
    fill(model, [cell])
    setup.pause()
    qtbot.waitUntil(lambda: model.read_only, timeout=WAIT)  # the window saw the pause
    setup.engine.start()
    wait_state(qtbot, model, cell, CellState.REFUSED)
    bidder_id, criterion_id = key_of(model, *cell)
    assert f"服务器未接受 {bidder_id}/{criterion_id}" in window.message_label.text()
    tip = model.data(model.index(*cell), Qt.ItemDataRole.ToolTipRole)
    assert "服务器未接受：" in tip
    assert not page.submit_button.isEnabled()
    recorded = setup.recorded_scores()

    # The resume records it again, once; it reaches the server and the cell turns synced.
    setup.resume()
    wait_state(qtbot, model, cell, CellState.SYNCED)
    assert setup.recorded_scores() == recorded + 1
    assert server_values(setup.own_sheet()) == grid_values(model)
    assert stored_score_changes(setup.server, EXPERT)[(bidder_id, criterion_id)] == 1


def test_a_refused_score_restored_after_a_restart_is_recorded_again(qtbot: QtBot, setup: Setup) -> None:
    reach_detailed(qtbot, setup)
    _page, model = ready_page(qtbot, setup)
    setup.engine.stop(timeout=10)
    cell = (1, 0)
    fill(model, [cell])
    setup.pause()
    qtbot.waitUntil(lambda: model.read_only, timeout=WAIT)
    setup.engine.start()
    wait_state(qtbot, model, cell, CellState.REFUSED)
    expected = model.entries()
    recorded = setup.recorded_scores()

    # The window goes while paused; the session resumes before the new window opens.
    setup.window.close()
    qtbot.waitUntil(lambda: not setup.window.busy, timeout=WAIT)
    setup.resume()
    setup.make_window()
    _page, again = ready_page(qtbot, setup)
    assert again.entries() == expected
    wait_state(qtbot, again, cell, CellState.SYNCED)
    assert setup.recorded_scores() == recorded + 1  # recorded again exactly once
    assert server_values(setup.own_sheet()) == grid_values(again)
    assert stored_score_changes(setup.server, EXPERT)[key_of(again, *cell)] == 1
