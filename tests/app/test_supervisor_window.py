"""The supervisor's console against a real server: S01 uses the window, E01-E05 are simulated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from app.models.progress import Column
from app.services.cache import SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Sequencer, signer_from_pem
from app.services.sync import SyncEngine
from app.services.witness import LogWitness
from app.ui.login import LoginWindow
from app.ui.result_pages import ranking_rows
from app.ui.session_window import open_session_window
from app.ui.supervisor_window import SupervisorWindow, event_text
from bideval.identity.pki import Role, cert_from_pem
from bideval.v1 import common_pb2, evaluation_service_pb2
from tests.app.test_login import credential_file
from tests.support import RunningServer

PIN = "135790"
SUPERVISOR = "S01"
DEVICE = "S01-desktop"
EXPERTS = ("E01", "E02", "E03", "E04", "E05")
WAIT = 20_000  # ms


@dataclass
class Setup:
    window: SupervisorWindow
    engine: SyncEngine
    driver: CommitteeDriver
    experts: dict[str, ApiClient]
    session_id: str

    def phase(self) -> int:
        view = self.window.view
        return common_pb2.PHASE_UNSPECIFIED if view is None else view.phase

    def expert_view_paused(self, person_id: str) -> tuple[bool, str]:
        view = self.driver.view(person_id)
        return view.paused, view.pause_reason


@pytest.fixture
def setup(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> Iterator[Setup]:
    cache = SessionCache.create(tmp_path / "cache", server.session_id, SUPERVISOR, DEVICE, PIN)
    cert_pem, key_pem = server.pki.person(SUPERVISOR, Role.SUPERVISOR)
    own = server.client(SUPERVISOR, Role.SUPERVISOR, device="desktop")
    signer = signer_from_pem(cert_pem, key_pem)
    own.sequencer = Sequencer(DEVICE, signer, *cache.device_state())
    # As session_start.open_session does for a supervisor: the witness co-signs every head it checked.
    ca = cert_from_pem(server.pki.directory.ca_path.read_bytes())
    own.witness = LogWitness(own.audit, ca, signer, cache.tree_head())
    engine = SyncEngine(cache, own, server.session_id, idle_poll=0.5)
    engine.start()
    experts = {person: server.client(person) for person in EXPERTS}
    driver = CommitteeDriver(server.session_id, experts, server.client("S02", Role.SUPERVISOR))
    window = SupervisorWindow(
        own, engine, server.session_id, refresh_interval_ms=200, witness_interval_ms=300
    )
    qtbot.addWidget(window)
    try:
        yield Setup(window, engine, driver, experts, server.session_id)
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
        engine.stop(timeout=10)
        cache.close()


def test_the_supervisor_follows_the_committee_and_approves_the_start(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    assert window.windowTitle().startswith("远程异地评标系统 — ")
    assert window.windowTitle().endswith("(监督人员)")
    model = window.progress_model
    assert model.rowCount() == 7  # five members and two reserves
    assert model.text("E06", Column.STATUS) == "候补"
    assert model.text("E01", Column.CHECKED_IN) == "—"
    assert "V01" not in model.text("E01", Column.VENUE)  # the city, not the id
    assert not window.approve_start_button.isEnabled()
    assert "等待开始" in window.approve_start_button.toolTip()

    # Progress as the experts check in.
    setup.driver.check_in(["E01", "E02"])
    qtbot.waitUntil(lambda: model.text("E02", Column.CHECKED_IN) == "✓", timeout=WAIT)
    assert model.text("E03", Column.CHECKED_IN) == "—"
    assert "E03" in window.phase_label.text()  # waiting for E03, E04, E05
    setup.driver.check_in()
    setup.driver.accept_pledge()
    setup.driver.declare_no_conflict()
    setup.driver.elect("E02")
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_AWAITING_START, timeout=WAIT)
    qtbot.waitUntil(lambda: "(组长)" in model.text("E02", Column.EXPERT), timeout=WAIT)
    assert model.text("E01", Column.PLEDGED) == "✓"

    # Before the leader asks, approving is impossible and the tooltip says why.
    assert not window.approve_start_button.isEnabled()
    assert window.approve_start_button.toolTip() == "组长尚未申请开始"
    setup.experts["E02"].command("RequestStart", setup.session_id)
    qtbot.waitUntil(window.approve_start_button.isEnabled, timeout=WAIT)
    assert window.approve_start_button.toolTip() == ""

    window.approve_start_button.click()
    assert not window.approve_start_button.isEnabled()  # no double approval while it syncs
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PRELIMINARY_REVIEW, timeout=WAIT)
    assert not window.approve_start_button.isEnabled()

    # The activity feed, newest first, in words.
    qtbot.waitUntil(lambda: any("批准开始评标" in line for line in window.feed_lines()), timeout=WAIT)
    lines = window.feed_lines()
    assert any("组长申请开始评标" in line for line in lines)
    assert any("E01 刘建华: 签到" in line for line in lines)
    newest_first = [line for line in lines if "批准开始评标" in line or "组长申请开始评标" in line]
    assert "批准开始评标" in newest_first[0]

    qtbot.waitUntil(lambda: window.sync_labels.unsynced_label.text() == "未同步变更: 0", timeout=WAIT)
    assert window.sync_labels.connection_label.text() == "已连接"


def test_a_pause_needs_a_reason_and_reaches_the_experts(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    qtbot.waitUntil(window.pause_button.isEnabled, timeout=WAIT)
    assert not window.resume_button.isEnabled()
    assert window.resume_button.toolTip() == "评标未暂停"

    # An empty reason is refused here, before anything is recorded.
    window.pause_reason_edit.setText("   ")
    window.pause_button.click()
    assert window.message_label.text() == "暂停评标须填写理由"
    assert window.recorder.pending() == 0
    assert setup.engine.status().unsynced == 0

    window.pause_reason_edit.setText("副场网络中断，暂停评标")
    window.pause_button.click()
    assert window.pause_reason_edit.text() == ""
    qtbot.waitUntil(lambda: not window.pause_banner.isHidden(), timeout=WAIT)
    assert "副场网络中断，暂停评标" in window.pause_banner.text()
    assert setup.expert_view_paused("E04") == (True, "副场网络中断，暂停评标")
    qtbot.waitUntil(window.resume_button.isEnabled, timeout=WAIT)
    assert not window.pause_button.isEnabled()

    window.pause_reason_edit.setText("网络已恢复")
    window.resume_button.click()
    qtbot.waitUntil(window.pause_banner.isHidden, timeout=WAIT)
    assert setup.expert_view_paused("E04") == (False, "")
    qtbot.waitUntil(window.pause_button.isEnabled, timeout=WAIT)
    qtbot.waitUntil(lambda: any("恢复评标: 网络已恢复" in line for line in window.feed_lines()), timeout=WAIT)
    assert any("暂停评标: 副场网络中断" in line for line in window.feed_lines())


def test_a_recusal_and_the_replacement_by_a_reserve(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    model = window.progress_model
    qtbot.waitUntil(window.set_recusal_button.isEnabled, timeout=WAIT)
    assert not window.replace_button.isEnabled()
    assert window.replace_button.toolTip() == "没有已回避、待替换的专家"

    window.recusal_member_combo.setCurrentIndex(window.recusal_member_combo.findData("E03"))
    window.set_recusal_button.click()  # no ground chosen
    assert window.message_label.text() == "请至少选择一项回避事由"
    window.recusal_grounds["employment_or_control"].setChecked(True)
    window.set_recusal_button.click()  # no reason given
    assert window.message_label.text() == "决定回避须填写理由"
    window.recusal_reason_edit.setText("近三年曾在投标人B02任职")
    window.set_recusal_button.click()
    qtbot.waitUntil(lambda: model.text("E03", Column.STATUS) == "已回避", timeout=WAIT)
    assert "劳动关系" in model.text("E03", Column.DECLARED)

    qtbot.waitUntil(window.replace_button.isEnabled, timeout=WAIT)
    assert window.replaced_combo.currentData() == "E03"
    window.reserve_combo.setCurrentIndex(window.reserve_combo.findData("E06"))
    window.replace_button.click()
    qtbot.waitUntil(lambda: model.text("E03", Column.STATUS) == "已替换 → E06", timeout=WAIT)
    assert model.text("E06", Column.STATUS) == "在席"
    qtbot.waitUntil(lambda: any("候补专家 E06" in line for line in window.feed_lines()), timeout=WAIT)
    assert window.message_label.text() == ""


def test_a_refused_decision_is_shown(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    # Recorded directly: the button is disabled in this state, but the server has the last word.
    window._record("ResumeSession", reason="没有暂停")
    qtbot.waitUntil(lambda: "服务器未接受 ResumeSession" in window.message_label.text(), timeout=WAIT)
    qtbot.waitUntil(window.pause_button.isEnabled, timeout=WAIT)


def test_the_witness_co_signs_the_heads_it_checked(qtbot: QtBot, setup: Setup) -> None:
    window = setup.window
    qtbot.waitUntil(lambda: window.cosigned_count >= 1, timeout=WAIT)
    first = window.cosigned_count
    setup.driver.check_in(["E01"])  # the log grows; the console checks and co-signs the new head
    qtbot.waitUntil(lambda: window.cosigned_count > first, timeout=WAIT)
    qtbot.waitUntil(
        lambda: f"本人已联署树头: {window.cosigned_count} 个" in window.witness_label.text(), timeout=WAIT
    )
    witness = setup.window.client.witness
    assert witness is not None
    assert witness.last_head is not None
    assert f"{witness.last_head.tree_size} 条记录" in window.witness_label.text()


def test_event_texts_are_chinese_sentences() -> None:
    names = {"E03": "王海燕", "E06": "吴振宇"}
    assert event_text("MemberReplaced", {"replaced_id": "E03", "replacement_id": "E06"}, names) == (
        "候补专家 E06 吴振宇 替换 E03 王海燕"
    )
    assert event_text("PhaseChanged", {"to": "preliminary_review", "reason": ""}, names) == "进入「初步评审」"
    assert event_text("SessionPaused", {"reason": "断网"}, names) == "暂停评标: 断网"
    assert event_text("ElectionOpened", {"round": 2.0}, names) == "开始推选组长, 第 2 轮"
    assert event_text("SomethingNew", {}, names) == "SomethingNew"


def test_clarification_and_roll_back_approvals(qtbot: QtBot, setup: Setup) -> None:
    window, driver = setup.window, setup.driver
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    assert not window.approve_rollback_button.isEnabled()
    assert window.approve_rollback_button.toolTip() == "没有待审批的回退申请"
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E02")
    driver.start()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PRELIMINARY_REVIEW, timeout=WAIT)
    bidder = driver.view().bidders[0].id

    # The leader's questions await approval: the first is approved, the second refused with a note.
    setup.experts["E02"].command(
        "RequestClarification", setup.session_id, bidder_id=bidder, question="请说明工期计划的依据"
    )
    setup.experts["E02"].command(
        "RequestClarification", setup.session_id, bidder_id=bidder, question="贵公司报价是否偏低？"
    )
    qtbot.waitUntil(lambda: window.clarifications_list.count() == 2, timeout=WAIT)
    assert not window.approve_clarification_button.isEnabled()
    assert window.approve_clarification_button.toolTip() == "请先选择一个澄清问题"
    window.clarifications_list.setCurrentRow(0)
    assert window.approve_clarification_button.isEnabled()
    window.approve_clarification_button.click()
    qtbot.waitUntil(lambda: "已发出" in window.clarifications_list.item(0).text(), timeout=WAIT)
    qtbot.waitUntil(
        lambda: window.approve_clarification_button.toolTip() == "该澄清问题不在待审批状态", timeout=WAIT
    )
    assert not window.approve_clarification_button.isEnabled()
    window.clarifications_list.setCurrentRow(1)
    qtbot.waitUntil(window.reject_clarification_button.isEnabled, timeout=WAIT)
    window.reject_clarification_button.click()  # no note
    assert window.message_label.text() == "不批准澄清须填写意见"
    window.clarification_note_edit.setText("问题带有暗示性，不符合澄清要求")
    window.reject_clarification_button.click()
    qtbot.waitUntil(lambda: "未批准" in window.clarifications_list.item(1).text(), timeout=WAIT)
    statuses = {c.question: c.status for c in driver.view("E01").clarifications}
    assert statuses == {"请说明工期计划的依据": "sent", "贵公司报价是否偏低？": "rejected"}

    # The leader asks to roll back from the detailed review; the supervisor approves.
    driver.preliminary()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_DETAILED_REVIEW, timeout=WAIT)
    setup.experts["E02"].command(
        "RequestRollback",
        setup.session_id,
        target_phase=common_pb2.PHASE_PRELIMINARY_REVIEW,
        reason="初步评审漏审投标保证金",
    )
    qtbot.waitUntil(window.approve_rollback_button.isEnabled, timeout=WAIT)
    assert "初步评审漏审投标保证金" in window.rollback_label.text()
    window.approve_rollback_button.click()
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_PRELIMINARY_REVIEW, timeout=WAIT)
    qtbot.waitUntil(lambda: not window.approve_rollback_button.isEnabled(), timeout=WAIT)
    assert window.rollback_label.text() == "没有待审批的回退申请。"
    assert window.view is not None
    assert window.view.archive_count == 1


def test_a_supervisor_logs_in_to_the_console(qtbot: QtBot, server: RunningServer, tmp_path: Path) -> None:
    login = LoginWindow(server.address, str(credential_file(server, tmp_path, SUPERVISOR, Role.SUPERVISOR)))
    qtbot.addWidget(login)
    login.pin_edit.setText("246810")  # the PIN credential_file writes
    with qtbot.waitSignal(login.sig_logged_in, timeout=WAIT) as logged_in:
        login.submit()
    result = logged_in.args[0]
    assert result.caller_role == "ROLE_SUPERVISOR"
    assert result.opened is not None  # the supervisor's decisions are queued in their own cache
    window = open_session_window(login, result)  # what the client runs after any login: routed by role
    assert isinstance(window, SupervisorWindow)
    qtbot.addWidget(window)
    assert not login.isVisible()
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    assert window.windowTitle().endswith("(监督人员)")
    qtbot.waitUntil(lambda: window.cosigned_count >= 1, timeout=WAIT)  # open_session gave it a co-signer
    window.close()
    qtbot.waitUntil(lambda: not window.busy, timeout=WAIT)
    result.opened.close()


def shown(table: QTableWidget) -> list[list[str]]:
    def text(row: int, column: int) -> str:
        item = table.item(row, column)
        return "" if item is None else item.text()

    return [[text(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_console_shows_the_summary_the_price_scores_and_the_ranking(qtbot: QtBot, setup: Setup) -> None:
    window, driver, sid = setup.window, setup.driver, setup.session_id
    page = window.results_page
    qtbot.waitUntil(lambda: window.view is not None, timeout=WAIT)
    assert [window.center_tabs.tabText(i) for i in range(2)] == ["评标委员会进度", "汇总与排名"]
    window.center_tabs.setCurrentWidget(page)
    # Before the summary the tab is empty and says why.
    assert page.results.isHidden()
    assert "尚无汇总结果" in page.status_label.text()

    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect("E02")
    driver.start()
    driver.preliminary()
    view = driver.view()
    valid = list(view.preliminary.valid_bidder_ids)
    items = [c for c in view.method.criteria if c.stage == "detailed" and c.kind != "price"]
    judged = next(c for c in items if c.kind == "score")
    for person in EXPERTS[:-1]:
        driver.detailed_sheet(person, view=view)
    # E05 gives the first valid bid the minimum on a judged item: far outside the others' band (flagged).
    e05 = setup.experts["E05"]
    for bidder_id in valid:
        for item in items:
            entry = driver.score_entry("E05", bidder_id, item, spread=0.12)
            if item.id == judged.id and bidder_id == valid[0]:
                entry.points = item.min_points
            e05.command("RecordScore", sid, entry=entry)
    e05.command("SubmitDetailed", sid)
    qtbot.waitUntil(lambda: "等待组长 E02 运行汇总" in page.status_label.text(), timeout=WAIT)
    assert page.results.isHidden()
    assert not page.shows_results  # the summary is fetched now, but the leader has not run it yet

    # The leader runs the summary: the tab shows the server's numbers, the flag still unexplained.
    setup.experts["E02"].command("RunSummary", sid)
    qtbot.waitUntil(lambda: page.shows_results, timeout=WAIT)
    server = driver.summary()
    qtbot.waitUntil(lambda: page.summary == server, timeout=WAIT)
    assert not page.results.isHidden()
    model = page.summary_table.model
    assert model.rowCount() == len(server.totals)
    columns = {model.criterion_id(c) for c in range(model.columnCount())}
    for group in server.items:
        if group.criterion_id not in columns:
            continue
        assert model.cell_text(group.bidder_id, group.criterion_id) == group.group_points
        tooltip = model.data(
            model.index(model.row_of(group.bidder_id), model.column_of(group.criterion_id)),
            Qt.ItemDataRole.ToolTipRole,
        )
        for expert_id, points in group.expert_points.items():
            assert f"{expert_id}: {points}" in tooltip  # a supervisor sees every expert's value
    for total in server.totals:
        assert model.total(total.bidder_id) == total.total
        assert model.price_score(total.bidder_id) == total.price_score
    price = server.price
    assert price.formula_version in page.price_panel.label.text()
    assert f"下浮前基准价: {price.base_before_float}" in page.price_panel.label.text()
    assert f"评标基准价: {price.base}" in page.price_panel.label.text()
    rows = shown(page.price_panel.table)
    assert [row[1] for row in rows] == [line.price for line in price.scores]
    assert [row[4] for row in rows] == [line.deviation_percent or "—" for line in price.scores]
    assert [row[6] for row in rows] == [line.deduction or "—" for line in price.scores]
    assert [row[7] for row in rows] == [line.score for line in price.scores]
    assert price.steps[-1] in page.price_panel.steps.text()
    flag = next(f for f in server.deviation_flags if f.expert_id == "E05" and f.bidder_id == valid[0])
    assert flag.criterion_id == judged.id
    flags = page.summary_table.flags_label.text()
    assert flags.startswith("评分偏离 (须书面说明):")
    assert f"E05 {valid[0]}/{judged.id}" in flags
    assert "待说明" in flags
    status = page.status_label.text()
    assert status.startswith("汇总已完成。组长尚不能确定排名: 缺少评分偏离说明: ")
    assert f"E05 {valid[0]}/{judged.id}" in status
    assert page.ranking_panel.table.rowCount() == 0
    assert "排名尚未确定" in page.ranking_panel.label.text()

    # The experts explain (the console shows what they wrote), the leader decides the ranking.
    driver.summarize()
    qtbot.waitUntil(
        lambda: "已说明: 该投标文件施工方案针对性强" in page.summary_table.flags_label.text(), timeout=WAIT
    )
    assert "待说明" not in page.summary_table.flags_label.text()
    final = driver.finalize()
    names = {b.id: b.name for b in view.bidders}
    qtbot.waitUntil(lambda: shown(page.ranking_panel.table) == ranking_rows(final, names), timeout=WAIT)
    assert [row[1].split()[0] for row in shown(page.ranking_panel.table)] == [
        r.bidder_id for r in final.ranking
    ]
    assert 0 < sum(1 for r in final.ranking if r.candidate) <= 3
    assert page.summary == final

    # The report: who signed, who dissented (and why), who refused.
    qtbot.waitUntil(lambda: not page.signing_box.isHidden(), timeout=WAIT)
    setup.experts["E01"].command(
        "SignReport",
        sid,
        decision=evaluation_service_pb2.SIGN_DECISION_DISAGREE,
        dissent="第一中标候选人业绩证明不足",
    )
    setup.experts["E03"].command("SignReport", sid, decision=evaluation_service_pb2.SIGN_DECISION_REFUSE)
    setup.experts["E02"].command("SignReport", sid, decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
    qtbot.waitUntil(lambda: "已签署 3 / 5" in page.status_label.text(), timeout=WAIT)

    def signing() -> dict[str, str]:
        panel = page.signing_panel
        return {panel.item(i).text().split()[0]: panel.item(i).text() for i in range(panel.count())}

    qtbot.waitUntil(lambda: "不同意" in signing()["E01"] and "拒绝签字" in signing()["E03"], timeout=WAIT)
    assert signing()["E01"].endswith("✗ 已签署 (不同意): 第一中标候选人业绩证明不足")
    assert "视为同意" in signing()["E03"]
    assert signing()["E02"].endswith("✓ 已签署 (同意)")
    assert signing()["E04"].endswith("… 未签署")
    for person in ("E04", "E05"):
        setup.experts[person].command("SignReport", sid, decision=evaluation_service_pb2.SIGN_DECISION_AGREE)
    qtbot.waitUntil(lambda: setup.phase() == common_pb2.PHASE_CLOSED, timeout=WAIT)
    qtbot.waitUntil(lambda: "评标结束" in page.status_label.text(), timeout=WAIT)
    assert shown(page.ranking_panel.table) == ranking_rows(final, names)
    # Read only: the tab has no button at all.
    assert page.findChildren(QPushButton) == []
