"""A whole session through the GUI: five expert windows and the supervisor's console in one process.

Each person has a real window with its own encrypted cache, device sequencer, sync engine and gRPC channel
through its own cuttable TCP link to the real server (tests/app/gui_session.py). Everything is done through
the widgets — buttons, the keyboard in the grids, the pages' own confirm hook instead of a modal dialog —
from check-in to the signed report; E02's and E04's links are cut while they keep scoring, and afterwards
the server's sheets must equal the windows' grids with every change applied exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.services.cache import SessionCache
from app.ui.result_pages import ranking_rows
from bideval.domain import workflow
from bideval.domain.method import ItemKind
from bideval.v1 import common_pb2
from tests.app.gui_session import (
    DEVIATIONS,
    EXPERTS,
    SYNC_WAIT,
    WAIT,
    Committee,
    Expert,
    all_cells_synced,
    assert_exactly_once,
    committee_windows,
    grid_values,
    recorded_scores,
    server_values,
    sheet_text,
    shows_connected,
    shows_offline,
    stored_score_changes,
    table_rows,
    type_cell,
    type_column,
    unsynced_shown,
)
from tests.support import RunningServer

LEADER = "E01"
REJECTED = ("B03", "F1", "投标函未加盖单位公章")  # failed by E02, E03, E04: a majority
LONE_FAIL = ("B05", "F2", "投标函格式有误")  # failed by E05 alone: outvoted, B05 stays valid


@pytest.fixture
def committee(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> Iterator[Committee]:
    with committee_windows(qtbot, server, tmp_path / "room-pcs") as opened:
        yield opened


# -- the steps before the review, through each window's buttons ------------------------------------------


def wait_phase(qtbot: QtBot, committee: Committee, phase: int) -> None:
    qtbot.waitUntil(lambda: committee.all_experts_at(phase), timeout=WAIT)


def check_in_pledge_declare_elect_and_start(qtbot: QtBot, committee: Committee) -> None:
    experts = committee.experts.values()
    for expert in experts:
        button = expert.window.checkin_page.check_in_button
        qtbot.waitUntil(button.isEnabled, timeout=WAIT)
        button.click()
        assert not button.isEnabled()  # no second check-in while the first is on its way
    wait_phase(qtbot, committee, common_pb2.PHASE_PLEDGE)

    for expert in experts:  # the countdown is 0 s in the test package (tests/conftest.py)
        qtbot.waitUntil(expert.window.pledge_page.agree_button.isEnabled, timeout=WAIT)
        expert.window.pledge_page.agree_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_RECUSAL)

    for expert in experts:
        qtbot.waitUntil(expert.window.recusal_page.none_button.isEnabled, timeout=WAIT)
        expert.window.recusal_page.none_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_LEADER_ELECTION)

    for expert in experts:
        election = expert.window.election_page
        qtbot.waitUntil(lambda e=election: e.candidates_list.count() == len(EXPERTS), timeout=WAIT)  # type: ignore[misc]
        election.select(LEADER)
        qtbot.waitUntil(election.vote_button.isEnabled, timeout=WAIT)
        election.vote_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_AWAITING_START)
    assert {expert.view().leader_id for expert in experts} == {LEADER}
    for expert in experts:
        assert expert.window.waiting_page.request_start_button.isHidden() == (expert.person_id != LEADER)

    leader = committee.experts[LEADER].window.waiting_page.request_start_button
    qtbot.waitUntil(leader.isEnabled, timeout=WAIT)
    leader.click()
    console = committee.supervisor.window
    qtbot.waitUntil(console.approve_start_button.isEnabled, timeout=WAIT)
    console.start_note_edit.insert("同意开始评标")
    console.approve_start_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_PRELIMINARY_REVIEW)


def fail_by_keyboard(qtbot: QtBot, expert: Expert, bidder_id: str, criterion_id: str, reason: str) -> None:
    """Space twice on the cell (合格, then 不合格), the reason typed into the cell's editor, Enter."""
    page = expert.window.preliminary_page
    model, grid = page.model, page.grid
    assert model is not None
    assert grid is not None
    row = next(r for r in range(model.rowCount()) if model.bidder_id(r) == bidder_id)
    column = next(c for c in range(model.columnCount()) if model.criterion(c).id == criterion_id)
    index = model.index(row, column)
    grid.setCurrentIndex(index)
    QTest.keyClick(grid, Qt.Key.Key_Space)
    QTest.keyClick(grid, Qt.Key.Key_Space)
    editor = grid.indexWidget(index)
    assert isinstance(editor, QLineEdit), "a fail opens the reason editor in the cell"
    editor.insert(reason)  # what an input method commits (QTest types ASCII only)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not model.needs_reason(row, column), timeout=WAIT)  # committed queued


