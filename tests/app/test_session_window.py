"""The expert's session window against a real server: E01 uses the window, E02-E05 and S01 are simulated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.models.score_grid import CellState
from app.services.cache import SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Sequencer, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.session_window import PledgePage, SessionWindow, StepState
from bideval.domain.commands import ScoreEntry
from bideval.domain.method import ItemKind
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from tests.support import RunningServer

PIN = "246810"
EXPERT = "E01"
DEVICE = "E01-desktop"
OTHERS = ("E02", "E03", "E04", "E05")
WAIT = 15_000  # ms


@dataclass
class Setup:
    window: SessionWindow
    engine: SyncEngine
    driver: CommitteeDriver
    others: dict[str, ApiClient]
    session_id: str
    server: RunningServer

    def phase(self) -> int:
        view = self.window.view
        return common_pb2.PHASE_UNSPECIFIED if view is None else view.phase

    def me(self) -> session_pb2.Member:
        view = self.window.view
        assert view is not None
        return next(m for m in view.members if m.person_id == EXPERT)


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
    window = SessionWindow(own, engine, server.session_id, refresh_interval_ms=200)
    qtbot.addWidget(window)
    try:
        yield Setup(window, engine, driver, others, server.session_id, server)
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
        engine.stop(timeout=10)
        cache.close()


def steps(window: SessionWindow) -> dict[str, tuple[str, str]]:
    return {title: (state, tooltip) for title, state, tooltip in window.step_states()}


def test_the_expert_walks_from_check_in_to_the_election(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.checkin_page, timeout=WAIT)
    assert window.windowTitle().startswith("远程异地评标系统 — ")
    assert window.windowTitle().endswith("(专家)")
    assert window.view is not None
    assert window.view.project.name in window.windowTitle()
    assert steps(window)["签到"][0] == StepState.CURRENT

    # Check in through the window; the others have not, so the pledge says who it waits for.
    qtbot.waitUntil(window.checkin_page.check_in_button.isEnabled, timeout=WAIT)
    window.checkin_page.check_in_button.click()
    assert not window.checkin_page.check_in_button.isEnabled()  # no double check-in while syncing
    qtbot.waitUntil(lambda: setup.me().checked_in, timeout=WAIT)
    state, reason = steps(window)["承诺书"]
    assert state == StepState.LOCKED
    assert reason == "等待所有专家签到（未完成：E02、E03、E04、E05）"
    assert "需先完成" in steps(window)["回避声明"][1]

    setup.driver.check_in(["E02", "E04"])
    qtbot.waitUntil(lambda: "未完成：E03、E05" in steps(window)["承诺书"][1], timeout=WAIT)
    setup.driver.check_in()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.pledge_page, timeout=WAIT)
    assert steps(window)["签到"][0] == StepState.DONE

    # The fixture's method has a countdown of 0, so agreeing is possible at once.
    qtbot.waitUntil(window.pledge_page.agree_button.isEnabled, timeout=WAIT)
    window.pledge_page.agree_button.click()
    qtbot.waitUntil(lambda: setup.me().pledged, timeout=WAIT)
    assert not window.pledge_page.agree_button.isEnabled()
    setup.driver.accept_pledge()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.recusal_page, timeout=WAIT)

    # No conflict of interest, declared through the page.
    page = window.recusal_page
    qtbot.waitUntil(page.none_button.isEnabled, timeout=WAIT)
    page.checkboxes["other"].setChecked(True)
    assert not page.none_button.isEnabled()
    assert not page.declare_button.isEnabled()  # "other" needs a note
    page.checkboxes["other"].setChecked(False)
    page.none_button.click()
    qtbot.waitUntil(lambda: setup.me().declared, timeout=WAIT)
    setup.driver.declare_no_conflict()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.election_page, timeout=WAIT)

    # Vote for E02 through the page; the others vote for E02 too.
    election = window.election_page
    qtbot.waitUntil(lambda: election.candidates_list.count() == 5, timeout=WAIT)
    election.select("E02")
    assert election.vote_button.isEnabled()
    election.vote_button.click()
    qtbot.waitUntil(lambda: window.view is not None and window.view.election.my_vote == "E02", timeout=WAIT)
    assert not election.vote_button.isEnabled()
    for client in setup.others.values():
        client.command("CastLeaderVote", setup.session_id, candidate_id="E02")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.waiting_page, timeout=WAIT)
    assert window.view is not None
    assert window.view.leader_id == "E02"
    assert window.waiting_page.request_start_button.isHidden()  # E01 is not the leader

    shown = steps(window)
    for title in ("签到", "承诺书", "回避声明", "推选组长"):
        assert shown[title][0] == StepState.DONE
    assert shown["等待开始"][0] == StepState.CURRENT
    assert shown["初步评审"] == (
        StepState.LOCKED,
        "等待组长 E02 申请开始",
    )
    assert shown["详细评审"][0] == StepState.LOCKED
    assert "初步评审" in shown["详细评审"][1]

    setup.others["E02"].command("RequestStart", setup.session_id)
    qtbot.waitUntil(lambda: "监督人员批准" in steps(window)["初步评审"][1], timeout=WAIT)

    # Everything reached the server: the status bar says so.
    qtbot.waitUntil(lambda: window.unsynced_label.text() == "未同步变更: 0", timeout=WAIT)
    assert window.connection_label.text() == "已连接"
    assert window.last_sync_label.text() != "上次同步: —"
    assert setup.engine.status().unsynced == 0


def test_a_pause_shows_the_supervisors_reason(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    setup.driver.supervisor.command("PauseSession", setup.session_id, reason="网络故障，暂停评标")
    qtbot.waitUntil(lambda: not window.pause_banner.isHidden(), timeout=WAIT)
    assert "网络故障，暂停评标" in window.pause_banner.text()
    assert not window.checkin_page.check_in_button.isEnabled()
    setup.driver.supervisor.command("ResumeSession", setup.session_id, reason="网络已恢复")
    qtbot.waitUntil(window.pause_banner.isHidden, timeout=WAIT)
    qtbot.waitUntil(window.checkin_page.check_in_button.isEnabled, timeout=WAIT)


def test_scores_entered_in_the_grid_are_recorded_and_marked_synced(qtbot: QtBot, setup: Setup) -> None:
    window, engine = setup.window, setup.engine
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    # E01's earlier steps through its own engine (the pages are tested above), the others simulated.
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
    assert window.view is not None
    items = [c.id for c in window.view.method.criteria if c.stage == "preliminary"]
    for bidder in window.view.bidders:
        for item in items:
            engine.record("RecordPreliminaryVerdict", bidder_id=bidder.id, criterion_id=item, passed=True)
    engine.record("SubmitPreliminary")
    for client in setup.others.values():
        for bidder in window.view.bidders:
            for item in items:
                client.command(
                    "RecordPreliminaryVerdict",
                    setup.session_id,
                    bidder_id=bidder.id,
                    criterion_id=item,
                    passed=True,
                )
        client.command("SubmitPreliminary", setup.session_id)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.detailed_page, timeout=WAIT)

    model = window.detailed_page.model
    assert model is not None
    qtbot.waitUntil(lambda: not model.read_only, timeout=WAIT)  # editable once the saved sheet is read
    column = next(
        c for c in range(model.total_column) if (crit := model.criterion(c)) and crit.kind is ItemKind.SCORE
    )
    criterion = model.criterion(column)
    assert criterion is not None
    value = criterion.min_points + criterion.step
    assert model.setData(model.index(0, column), str(value))
    bidder_id = model.bidder_id(0)
    assert model.cell_state(bidder_id, criterion.id) is not CellState.UNSUBMITTED
    qtbot.waitUntil(lambda: model.cell_state(bidder_id, criterion.id) is CellState.SYNCED, timeout=WAIT)
    assert model.entry(bidder_id, criterion.id) == ScoreEntry(Decimal(value))
    reader = setup.server.client(EXPERT, device="reader")
    sheets = reader.evaluation.GetSheets(
        evaluation_service_pb2.GetSheetsRequest(session_id=setup.session_id), timeout=10
    )
    own = next(s for s in sheets.sheets if s.expert_id == EXPERT)
    assert [(e.bidder_id, e.criterion_id, e.points) for e in own.scores] == [
        (bidder_id, criterion.id, str(value))
    ]


def test_the_pledge_countdown_unlocks_the_agree_button(qtbot: QtBot) -> None:
    now = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    clock = [now]
    page = PledgePage(lambda: clock[0])
    qtbot.addWidget(page)
    page.set_done(False, blocked=False)
    page.set_countdown(now - timedelta(seconds=3), 10)
    assert not page.agree_button.isEnabled()
    assert page.remaining() == pytest.approx(7)
    assert "7" in page.countdown_label.text()
    assert page.timer.isActive()

    clock[0] = now + timedelta(seconds=6.5)
    page.tick()
    assert not page.agree_button.isEnabled()
    clock[0] = now + timedelta(seconds=7)
    qtbot.waitUntil(page.agree_button.isEnabled, timeout=2_000)  # the page's own timer ticks
    assert not page.timer.isActive()

    page.set_done(False, blocked=True)  # paused, or the agreement is on its way
    assert not page.agree_button.isEnabled()
    page.set_done(True, blocked=False)
    assert not page.agree_button.isEnabled()
    assert "已确认" in page.countdown_label.text()


def test_a_refused_change_is_shown_and_the_step_can_be_retried(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    assert not window.checkin_page.check_in_button.isEnabled()  # nothing is allowed before the first view
    qtbot.waitUntil(window.checkin_page.check_in_button.isEnabled, timeout=WAIT)
    window.check_in()
    window.check_in()  # a second check-in, recorded before the first reached the server
    qtbot.waitUntil(lambda: "服务器未接受 CheckIn" in window.message_label.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: setup.me().checked_in, timeout=WAIT)
    qtbot.waitUntil(lambda: window.unsynced_label.text() == "未同步变更: 0", timeout=WAIT)
    assert not window.checkin_page.check_in_button.isEnabled()  # done: nothing to retry
