"""Summary, report and end pages against a real server: E01 is the elected leader in a real SessionWindow,
E02-E05 and S01 act through the real API. Plus unit tests of the summary model and page rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from app.models.summary import (
    OWN_UNEXPLAINED,
    ResultNotes,
    Signing,
    SummaryModel,
    deviation_band,
    finalize_blockers,
    missing_explanations,
)
from app.services.cache import SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Sequencer, signer_from_pem
from app.services.sync import SyncEngine
from app.ui.result_pages import (
    EndedPage,
    ReportPage,
    ResultsOverview,
    SummaryPage,
    SummarySource,
    ranking_rows,
)
from app.ui.session_window import SessionWindow
from bideval.domain import workflow
from bideval.identity.pki import Role
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2
from tests.support import RunningServer

PIN = "246810"
EXPERT = "E01"
DEVICE = "E01-desktop"
OTHERS = ("E02", "E03", "E04", "E05")
WAIT = 20_000  # ms: the machine is shared, the committee's steps are many round trips


@dataclass
class Setup:
    window: SessionWindow
    engine: SyncEngine
    driver: CommitteeDriver
    others: dict[str, ApiClient]
    session_id: str
    server: RunningServer

    def view(self) -> session_pb2.SessionView:
        view = self.window.view
        assert view is not None
        return view

    def phase(self) -> int:
        view = self.window.view
        return common_pb2.PHASE_UNSPECIFIED if view is None else view.phase

    def me(self) -> session_pb2.Member:
        return next(m for m in self.view().members if m.person_id == EXPERT)

    def server_summary(self) -> session_pb2.GroupSummary:
        return self.driver.summary()


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


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def shown(table: QTableWidget) -> list[list[str]]:
    return [[cell(table, r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]


def entry_for(item: session_pb2.Criterion, bidder_id: str, low_t1: bool) -> session_pb2.ScoreEntry:
    """Fixed values so the summary is predictable: everyone gives ¾ of a score item (6 of T1's 8) and full
    objective values; ``low_t1`` gives T1 its minimum, which is far outside mean ± 30 % (a deviation flag)."""
    entry = session_pb2.ScoreEntry(bidder_id=bidder_id, criterion_id=item.id)
    low, high, step = Decimal(item.min_points), Decimal(item.max_points), Decimal(item.step)
    if item.kind == "score":
        value = low if (low_t1 and item.id == "T1") else low + step * int((high - low) * 3 / 4 / step)
        entry.points = str(value)
    elif item.kind == "objective":
        entry.objective = str(high)
    elif item.kind == "deduct":
        entry.deductions.SetInParent()
    elif item.kind == "vote":
        entry.vote = True
    elif item.kind == "pass_fail":
        entry.pass_fail.passed = True
    return entry


def drive_to_sealed_sheets(qtbot: QtBot, setup: Setup, flagged_bidders: int) -> list[str]:
    """E01 (through its own engine: the earlier pages are tested elsewhere) and the others walk to the
    end of the detailed review with E01 elected leader; E01 scores T1 low for the first
    ``flagged_bidders`` valid bidders. Returns the flagged bidder ids."""
    window, engine, driver, sid = setup.window, setup.engine, setup.driver, setup.session_id
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    engine.record("CheckIn", venue_id=setup.me().venue_id)
    driver.check_in()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PLEDGE, timeout=WAIT)
    engine.record("AcceptPledge")
    driver.accept_pledge()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_RECUSAL, timeout=WAIT)
    engine.record("DeclareRecusal")
    driver.declare_no_conflict()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_LEADER_ELECTION, timeout=WAIT)
    engine.record("CastLeaderVote", candidate_id=EXPERT)
    for client in setup.others.values():
        client.command("CastLeaderVote", sid, candidate_id=EXPERT)
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_AWAITING_START, timeout=WAIT)
    engine.record("RequestStart")
    qtbot.waitUntil(lambda: setup.view().start_requested, timeout=WAIT)
    driver.supervisor.command("ApproveStart", sid, approved=True, note="同意开始评标")
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PRELIMINARY_REVIEW, timeout=WAIT)

    view = setup.view()
    items = [c.id for c in view.method.criteria if c.stage == "preliminary"]
    for bidder in view.bidders:
        for item in items:
            engine.record("RecordPreliminaryVerdict", bidder_id=bidder.id, criterion_id=item, passed=True)
    engine.record("SubmitPreliminary")
    for client in setup.others.values():
        for bidder in view.bidders:
            for item in items:
                client.command(
                    "RecordPreliminaryVerdict", sid, bidder_id=bidder.id, criterion_id=item, passed=True
                )
        client.command("SubmitPreliminary", sid)
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_DETAILED_REVIEW, timeout=WAIT)

    view = setup.view()
    valid = list(view.preliminary.valid_bidder_ids)
    flagged = valid[:flagged_bidders]
    detailed = [c for c in view.method.criteria if c.stage == "detailed" and c.kind != "price"]
    for bidder_id in valid:
        for criterion in detailed:
            engine.record("RecordScore", entry=entry_for(criterion, bidder_id, bidder_id in flagged))
    engine.record("SubmitDetailed")
    for client in setup.others.values():
        for bidder_id in valid:
            for criterion in detailed:
                client.command("RecordScore", sid, entry=entry_for(criterion, bidder_id, low_t1=False))
        client.command("SubmitDetailed", sid)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.summary_page, timeout=WAIT)
    return flagged


def test_the_leader_summarizes_explains_finalizes_and_signs(qtbot: QtBot, setup: Setup) -> None:
    window, sid = setup.window, setup.session_id
    flagged = drive_to_sealed_sheets(qtbot, setup, flagged_bidders=2)
    page = window.summary_page

    # All sheets sealed, nothing summarized yet: only 运行汇总 is possible.
    assert not page.leader_box.isHidden()
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT)
    assert not page.finalize_button.isEnabled()
    assert page.finalize_button.toolTip() == "请先运行汇总"
    page.run_button.click()
    assert not page.run_button.isEnabled()  # no second summary while the first is on its way
    qtbot.waitUntil(
        lambda: (
            setup.phase() == common_pb2.PHASE_SUMMARY and page.summary is not None and page.summary.available
        ),
        timeout=WAIT,
    )

    # The page shows exactly the server's numbers.
    server = setup.server_summary()
    qtbot.waitUntil(lambda: page.summary == server, timeout=WAIT)
    model = page.model
    assert model.rowCount() == len(server.totals)
    for item in server.items:
        if item.criterion_id not in {model.criterion_id(c) for c in range(model.columnCount())}:
            continue
        assert model.cell_text(item.bidder_id, item.criterion_id) == item.group_points
        tooltip = model.data(
            model.index(model.row_of(item.bidder_id), model.column_of(item.criterion_id)),
            Qt.ItemDataRole.ToolTipRole,
        )
        for expert_id, points in item.expert_points.items():
            assert f"{expert_id}: {points}" in tooltip
    for total in server.totals:
        assert model.total(total.bidder_id) == total.total
        assert model.price_score(total.bidder_id) == total.price_score
    price = server.price
    assert price.formula_version in page.price_label.text()
    assert f"评标基准价: {price.base}" in page.price_label.text()
    assert page.price_table.rowCount() == len(price.scores)
    for row, line in enumerate(price.scores):
        assert cell(page.price_table, row, 1) == line.price
        assert cell(page.price_table, row, 4) == (line.deviation_percent or "—")
        assert cell(page.price_table, row, 5) == (line.deviation_used or "—")
        assert cell(page.price_table, row, 6) == (line.deduction or "—")
        assert cell(page.price_table, row, 7) == line.score
    assert len(price.steps) > 0
    assert price.steps[-1] in page.price_steps.text()

    # E01's two low T1 scores are flagged, highlighted, and block the ranking.
    mine = {(f.bidder_id, f.criterion_id) for f in server.deviation_flags if f.expert_id == EXPERT}
    assert mine == {(b, "T1") for b in flagged}
    assert set(page.flag_boxes) == {(EXPERT, b, "T1") for b in flagged}
    flagged_cell = model.index(model.row_of(flagged[0]), model.column_of("T1"))
    assert model.data(flagged_cell, Qt.ItemDataRole.BackgroundRole).color() == OWN_UNEXPLAINED
    assert not page.finalize_button.isEnabled()
    assert "缺少评分偏离说明" in page.finalize_button.toolTip()
    assert f"E01 {flagged[0]}/T1" in page.finalize_button.toolTip()

    first = page.flag_boxes[(EXPERT, flagged[0], "T1")]
    assert not first.button.isEnabled()  # the explanation is mandatory
    first.edit.setText("该投标人施工方案缺少针对本工程的技术措施，本人据此给分")
    assert first.button.isEnabled()
    first.button.click()
    qtbot.waitUntil(
        lambda: any(
            f.explained and f.bidder_id == flagged[0] for f in setup.server_summary().deviation_flags
        ),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: first.edit.isHidden(), timeout=WAIT)
    assert not page.finalize_button.isEnabled()  # the second flag is still unexplained
    assert f"E01 {flagged[1]}/T1" in page.finalize_button.toolTip()
    assert f"E01 {flagged[0]}/T1" not in page.finalize_button.toolTip()

    # A roll-back request shows as pending until the supervisor decides; it also blocks the ranking.
    assert not page.rollback_button.isEnabled()  # a reason is mandatory
    page.rollback_target.setCurrentIndex(page.rollback_target.findData(common_pb2.PHASE_DETAILED_REVIEW))
    page.rollback_reason.setText("需复核施工方案评分")
    page.rollback_button.click()
    qtbot.waitUntil(lambda: not page.rollback_label.isHidden(), timeout=WAIT)
    assert "等待监督人员批准" in page.rollback_label.text()
    assert "详细评审" in page.rollback_label.text()
    assert "需复核施工方案评分" in page.rollback_label.text()
    assert "评审回退申请正等待监督人员决定" in page.finalize_button.toolTip()
    qtbot.waitUntil(lambda: "已有评审回退申请" in page.rollback_button.toolTip(), timeout=WAIT)
    setup.driver.supervisor.command("ApproveRollback", sid, approved=False, note="评分有依据，不予回退")
    qtbot.waitUntil(lambda: page.rollback_label.isHidden(), timeout=WAIT)

    second = page.flag_boxes[(EXPERT, flagged[1], "T1")]
    second.edit.setText("该投标人质量保证措施不具体，本人按评分标准给分")
    second.button.click()
    qtbot.waitUntil(page.finalize_button.isEnabled, timeout=WAIT)
    assert page.finalize_reason_label.text() == ""
    page.finalize_button.click()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.report_page, timeout=WAIT)

    # The report page shows the server's ranking: at most 3 candidates.
    report = window.report_page
    final = setup.server_summary()
    names = {b.id: b.name for b in setup.view().bidders}
    assert 0 < sum(1 for r in final.ranking if r.candidate) <= 3

    qtbot.waitUntil(lambda: shown(report.ranking_table) == ranking_rows(final, names), timeout=WAIT)
    assert [row[2] for row in shown(report.totals_table)] == [t.total for t in final.totals]

    # Sign (agree) through the page.
    qtbot.waitUntil(lambda: report.agree_radio.isEnabled(), timeout=WAIT)
    assert not report.sign_button.isEnabled()  # nothing chosen yet
    report.agree_radio.click()
    assert report.sign_button.isEnabled()
    report.sign_button.click()
    assert not report.sign_button.isEnabled()
    qtbot.waitUntil(lambda: setup.me().signed, timeout=WAIT)
    assert any(
        "E01" in report.signed_list.item(i).text() and "已签署" in report.signed_list.item(i).text()
        for i in range(report.signed_list.count())
    )
    signatures = setup.server.app.read(sid, lambda runtime: workflow.signatures(runtime.state))
    assert [(s.expert_id, s.agree, s.refused) for s in signatures] == [(EXPERT, True, False)]

    setup.driver.sign()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.ended_page, timeout=WAIT)
    ended = window.ended_page
    assert "评标结束" in ended.title_label.text()
    qtbot.waitUntil(lambda: not ended.ranking_table.isHidden(), timeout=WAIT)
    assert shown(ended.ranking_table) == ranking_rows(final, names)


def test_a_member_dissents_and_group_actions_wait_for_the_network(qtbot: QtBot, setup: Setup) -> None:
    window, engine, sid = setup.window, setup.engine, setup.session_id
    flagged = drive_to_sealed_sheets(qtbot, setup, flagged_bidders=1)
    page = window.summary_page
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT)

    # Offline, nothing that needs the committee can start; the tooltip says why.
    page.set_online(False)
    assert not page.run_button.isEnabled()
    assert "离线" in page.run_button.toolTip()
    page.set_online(True)
    assert page.run_button.isEnabled()

    engine.record("RunSummary")
    qtbot.waitUntil(lambda: page.summary is not None and page.summary.available, timeout=WAIT)
    assert set(page.flag_boxes) == {(EXPERT, flagged[0], "T1")}

    # Offline, the summary shows no other expert's score, and says why.
    cell = page.model.index(0, page.model.column_of("T1"))
    assert "E02: " in page.model.data(cell, Qt.ItemDataRole.ToolTipRole)
    page.set_online(False)
    hidden = page.model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert "E02: " not in hidden
    assert "离线" in hidden
    assert f"{EXPERT}: " in hidden
    page.set_online(True)
    assert "E02: " in page.model.data(cell, Qt.ItemDataRole.ToolTipRole)
    engine.record("ExplainDeviation", bidder_id=flagged[0], criterion_id="T1", text="按评分标准给分")
    qtbot.waitUntil(page.finalize_button.isEnabled, timeout=WAIT)
    engine.record("FinalizeRanking")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.report_page, timeout=WAIT)

    report = window.report_page
    qtbot.waitUntil(report.disagree_radio.isEnabled, timeout=WAIT)
    report.disagree_radio.click()
    assert not report.sign_button.isEnabled()
    assert report.sign_button.toolTip() == "不同意时须书面说明不同意见和理由"
    report.dissent_edit.setPlainText("第一中标候选人的施工方案存在重大缺陷，不应推荐")
    report.set_online(False)
    assert not report.sign_button.isEnabled()  # signing the report needs the group
    report.set_online(True)
    assert report.sign_button.isEnabled()
    report.sign_button.click()
    qtbot.waitUntil(lambda: setup.me().signed, timeout=WAIT)
    signatures = setup.server.app.read(sid, lambda runtime: workflow.signatures(runtime.state))
    assert [(s.expert_id, s.agree, s.dissent) for s in signatures] == [
        (EXPERT, False, "第一中标候选人的施工方案存在重大缺陷，不应推荐")
    ]


# -- without a server ----------------------------------------------------------------------------------


def _summary() -> session_pb2.GroupSummary:
    summary = session_pb2.GroupSummary(available=True)
    summary.items.add(
        bidder_id="B01",
        criterion_id="T1",
        group_points="4.80",
        expert_points={"E01": "0", "E02": "6", "E03": "6", "E04": "6", "E05": "6"},
    )
    summary.items.add(
        bidder_id="B01", criterion_id="M1", group_points="", expert_points={"E01": "4", "E02": "2"}
    )
    summary.items.add(bidder_id="B03", criterion_id="T1", group_points="6.00", expert_points={"E01": "6"})
    summary.items.add(bidder_id="B03", criterion_id="M1", group_points="4", expert_points={"E01": "4"})
    summary.deviation_flags.add(expert_id="E01", bidder_id="B01", criterion_id="T1", points="0", mean="4.8")
    summary.objective_inconsistencies.add(
        bidder_id="B01", criterion_id="M1", expert_points={"E01": "4", "E02": "2"}
    )
    summary.totals.add(bidder_id="B01", total="70.00", price_score="55.00")
    summary.totals.add(bidder_id="B03", total="75.50", price_score="59.50")
    return summary


def _view() -> session_pb2.SessionView:
    view = session_pb2.SessionView(phase=common_pb2.PHASE_SUMMARY, caller_id="E01", leader_id="E01")
    for bidder_id, name in (("B01", "甲公司"), ("B02", "乙公司"), ("B03", "丙公司")):
        view.bidders.add(id=bidder_id, name=name, price="1000000.00")
    view.method.criteria.add(id="F1", title="投标函", stage="preliminary", kind="pass_fail")
    view.method.criteria.add(id="T1", title="施工方案", stage="detailed", kind="score", max_points="8")
    view.method.criteria.add(
        id="M1", title="项目经理业绩", stage="detailed", kind="objective", max_points="4"
    )
    view.method.criteria.add(id="P1", title="投标报价", stage="detailed", kind="price", max_points="60")
    for person_id in ("E01", "E02"):
        view.members.add(person_id=person_id, name=person_id, status="active")
    return view


def test_the_summary_model_shows_group_points_with_each_experts_value(qtbot: QtBot) -> None:
    model = SummaryModel()
    view = _view()
    model.set_summary(_summary(), view.bidders, view.method.criteria, "E01")
    assert model.rowCount() == 2  # B02 is not in the summary (rejected in preliminary review)
    assert model.columnCount() == 5  # bidder, T1, M1, price, total: no preliminary item, no price item
    assert [model.bidder_id(r) for r in range(2)] == ["B01", "B03"]
    assert model.headerData(1, Qt.Orientation.Horizontal).startswith("T1 施工方案")
    assert model.headerData(model.price_column, Qt.Orientation.Horizontal) == "价格分"
    assert model.headerData(model.total_column, Qt.Orientation.Horizontal) == "总分"

    t1 = model.index(0, model.column_of("T1"))
    assert model.data(t1) == "4.80 ⚑"
    assert model.data(t1, Qt.ItemDataRole.BackgroundRole).color() == OWN_UNEXPLAINED
    tooltip = model.data(t1, Qt.ItemDataRole.ToolTipRole)
    assert "E01: 0 — 偏离平均分 4.8 (待说明)" in tooltip
    assert "E05: 6" in tooltip
    # Offline, the other experts' scores are not revealed (DOMAIN.md): the caller's own and the reason.
    model.hide_others("离线时不显示其他专家的评分")
    hidden = model.data(t1, Qt.ItemDataRole.ToolTipRole)
    assert "E01: 0" in hidden
    assert "E05" not in hidden
    assert "离线时不显示其他专家的评分" in hidden
    model.hide_others("")
    assert model.data(t1, Qt.ItemDataRole.ToolTipRole) == tooltip
    m1 = model.index(0, model.column_of("M1"))
    assert model.data(m1) == "不一致"
    assert "客观分评分不一致" in model.data(m1, Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, model.column_of("M1"))) == "4"
    assert model.data(model.index(1, model.column_of("M1")), Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(model.index(1, 0)) == "B03 丙公司"
    assert model.data(model.index(1, model.price_column)) == "59.50"
    assert model.data(model.index(1, model.total_column)) == "75.50"

    # Another expert sees the same flag without the "own" highlight.
    model.set_summary(_summary(), view.bidders, view.method.criteria, "E02")
    assert model.data(model.index(0, 1), Qt.ItemDataRole.BackgroundRole).color() != OWN_UNEXPLAINED


def test_what_blocks_the_ranking_and_the_deviation_band() -> None:
    summary, view = _summary(), _view()
    assert [f.bidder_id for f in missing_explanations(summary)] == ["B01"]
    reasons = finalize_blockers(summary, view)
    assert any("客观分评分不一致" in r and "B01/M1" in r for r in reasons)
    assert any("缺少评分偏离说明" in r and "E01 B01/T1" in r for r in reasons)
    summary.deviation_flags[0].explained = True
    del summary.objective_inconsistencies[:]
    assert finalize_blockers(summary, view) == []
    view.pending_rollback.target_phase = common_pb2.PHASE_DETAILED_REVIEW
    assert finalize_blockers(summary, view) == ["评审回退申请正等待监督人员决定"]
    assert finalize_blockers(session_pb2.GroupSummary(), _view()) == ["尚未汇总"]
    assert deviation_band("4.8", Decimal(30)) == (Decimal("3.360"), Decimal("6.240"))
    assert deviation_band("abc", Decimal(30)) is None


def test_refusing_to_sign_asks_for_the_acknowledgement_not_a_reason(qtbot: QtBot) -> None:
    recorded: list[tuple[str, dict[str, object]]] = []

    def record(rpc: str, cell: object = None, **fields: object) -> int:
        recorded.append((rpc, fields))
        return len(recorded)

    source = SummarySource(lambda: session_pb2.GroupSummary(), run=lambda *_: None)
    page = ReportPage(record, source)
    qtbot.addWidget(page)
    view = _view()
    view.phase = common_pb2.PHASE_REPORT
    page.show_view(view, busy=False)
    assert not page.sign_button.isEnabled()
    page.refuse_radio.click()
    assert not page.sign_button.isEnabled()
    assert page.sign_button.toolTip() == "请确认已知悉拒绝签字的后果"
    assert not page.dissent_edit.isEnabled()
    page.refuse_ack.setChecked(True)
    assert page.sign_button.isEnabled()
    page.sign_button.click()
    assert recorded == [("SignReport", {"decision": evaluation_service_pb2.SIGN_DECISION_REFUSE})]
    page.show_view(view, busy=True)  # the window marks the change in flight
    assert not page.sign_button.isEnabled()
    page.show_view(view, busy=False)  # refused by the server: the window clears busy, retry possible
    assert page.sign_button.isEnabled()


def test_the_leader_reopens_a_sheet_for_a_correction(qtbot: QtBot, setup: Setup) -> None:
    window, engine, sid = setup.window, setup.engine, setup.session_id
    drive_to_sealed_sheets(qtbot, setup, flagged_bidders=0)
    page = window.summary_page
    engine.record("RunSummary")
    qtbot.waitUntil(lambda: page.summary is not None and page.summary.available, timeout=WAIT)
    assert not page.flag_boxes
    assert page.flags_box.isHidden()
    qtbot.waitUntil(page.finalize_button.isEnabled, timeout=WAIT)  # nothing blocks the ranking

    page.correction_expert.setCurrentIndex(page.correction_expert.findData("E03"))
    page.correction_case.setCurrentIndex(
        page.correction_case.findData(evaluation_service_pb2.CORRECTION_CASE_SUMMATION_ERROR)
    )
    assert not page.correction_button.isEnabled()
    assert page.correction_button.toolTip() == "请填写更正理由"
    page.correction_reason.setText("E03 的 T2 分值汇总有误")
    page.correction_button.click()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.detailed_page, timeout=WAIT)
    corrections = setup.server.app.read(sid, lambda runtime: list(runtime.state.corrections))
    assert [(c.expert_id, c.case.value, c.reason, c.open) for c in corrections] == [
        ("E03", "summation_error", "E03 的 T2 分值汇总有误", True)
    ]

    # E03 seals the sheet again: the leader is back on the summary page and can run the summary again.
    setup.others["E03"].command("SubmitDetailed", sid)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.summary_page, timeout=WAIT)
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT)


def test_a_failed_tender_shows_the_reason_and_no_ranking(qtbot: QtBot) -> None:
    source = SummarySource(lambda: session_pb2.GroupSummary(), run=lambda *_: None)
    page = EndedPage(source)
    qtbot.addWidget(page)
    view = _view()
    view.phase = common_pb2.PHASE_FAILED_TENDER
    view.failed_tender_reason = "详细评审后有效投标不足 3 家"
    page.show_view(view, busy=False)
    source.sig_summary.emit(session_pb2.GroupSummary(available=True))
    assert "流标" in page.title_label.text()
    assert page.reason_label.text() == "流标原因: 详细评审后有效投标不足 3 家"
    assert page.ranking_table.isHidden()

    view.phase = common_pb2.PHASE_CLOSED
    summary = _summary()
    summary.ranking.add(rank=1, bidder_id="B03", total="75.50", candidate=True)
    page.show_view(view, busy=False)
    source.sig_summary.emit(summary)
    assert "评标结束" in page.title_label.text()
    assert not page.ranking_table.isHidden()
    assert cell(page.ranking_table, 0, 1) == "B03 丙公司"
    assert cell(page.ranking_table, 0, 3) == "第 1 中标候选人"


def test_the_summary_is_fetched_once_per_change_and_again_after_a_failure(qtbot: QtBot) -> None:
    queued: list[tuple[Callable[[object], None], Callable[[BaseException], None]]] = []

    def run(
        _fn: Callable[[], object], ok: Callable[[object], None], failed: Callable[[BaseException], None]
    ) -> None:
        queued.append((ok, failed))  # answered by the test, in order, like a slow network

    source = SummarySource(lambda: session_pb2.GroupSummary(), run=run)
    received: list[object] = []
    failures: list[str] = []
    source.sig_summary.connect(received.append)
    source.sig_failed.connect(failures.append)
    view = _view()
    view.phase = common_pb2.PHASE_PRELIMINARY_REVIEW
    source.update(view)
    assert queued == []  # nothing to summarize before the detailed review ends

    view.phase, view.last_sequence = common_pb2.PHASE_SUMMARY, 40
    source.update(view)
    source.update(view)  # same sequence: no second fetch
    assert len(queued) == 1
    view.last_sequence = 41
    source.update(view)  # a change while the fetch is in flight: one more fetch after it, not two at once
    assert len(queued) == 1
    assert source.busy
    queued.pop(0)[0](_summary())
    assert received == [_summary()]
    assert len(queued) == 1

    queued.pop(0)[1](RuntimeError("connection reset"))
    assert failures == ["RuntimeError: connection reset"]
    assert not source.busy
    source.update(view)  # the same view again: retried after the failure
    assert len(queued) == 1
    queued.pop(0)[0](_summary())
    assert len(received) == 2
    assert source.summary == _summary()


def test_result_notes_keep_the_newest_explanation_and_signing_decision() -> None:
    notes = ResultNotes()
    assert not notes.add("ScoreRecorded", "E01", {"bidder_id": "B01"})
    assert notes.add("DeviationExplained", "E01", {"bidder_id": "B01", "criterion_id": "T1", "text": "旧"})
    assert notes.add("DeviationExplained", "E01", {"bidder_id": "B01", "criterion_id": "T1", "text": "新"})
    assert notes.explanations == {("E01", "B01", "T1"): "新"}
    notes.add("ReportSigned", "E01", {"agree": False, "dissent": "理由"})
    notes.add("ReportSigned", "E02", {"agree": True, "dissent": ""})
    notes.add("SigningRefused", "E03", {})
    assert notes.signings == {
        "E01": Signing(agree=False, dissent="理由"),
        "E02": Signing(agree=True),
        "E03": Signing(agree=True, refused=True),
    }


def test_the_supervisors_overview_is_read_only_and_shows_every_flag(qtbot: QtBot) -> None:
    source = SummarySource(lambda: session_pb2.GroupSummary(), run=lambda *_: None)
    page = ResultsOverview(source)
    qtbot.addWidget(page)
    view = _view()
    view.caller_id, view.leader_id = "S01", "E02"
    view.phase = common_pb2.PHASE_PRELIMINARY_REVIEW
    page.show_view(view, busy=False)
    assert page.results.isHidden()
    assert "尚无汇总结果" in page.status_label.text()

    view.phase = common_pb2.PHASE_SUMMARY
    page.show_view(view, busy=False)
    assert page.status_label.text() == "正在读取汇总结果…"
    notes = ResultNotes()
    notes.add("DeviationExplained", "E01", {"bidder_id": "B01", "criterion_id": "T1", "text": "按标准给分"})
    page.set_notes(notes)
    summary = _summary()
    source.sig_summary.emit(summary)
    assert not page.results.isHidden()
    assert page.status_label.text().startswith("汇总已完成。组长尚不能确定排名: ")
    assert "缺少评分偏离说明: E01 B01/T1" in page.status_label.text()
    assert "客观分评分不一致，须申请更正: B01/M1" in page.status_label.text()
    flags = page.summary_table.flags_label.text()
    assert flags.startswith("评分偏离 (须书面说明):")  # a supervisor sees every expert's flags
    assert "E01 B01/T1 施工方案: 0 (平均分 4.8) — 待说明" in flags
    assert "按标准给分" not in flags  # the text counts only once the summary says it was explained
    assert "B01/M1: E01 4, E02 2" in page.summary_table.inconsistencies_label.text()
    t1 = page.summary_table.model.index(0, page.summary_table.model.column_of("T1"))
    assert page.summary_table.model.data(t1, Qt.ItemDataRole.BackgroundRole).color() != OWN_UNEXPLAINED

    summary.deviation_flags[0].explained = True
    source.sig_summary.emit(summary)
    assert "E01 B01/T1 施工方案: 0 (平均分 4.8) — 已说明: 按标准给分" in page.summary_table.flags_label.text()
    assert "缺少评分偏离说明" not in page.status_label.text()
    del summary.objective_inconsistencies[:]
    source.sig_summary.emit(summary)
    assert page.status_label.text() == "汇总已完成，等待组长确定排名。"

    view.phase = common_pb2.PHASE_REPORT
    view.members[0].signed = True
    notes.add("ReportSigned", "E01", {"agree": False, "dissent": "报价分计算有误"})
    page.show_view(view, busy=False)
    page.set_notes(notes)
    assert not page.signing_box.isHidden()
    assert [page.signing_panel.item(i).text() for i in range(page.signing_panel.count())] == [
        "E01 E01 — ✗ 已签署 (不同意): 报价分计算有误",
        "E02 E02 — … 未签署",
    ]
    assert "已签署 1 / 2" in page.status_label.text()


def test_the_expert_and_supervisor_pages_share_the_read_only_widgets(qtbot: QtBot) -> None:
    source = SummarySource(lambda: session_pb2.GroupSummary(), run=lambda *_: None)
    expert = SummaryPage(lambda *_a, **_k: None, source)
    overview = ResultsOverview(source)
    qtbot.addWidget(expert)
    qtbot.addWidget(overview)
    assert type(expert.summary_table) is type(overview.summary_table)
    assert expert.price_table is expert.price_panel.table
    assert expert.ranking_table is expert.ranking_panel.table
    view = _view()
    expert.show_view(view, busy=False)
    overview_view = _view()
    overview_view.caller_id = "S01"
    overview.show_view(overview_view, busy=False)
    source.sig_summary.emit(_summary())
    # The expert E01 sees no "others" flag (the only flag is their own, in its box); the supervisor sees it.
    assert expert.others_flags_label.text() == ""
    assert "E01 B01/T1" in overview.summary_table.flags_label.text()
    assert (
        expert.model.cell_text("B03", "T1") == overview.summary_table.model.cell_text("B03", "T1") == "6.00"
    )