def preliminary_review(qtbot: QtBot, committee: Committee, fails: dict[str, tuple[str, str, str]]) -> None:
    """Each expert reviews in its window (``fails``: expert -> the one item it fails), then submits."""
    for expert in committee.experts.values():
        page = expert.window.preliminary_page
        qtbot.waitUntil(lambda e=expert, p=page: e.shows(p), timeout=WAIT)  # type: ignore[misc]
        qtbot.waitUntil(lambda p=page: p.model is not None and not p.model.read_only, timeout=WAIT)  # type: ignore[misc]
        failed = fails.get(expert.person_id)
        if failed is not None:
            fail_by_keyboard(qtbot, expert, *failed)
        page.all_pass_button.click()
        asked: list[int] = []

        def confirm(fail_count: int, asked: list[int] = asked) -> bool:
            asked.append(fail_count)
            return True

        page.set_confirmation(confirm)  # instead of the modal QMessageBox, as the page tests do
        qtbot.waitUntil(page.submit_button.isEnabled, timeout=WAIT)
        page.submit_button.click()
        assert asked == [1 if failed else 0]
        assert not page.submit_button.isEnabled()
    wait_phase(qtbot, committee, common_pb2.PHASE_DETAILED_REVIEW)
    for expert in committee.experts.values():
        qtbot.waitUntil(lambda e=expert: e.shows(e.window.detailed_page), timeout=WAIT)  # type: ignore[misc]
        qtbot.waitUntil(
            lambda e=expert: e.window.detailed_page.model is not None and not e.grid().read_only,  # type: ignore[misc]
            timeout=WAIT,
        )


def wait_synced(qtbot: QtBot, expert: Expert) -> None:
    """The status bar says connected with nothing unsynced, and every grid cell is marked synced."""

    def synced() -> bool:
        # The engine first: the label is updated through a queued signal, so right after typing it may
        # still show the 0 of before.
        return (
            expert.engine.status().unsynced == 0
            and unsynced_shown(expert.window) == 0
            and shows_connected(expert.window)
        )

    qtbot.waitUntil(synced, timeout=SYNC_WAIT)
    qtbot.waitUntil(lambda: all_cells_synced(expert.grid()), timeout=WAIT)


def wait_offline(qtbot: QtBot, expert: Expert, queued: int) -> None:
    """The cut link shows: offline/reconnecting, and exactly the changes made since the cut unsynced."""
    qtbot.waitUntil(lambda: shows_offline(expert.window), timeout=WAIT)
    qtbot.waitUntil(lambda: unsynced_shown(expert.window) == queued, timeout=WAIT)
    assert expert.engine.status().unsynced == queued
    assert not expert.engine.status().connected


def temporary_texts(expert: Expert, column: int) -> dict[int, str]:
    """A first value for every cell of a column that differs from the final one (to be overwritten)."""
    model = expert.grid()
    criterion = model.criterion(column)
    assert criterion is not None
    texts = {}
    for row in range(model.rowCount()):
        final = sheet_text(expert.person_id, row, criterion)
        if criterion.kind is ItemKind.VOTE:
            texts[row] = "0" if final != "0" else "1"
        elif criterion.kind is ItemKind.DEDUCT:
            texts[row] = "0.5 业绩证明材料不完整"  # half a point deducted first, then none
        else:
            texts[row] = str(criterion.max_points) if final != str(criterion.max_points) else "0"
    return texts


def submit_detailed(qtbot: QtBot, expert: Expert) -> None:
    """Click 提交详细评审 once the sheet is complete, answering the confirmation through the page's hook."""
    page = expert.window.detailed_page
    asked: list[int] = []

    def confirm(unsynced: int) -> bool:
        asked.append(unsynced)
        return True

    page.set_confirmation(confirm)  # instead of the modal QMessageBox
    qtbot.waitUntil(page.submit_button.isEnabled, timeout=WAIT)
    page.submit_button.click()
    assert len(asked) == 1
    assert not page.submit_button.isEnabled()
    assert expert.grid().read_only
    qtbot.waitUntil(lambda: expert.me().detailed_submitted, timeout=WAIT)
    assert page.status_label.text().startswith("已提交。")


# -- the whole session ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_whole_session_through_six_windows_with_link_cuts(qtbot: QtBot, committee: Committee) -> None:
    experts = committee.experts
    check_in_pledge_declare_elect_and_start(qtbot, committee)
    fails = {person: REJECTED for person in ("E02", "E03", "E04")} | {"E05": LONE_FAIL}
    preliminary_review(qtbot, committee, fails)

    # The majority rejected B03 (with the reason); E05's lone fail of B05 was outvoted.
    view = experts[LEADER].view()
    valid = list(view.preliminary.valid_bidder_ids)
    assert REJECTED[0] not in valid
    assert LONE_FAIL[0] in valid
    outcome = experts[LEADER].window.review_dock_content.outcome.label.text()
    assert REJECTED[0] in outcome
    assert REJECTED[2] in outcome
    for expert in experts.values():
        assert [expert.grid().bidder_id(r) for r in range(expert.grid().rowCount())] == valid

    # -- the detailed review, E02's and E04's links cut while they keep typing --------------------------
    e02, e04 = experts["E02"], experts["E04"]
    columns = range(e02.grid().total_column)
    for expert in (e02, e04):
        type_column(qtbot, expert, 0)
    type_column(qtbot, e02, 1)

    # E04: a cut of a few seconds over one column.
    e04.link.cut()
    queued_e04 = type_column(qtbot, e04, 1)
    wait_offline(qtbot, e04, queued_e04)
    qtbot.wait(1_500)  # the cut goes on for a while: the engine keeps retrying with backoff meanwhile
    e04.link.restore()
    for expert in (e02, e04):
        wait_synced(qtbot, expert)

    # E04: one long cut, spanning everything below until its sheet is complete.
    long_cut_started = time.monotonic()
    e04.link.cut()
    before_cut = server_values(committee.server_sheet("E04"))
    queued_e04 = type_column(qtbot, e04, 2)
    wait_offline(qtbot, e04, queued_e04)

    # E02: three cuts of a few seconds, each over a column typed twice (a first value, then the final one).
    for column in (2, 3, 4):
        e02.link.cut()
        queued = type_column(qtbot, e02, column, temporary_texts(e02, column))
        queued += type_column(qtbot, e02, column)
        wait_offline(qtbot, e02, queued)
        qtbot.wait(1_500)  # the cut goes on for a while: the engine keeps retrying with backoff meanwhile
        queued_e04 += type_column(qtbot, e04, column + 1)  # E04 still cut, still typing
        assert e02.engine.status().unsynced == queued
        e02.link.restore()
        wait_synced(qtbot, e02)
    for column in columns[5:]:
        type_column(qtbot, e02, column)

    # The others score their sheets while E04's link stays cut; E04 goes on too, first changing its T1
    # column (synced before the cut) to other values, and finally back to its own.
    e04_work: list[list[tuple[int, dict[int, str] | None]]] = [
        [(0, temporary_texts(e04, 0))],
        [(column, None) for column in columns[6:9]],
        [(column, None) for column in (*columns[9:], 0)],
    ]
    for person, e04_turn in zip(("E01", "E03", "E05"), e04_work, strict=True):
        for column in columns:
            type_column(qtbot, experts[person], column)
        for column, texts in e04_turn:
            queued_e04 += type_column(qtbot, e04, column, texts)
    assert e04.link.cuts == 2
    assert shows_offline(e04.window)
    qtbot.waitUntil(lambda: unsynced_shown(e04.window) == queued_e04, timeout=WAIT)
    assert e04.engine.status().unsynced == queued_e04
    assert server_values(committee.server_sheet("E04")) == before_cut  # nothing got through the cut link
    e04.link.restore()
    print(f"\nE04's long cut: {time.monotonic() - long_cut_started:.0f} s over {queued_e04} changes")

    # After the cuts: every change synced, the server's sheets equal the grids, each change stored once.
    for expert in experts.values():
        wait_synced(qtbot, expert)
    for person, expert in experts.items():
        model = expert.grid()
        assert len(model.entries()) == model.rowCount() * model.total_column  # complete sheet
        assert server_values(committee.server_sheet(person)) == grid_values(model), person
        assert stored_score_changes(committee.server, person) == recorded_scores(expert), person
    for expert in (e02, e04):
        assert expert.link.cuts >= 1
        assert_exactly_once(committee.server, expert)

    # Seal the sheets through each window's 提交详细评审 button, the confirmation answered by the hook.
    for expert in experts.values():
        submit_detailed(qtbot, expert)
    for expert in experts.values():
        qtbot.waitUntil(lambda e=expert: e.shows(e.window.summary_page), timeout=WAIT)  # type: ignore[misc]
        assert expert.grid().read_only

    # -- the summary: the leader runs it, the flagged experts explain in their windows -----------------
    leader = experts[LEADER].window.summary_page
    qtbot.waitUntil(leader.run_button.isEnabled, timeout=WAIT)
    leader.run_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_SUMMARY)
    summary = committee.server_summary()
    assert summary.available
    assert not summary.objective_inconsistencies  # everyone typed the same objective values
    flagged = {(f.expert_id, f.bidder_id, f.criterion_id) for f in summary.deviation_flags}
    assert flagged == {(d.expert_id, valid[d.row], d.criterion_id) for d in DEVIATIONS}
    for key in sorted(flagged):
        page = experts[key[0]].window.summary_page
        qtbot.waitUntil(lambda p=page, k=key: k in p.flag_boxes, timeout=WAIT)  # type: ignore[misc]
        box = page.flag_boxes[key]
        assert not box.button.isEnabled()  # the written explanation is mandatory
        box.edit.insert("该投标人技术方案针对性不足，本人按评分标准给分")
        qtbot.waitUntil(box.button.isEnabled, timeout=WAIT)
        box.button.click()
    qtbot.waitUntil(
        lambda: all(f.explained for f in committee.server_summary().deviation_flags), timeout=WAIT
    )

    qtbot.waitUntil(leader.finalize_button.isEnabled, timeout=WAIT)
    leader.finalize_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_REPORT)

    # -- the ranking each window shows is the server's ----------------------------------------------
    final = committee.server_summary()
    names = {b.id: b.name for b in view.bidders}
    expected = ranking_rows(final, names)
    assert 0 < sum(1 for place in final.ranking if place.candidate) <= 3
    assert REJECTED[0] not in {place.bidder_id for place in final.ranking}
    for expert in experts.values():
        report = expert.window.report_page
        qtbot.waitUntil(lambda e=expert: e.shows(e.window.report_page), timeout=WAIT)  # type: ignore[misc]
        qtbot.waitUntil(lambda r=report: table_rows(r.ranking_table) == expected, timeout=WAIT)  # type: ignore[misc]

    # No change of anyone lost, refused or applied twice over the whole session (checked before the end:
    # once the session is over each PC wipes its cache).
    for seat in committee.seats():
        qtbot.waitUntil(lambda s=seat: s.engine.status().unsynced == 0, timeout=WAIT)  # type: ignore[misc]
        assert_exactly_once(committee.server, seat)

    # Everyone signs (agrees) in their window; the session ends with the same ranking everywhere.
    for expert in experts.values():
        report = expert.window.report_page
        qtbot.waitUntil(report.agree_radio.isEnabled, timeout=WAIT)
        report.agree_radio.click()
        qtbot.waitUntil(report.sign_button.isEnabled, timeout=WAIT)
        report.sign_button.click()
    wait_phase(qtbot, committee, common_pb2.PHASE_CLOSED)
    for expert in experts.values():
        ended = expert.window.ended_page
        qtbot.waitUntil(lambda e=expert: e.shows(e.window.ended_page), timeout=WAIT)  # type: ignore[misc]
        qtbot.waitUntil(lambda p=ended: table_rows(p.ranking_table) == expected, timeout=WAIT)  # type: ignore[misc]
    assert committee.server_view().phase == common_pb2.PHASE_CLOSED
    signatures = committee.server.app.read(
        committee.session_id, lambda runtime: workflow.signatures(runtime.state)
    )
    assert sorted((s.expert_id, s.agree) for s in signatures) == [(person, True) for person in EXPERTS]

    # Session over: every PC wipes its cache, which it does only once every change has its answer.
    for seat in committee.seats():
        folder = seat.cache.paths.database.parent
        qtbot.waitUntil(
            lambda f=folder: not SessionCache.exists(f, committee.session_id),  # type: ignore[misc]
            timeout=WAIT,
        )


# -- a pause in the middle of the detailed review --------------------------------------------------------


def test_a_pause_from_the_supervisors_console_locks_every_grid(qtbot: QtBot, committee: Committee) -> None:
    experts = committee.experts
    check_in_pledge_declare_elect_and_start(qtbot, committee)
    preliminary_review(qtbot, committee, {})
    for expert in experts.values():
        type_column(qtbot, expert, 0)
    for expert in experts.values():
        wait_synced(qtbot, expert)  # a change still queued when the pause arrives would be refused

    console = committee.supervisor.window
    qtbot.waitUntil(console.pause_button.isEnabled, timeout=WAIT)
    reason = "副场网络中断，暂停评标"
    console.pause_reason_edit.insert(reason)
    console.pause_button.click()
    for expert in experts.values():
        window = expert.window
        qtbot.waitUntil(lambda w=window: not w.pause_banner.isHidden(), timeout=WAIT)  # type: ignore[misc]
        assert reason in window.pause_banner.text()
        qtbot.waitUntil(lambda e=expert: e.grid().read_only, timeout=WAIT)  # type: ignore[misc]

    # Typing into a paused grid opens no editor and changes nothing.
    for expert in experts.values():
        model, view = expert.grid(), expert.sheet().view
        index = model.index(0, 1)
        view.setCurrentIndex(index)
        before = (model.entries(), expert.sent_operations())
        QTest.keyClicks(view, "1")
        assert view.indexWidget(index) is None
        assert (model.entries(), expert.sent_operations()) == before

    qtbot.waitUntil(console.resume_button.isEnabled, timeout=WAIT)
    console.pause_reason_edit.insert("网络已恢复")
    console.resume_button.click()
    for expert in experts.values():
        qtbot.waitUntil(expert.window.pause_banner.isHidden, timeout=WAIT)
        qtbot.waitUntil(lambda e=expert: not e.grid().read_only, timeout=WAIT)  # type: ignore[misc]
        model = expert.grid()
        criterion = model.criterion(1)
        assert criterion is not None
        type_cell(qtbot, expert, 0, 1, sheet_text(expert.person_id, 0, criterion))
    for expert in experts.values():
        wait_synced(qtbot, expert)
        assert server_values(committee.server_sheet(expert.person_id)) == grid_values(expert.grid())


# -- changes queued before a pause -------------------------------------------------------------------------


def test_a_score_queued_before_a_pause_reaches_the_server_after_the_resume(
    qtbot: QtBot, committee: Committee
) -> None:
    experts = committee.experts
    check_in_pledge_declare_elect_and_start(qtbot, committee)
    preliminary_review(qtbot, committee, {})
    e01 = experts["E01"]
    model = e01.grid()
    criterion = model.criterion(0)
    assert criterion is not None

    # E01's venue loses its network while E01 scores; the supervisor pauses because of it.
    e01.link.cut()
    type_cell(qtbot, e01, 0, 0, sheet_text("E01", 0, criterion))
    wait_offline(qtbot, e01, 1)
    console = committee.supervisor.window
    qtbot.waitUntil(console.pause_button.isEnabled, timeout=WAIT)
    console.pause_reason_edit.insert("主场网络中断，暂停评标")
    console.pause_button.click()
    qtbot.waitUntil(lambda: committee.server_view().paused, timeout=WAIT)

    # The network returns, then the supervisor resumes.
    e01.link.restore()
    qtbot.waitUntil(lambda: unsynced_shown(e01.window) == 0, timeout=SYNC_WAIT)
    qtbot.waitUntil(console.resume_button.isEnabled, timeout=WAIT)
    console.pause_reason_edit.insert("网络已恢复")
    console.resume_button.click()
    qtbot.waitUntil(lambda: not committee.server_view().paused, timeout=WAIT)
    qtbot.waitUntil(lambda: not e01.grid().read_only, timeout=WAIT)

    # What the expert typed is not lost: it is recorded again after the resume, reaches the server, and
    # the cell says so.
    qtbot.waitUntil(lambda: server_values(committee.server_sheet("E01")) == grid_values(model), timeout=WAIT)
    qtbot.waitUntil(lambda: all_cells_synced(model), timeout=WAIT)
    assert stored_score_changes(committee.server, "E01") == {(model.bidder_id(0), criterion.id): 1}
