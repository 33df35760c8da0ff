"""The supervisor's (监督人员) console: live overview, activity feed, supervision actions, audit witness.

Like the expert's window, everything shown comes from the server: the ``SessionView`` (polled by
:meth:`SupervisorWindow.refresh` through :func:`~app.operations.run_in_background`, coalesced), the
session's events (read with ``SubscribeEvents`` in the background whenever the view's ``last_sequence``
moves past the newest event shown), the :class:`~app.services.sync.SyncEngine` status and the client's
:class:`~app.services.witness.LogWitness`. Every decision is recorded local first through the engine
(:class:`~app.ui.actions.ActionRecorder`); the GUI thread never waits on the network.

A supervisor watches, approves and pauses; they never score (DOMAIN.md). Each action button is enabled only
when the session's state allows the action; otherwise it is disabled and its tooltip says why.

Next to the committee's progress, the tab 汇总与排名 (:class:`~app.ui.result_pages.ResultsOverview`, read
only) shows what the committee produced: the ``GroupSummary`` (fetched by a
:class:`~app.ui.result_pages.SummarySource` once per ``last_sequence`` change, as on the experts' pages)
plus what only the events carry (the explanations' texts, the signing decisions), taken from the events
read for the feed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any, cast

import grpc
import shiboken6
from google.protobuf.json_format import MessageToDict
from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe, is_transient
from app.models.progress import MemberProgressModel
from app.models.summary import ResultNotes
from app.operations import run_in_background
from app.services.connection import ApiClient
from app.services.sync import SyncEngine, SyncStatus
from app.services.witness import AuditLogError
from app.ui.actions import ActionRecorder, Answer, refusal_text
from app.ui.login import LoginResult, phase_text, role_text, window_title
from app.ui.result_pages import ResultsOverview, SummarySource, summary_fetch
from app.ui.session_end import CacheRetirement
from app.ui.session_window import (
    PauseBanner,
    recusal_grounds,
    session_view_fetch,
    show_instead_of_login,
    show_steps,
    waiting_for,
)
from app.ui.status_bar import SyncStatusLabels
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

_CONTEXT = "SupervisorWindow"
QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""

FEED_LIMIT = 500  # activity lines kept; older ones are in the audit log anyway
TERMINAL = frozenset({common_pb2.PHASE_CLOSED, common_pb2.PHASE_FAILED_TENDER})
CLARIFICATION_PHASES = frozenset({common_pb2.PHASE_PRELIMINARY_REVIEW, common_pb2.PHASE_DETAILED_REVIEW})


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


# -- the activity feed: pure functions of an event ---------------------------------------------------------

_CLARIFICATION_STATUS = {
    "pending_approval": QT_TRANSLATE_NOOP("SupervisorWindow", "待监督审批"),
    "rejected": QT_TRANSLATE_NOOP("SupervisorWindow", "未批准"),
    "sent": QT_TRANSLATE_NOOP("SupervisorWindow", "已发出"),
    "answered": QT_TRANSLATE_NOOP("SupervisorWindow", "已答复"),
}
"""A clarification's status in the supervisor's list (source text, translated where shown)."""


def _phase_name(value: object) -> str:
    """The name of a phase an event names by its domain value ("detailed_review")."""
    try:
        phase = common_pb2.Phase.Value("PHASE_" + str(value).upper())
    except ValueError:
        return str(value)  # a phase this client does not know: its name as the server wrote it
    return phase_text(phase)


def _number(value: object) -> str:
    """A Struct number as written: protobuf's Struct holds every number as a float (1 → 1.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value if value is not None else "")


def _with(text: str, extra: object) -> str:
    """``text`` followed by a reason or note, when there is one."""
    extra = str(extra or "").strip()
    return f"{text}: {extra}" if extra else text


def event_text(kind: str, details: dict[str, Any], names: dict[str, str]) -> str:
    """A Chinese sentence for a session event (``details`` as a dict, ``names`` person id -> name)."""

    def who(key: str) -> str:
        person = str(details.get(key, ""))
        return f"{person} {names.get(person, '')}".strip()

    match kind:
        case "MemberCheckedIn":
            return _tr("签到")
        case "PledgeAccepted":
            return _tr("确认承诺书")
        case "RecusalDeclared":
            grounds = details.get("grounds") or []
            return _tr("声明需要回避") if grounds else _tr("声明无利害关系")
        case "RecusalSet":
            return _with(_tr("监督人员决定 %1 回避").replace("%1", who("expert_id")), details.get("reason"))
        case "MemberReplaced":
            return (
                _tr("候补专家 %2 替换 %1")
                .replace("%1", who("replaced_id"))
                .replace("%2", who("replacement_id"))
            )
        case "ElectionOpened":
            return _tr("开始推选组长, 第 %1 轮").replace("%1", _number(details.get("round")))
        case "LeaderVoteCast":
            return _tr("投票推选组长")
        case "ElectionTied":
            return _tr("推选组长票数相同, 进入下一轮")
        case "LeaderElected":
            return _tr("当选组长: %1").replace("%1", who("leader_id"))
        case "StartRequested":
            return _tr("组长申请开始评标")
        case "StartApproved":
            return _with(_tr("监督人员批准开始评标"), details.get("note"))
        case "StartRejected":
            return _with(_tr("监督人员不批准开始评标"), details.get("note"))
        case "PhaseChanged":
            # The server's reason is a developer's sentence; what caused the change is in the feed already.
            return _tr("进入「%1」").replace("%1", _phase_name(details.get("to")))
        case "PreliminaryVerdictRecorded":
            return _tr("记录初步评审意见")
        case "PreliminarySubmitted":
            return _tr("提交初步评审")
        case "PreliminaryConcluded":
            return _tr("初步评审结论形成")
        case "TenderFailed":
            return _with(_tr("流标"), details.get("reason"))
        case "DetailedSheetsReopened":
            return _with(_tr("重新打开详细评审表"), details.get("reason"))
        case "ClarificationRequested":
            return _tr("提出澄清问题 %1").replace("%1", str(details.get("clarification_id", "")))
        case "ClarificationApproved":
            return _tr("监督人员批准澄清问题 %1").replace("%1", str(details.get("clarification_id", "")))
        case "ClarificationRejected":
            text = _tr("监督人员未批准澄清问题 %1").replace("%1", str(details.get("clarification_id", "")))
            return _with(text, details.get("note"))
        case "ClarificationAnswered":
            return _tr("投标人答复澄清问题 %1").replace("%1", str(details.get("clarification_id", "")))
        case "ScoreRecorded":
            return _tr("记录详细评审评分")
        case "DetailedSubmitted":
            return _tr("提交详细评审")
        case "SummaryComputed":
            return _tr("组长完成汇总")
        case "DeviationExplained":
            return _tr("提交评分偏离说明")
        case "CorrectionRequested":
            return _with(_tr("申请修正 %1 的评分").replace("%1", who("expert_id")), details.get("reason"))
        case "RollbackRequested":
            text = _tr("组长申请回退到「%1」").replace("%1", _phase_name(details.get("target")))
            return _with(text, details.get("reason"))
        case "RollbackApproved":
            text = _tr("监督人员批准回退到「%1」").replace("%1", _phase_name(details.get("target")))
            return _with(text, details.get("note"))
        case "RollbackRejected":
            text = _tr("监督人员未批准回退到「%1」").replace("%1", _phase_name(details.get("target")))
            return _with(text, details.get("note"))
        case "RankingFinalized":
            return _tr("确定排名")
        case "ReportSigned":
            return _tr("签署评标报告") if details.get("agree", True) else _tr("签署评标报告 (不同意见)")
        case "SigningRefused":
            return _tr("拒绝签字")
        case "SessionPaused":
            return _with(_tr("暂停评标"), details.get("reason"))
        case "SessionResumed":
            return _with(_tr("恢复评标"), details.get("reason"))
    return kind


def feed_line(event: session_pb2.SessionEvent, names: dict[str, str]) -> str:
    """``HH:MM:SS 张三: 签到`` (local time) for the activity feed."""
    at = (
        event.occurred_at.ToDatetime(tzinfo=UTC).astimezone().strftime("%H:%M:%S")
        if event.HasField("occurred_at")
        else ""
    )
    details = MessageToDict(event.details) if event.HasField("details") else {}
    actor = names.get(event.actor_id, "")
    actor = f"{event.actor_id} {actor}".strip() if event.actor_id else _tr("系统")
    return f"{at} {actor}: {event_text(event.kind, details, names)}"


def fetch_events(
    client: ApiClient, session_id: str, after: int, until: int
) -> list[session_pb2.SessionEvent]:
    """The events after ``after`` up to at least ``until``, read from ``SubscribeEvents`` (worker thread).

    The stream stays open on the server; it is cancelled as soon as ``until`` arrived. A stream cut short
    returns what it delivered (the next refresh asks for the rest)."""
    request = evaluation_service_pb2.SubscribeEventsRequest(session_id=session_id, after_sequence=after)
    stream = client.evaluation.SubscribeEvents(request, timeout=client.timeout)
    events: list[session_pb2.SessionEvent] = []
    try:
        for response in stream:
            events.append(response.event)
            if response.event.sequence >= until:
                break
    except grpc.RpcError:
        if not events:
            raise
    finally:
        stream.cancel()
    return events


# -- the window ---------------------------------------------------------------------------------------------


def _names(view: session_pb2.SessionView) -> dict[str, str]:
    names = {m.person_id: m.name for m in view.members}
    names.update({s.person_id: s.name for s in view.supervisors})
    return names


class SupervisorWindow(QMainWindow):
    """The supervisor's console for one session (see the module docstring)."""

    sig_view_changed = Signal(object)
    """Emitted on the GUI thread with each SessionView the window applied."""

    def __init__(
        self,
        client: ApiClient,
        engine: SyncEngine,
        session_id: str,
        person_name: str = "",
        *,
        refresh_interval_ms: int = 1000,
        witness_interval_ms: int = 5000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.engine = engine
        self.session_id = session_id
        self.person_name = person_name
        self.view: session_pb2.SessionView | None = None
        self._closed = False
        # A decision the server answered shows in the views fetched after the answer: until such a view
        # arrived, the buttons stay as they were set when the decision was recorded.
        self._view_fetch = 0  # number of the fetch (self.poller) of the view shown
        self._fresh_from = 0
        self._fetching_events = False
        self.feed_last = 0  # sequence of the newest event in the feed
        self._witnessing = False
        self._witness_error = ""
        self._notice = ""
        self._run = run_in_background

        self.poller = session_view_fetch(client, session_id, self, engine)
        self.poller.sig_done.connect(self._view_fetched)
        self.poller.sig_failed.connect(self._view_failed)
        self.recorder = ActionRecorder(engine, self)
        self.cache_retirement = CacheRetirement(engine, parent=self)
        self.cache_retirement.sig_message.connect(self._show_notice)
        self.recorder.sig_answered.connect(self._answered)
        self.recorder.sig_failed.connect(self._show_notice)

        # overview
        self.pause_banner = PauseBanner()
        self.phase_label = QLabel(self.tr("正在读取评标会话…"))
        self.phase_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #b71c1c;")
        self.steps_list = QListWidget()
        self.steps_list.setMaximumWidth(220)
        self.progress_model = MemberProgressModel(self)
        self.progress_table = QTableView()
        self.progress_table.setModel(self.progress_model)
        self.progress_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.progress_table.verticalHeader().hide()
        self.progress_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.progress_table.horizontalHeader().setStretchLastSection(True)
        self.feed_list = QListWidget()
        self.result_notes = ResultNotes()
        self.summary_source = SummarySource(summary_fetch(client, session_id), self)
        self.results_page = ResultsOverview(self.summary_source)
        self.witness_label = QLabel()
        self.witness_label.setWordWrap(True)

        # actions
        self.start_label = QLabel()
        self.start_label.setWordWrap(True)
        self.start_note_edit = QLineEdit()
        self.start_note_edit.setPlaceholderText(self.tr("意见 (不批准时必填)"))
        self.approve_start_button = QPushButton(self.tr("批准开始"))
        self.refuse_start_button = QPushButton(self.tr("不批准"))
        self.pause_reason_edit = QLineEdit()
        self.pause_reason_edit.setPlaceholderText(self.tr("暂停或恢复的理由 (必填)"))
        self.pause_button = QPushButton(self.tr("暂停评标"))
        self.resume_button = QPushButton(self.tr("恢复评标"))

        self.recusal_member_combo = QComboBox()
        self.recusal_grounds: dict[str, QCheckBox] = {}
        self.recusal_reason_edit = QLineEdit()
        self.recusal_reason_edit.setPlaceholderText(self.tr("回避理由 (必填)"))
        self.set_recusal_button = QPushButton(self.tr("决定回避"))
        self.replaced_combo = QComboBox()
        self.reserve_combo = QComboBox()
        self.replace_button = QPushButton(self.tr("由候补专家替换"))

        self.clarifications_list = QListWidget()
        self.clarification_note_edit = QLineEdit()
        self.clarification_note_edit.setPlaceholderText(self.tr("意见 (不批准时必填)"))
        self.approve_clarification_button = QPushButton(self.tr("批准发出"))
        self.reject_clarification_button = QPushButton(self.tr("不批准"))

        self.rollback_label = QLabel()
        self.rollback_label.setWordWrap(True)
        self.rollback_note_edit = QLineEdit()
        self.rollback_note_edit.setPlaceholderText(self.tr("意见 (不批准时必填)"))
        self.approve_rollback_button = QPushButton(self.tr("批准回退"))
        self.reject_rollback_button = QPushButton(self.tr("不批准回退"))

        self._build_layout()

        self.approve_start_button.clicked.connect(lambda: self.approve_start(True))
        self.refuse_start_button.clicked.connect(lambda: self.approve_start(False))
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.set_recusal_button.clicked.connect(self.set_recusal)
        self.replace_button.clicked.connect(self.replace_member)
        self.approve_clarification_button.clicked.connect(lambda: self.decide_clarification(True))
        self.reject_clarification_button.clicked.connect(lambda: self.decide_clarification(False))
        self.approve_rollback_button.clicked.connect(lambda: self.decide_rollback(True))
        self.reject_rollback_button.clicked.connect(lambda: self.decide_rollback(False))
        self.clarifications_list.currentItemChanged.connect(lambda *_: self._update_actions())

        self.sync_labels = SyncStatusLabels(engine, self.statusBar(), self)
        self.sync_labels.sig_status.connect(self._sync_status_changed)
        self.sync_status: SyncStatus | None = None

        self.timer = QTimer(self)
        self.timer.setInterval(refresh_interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.witness_timer = QTimer(self)
        self.witness_timer.setInterval(witness_interval_ms)
        self.witness_timer.timeout.connect(self.check_witness)
        self.witness_timer.start()
        self._update_title()
        self._update_actions()
        self._show_witness()
        self.refresh()
        self.check_witness()

    # -- layout --------------------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        start_box = QGroupBox(self.tr("开始评标"))
        start_layout = QVBoxLayout(start_box)
        start_layout.addWidget(self.start_label)
        start_layout.addWidget(self.start_note_edit)
        start_buttons = QHBoxLayout()
        start_buttons.addWidget(self.approve_start_button)
        start_buttons.addWidget(self.refuse_start_button)
        start_layout.addLayout(start_buttons)
        pause_box = QGroupBox(self.tr("暂停与恢复"))
        pause_layout = QVBoxLayout(pause_box)
        pause_layout.addWidget(self.pause_reason_edit)
        pause_buttons = QHBoxLayout()
        pause_buttons.addWidget(self.pause_button)
        pause_buttons.addWidget(self.resume_button)
        pause_layout.addLayout(pause_buttons)
        gate_tab = QWidget()
        gate_layout = QVBoxLayout(gate_tab)
        gate_layout.addWidget(start_box)
        gate_layout.addWidget(pause_box)
        gate_layout.addStretch()

        recusal_tab = QWidget()
        recusal_layout = QVBoxLayout(recusal_tab)
        recusal_box = QGroupBox(self.tr("决定专家回避"))
        recusal_form = QVBoxLayout(recusal_box)
        recusal_form.addWidget(self.recusal_member_combo)
        for ground, text in recusal_grounds():
            box = QCheckBox(text)
            box.toggled.connect(lambda _checked: self._update_actions())
            self.recusal_grounds[ground.value] = box
            recusal_form.addWidget(box)
        recusal_form.addWidget(self.recusal_reason_edit)
        recusal_form.addWidget(self.set_recusal_button)
        replace_box = QGroupBox(self.tr("候补专家替换"))
        replace_form = QFormLayout(replace_box)
        replace_form.addRow(self.tr("已回避的专家"), self.replaced_combo)
        replace_form.addRow(self.tr("候补专家"), self.reserve_combo)
        replace_form.addRow(self.replace_button)
        recusal_layout.addWidget(recusal_box)
        recusal_layout.addWidget(replace_box)
        recusal_layout.addStretch()

        clarification_tab = QWidget()
        clarification_layout = QVBoxLayout(clarification_tab)
        clarification_layout.addWidget(self.clarifications_list)
        clarification_layout.addWidget(self.clarification_note_edit)
        clarification_buttons = QHBoxLayout()
        clarification_buttons.addWidget(self.approve_clarification_button)
        clarification_buttons.addWidget(self.reject_clarification_button)
        clarification_layout.addLayout(clarification_buttons)

        rollback_tab = QWidget()
        rollback_layout = QVBoxLayout(rollback_tab)
        rollback_layout.addWidget(self.rollback_label)
        rollback_layout.addWidget(self.rollback_note_edit)
        rollback_buttons = QHBoxLayout()
        rollback_buttons.addWidget(self.approve_rollback_button)
        rollback_buttons.addWidget(self.reject_rollback_button)
        rollback_layout.addLayout(rollback_buttons)
        rollback_layout.addStretch()

        self.action_tabs = QTabWidget()
        self.action_tabs.addTab(gate_tab, self.tr("开始与暂停"))
        self.action_tabs.addTab(recusal_tab, self.tr("回避与替换"))
        self.action_tabs.addTab(clarification_tab, self.tr("澄清审批"))
        self.action_tabs.addTab(rollback_tab, self.tr("回退审批"))

        feed_box = QGroupBox(self.tr("评标动态"))
        feed_layout = QVBoxLayout(feed_box)
        feed_layout.addWidget(self.feed_list)
        witness_box = QGroupBox(self.tr("审计日志见证"))
        witness_layout = QVBoxLayout(witness_box)
        witness_layout.addWidget(self.witness_label)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.action_tabs)
        right_layout.addWidget(feed_box, 1)
        right_layout.addWidget(witness_box)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.addWidget(self.pause_banner)
        center_layout.addWidget(self.phase_label)
        self.center_tabs = QTabWidget()
        self.center_tabs.addTab(self.progress_table, self.tr("评标委员会进度"))
        self.center_tabs.addTab(self.results_page, self.tr("汇总与排名"))
        center_layout.addWidget(self.center_tabs, 1)
        center_layout.addWidget(self.message_label)

        splitter = QSplitter()
        splitter.addWidget(self.steps_list)
        splitter.addWidget(center)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([self.steps_list.maximumWidth(), 6_000, 3_000])  # else the list's share stays blank
        self.setCentralWidget(splitter)

    # -- refreshing ----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Fetch the SessionView in the background and apply it (coalesced while one is in flight)."""
        if not self._closed:
            self.poller.fetch()

    def _view_fetched(self, number: int, view: session_pb2.SessionView) -> None:
        if self._closed:
            return
        self._view_fetch = number
        self.apply_view(view)

    def _view_failed(self, error: BaseException) -> None:
        if not self._closed and not is_transient(error):  # an outage shows in the status bar
            self._show_notice(describe(error))

    def apply_view(self, view: session_pb2.SessionView) -> None:
        self.view = view
        self._update_title()
        self.pause_banner.show_view(view)
        phase = phase_text(view.phase)
        waiting = waiting_for(view)
        self.phase_label.setText(self.tr("当前步骤: ") + phase + (f" — {waiting}" if waiting else ""))
        show_steps(self.steps_list, view)
        self.progress_model.set_view(view)
        self.results_page.show_view(view, busy=False)  # read only: nothing of the supervisor's in flight
        self.cache_retirement.show_view(view)
        self._show_choices(view)
        self._update_actions()
        self._fetch_events()
        self.sig_view_changed.emit(view)

    def _show_choices(self, view: session_pb2.SessionView) -> None:
        """Fill the combo boxes and lists the decisions choose from, keeping the current choices."""

        def fill(combo: QComboBox, members: Sequence[session_pb2.Member]) -> None:
            wanted = [(f"{m.person_id} {m.name}", m.person_id) for m in members]
            shown = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
            if wanted == shown:
                return
            current = combo.currentData()
            combo.clear()
            for text, person_id in wanted:
                combo.addItem(text, person_id)
            index = combo.findData(current)
            combo.setCurrentIndex(max(index, 0))

        fill(self.recusal_member_combo, [m for m in view.members if m.status == "active"])
        fill(self.replaced_combo, [m for m in view.members if m.status == "recused"])
        fill(self.reserve_combo, [m for m in view.members if m.status == "reserve"])

        wanted = [
            (
                f"{c.id} [{_tr(_CLARIFICATION_STATUS.get(c.status, c.status))}] {c.bidder_id}: {c.question}",
                c.id,
                c.status,
            )
            for c in view.clarifications
        ]
        shown = [
            (
                self.clarifications_list.item(i).text(),
                self.clarifications_list.item(i).data(Qt.ItemDataRole.UserRole),
                self.clarifications_list.item(i).data(Qt.ItemDataRole.UserRole + 1),
            )
            for i in range(self.clarifications_list.count())
        ]
        if wanted != shown:
            current = self.selected_clarification()
            self.clarifications_list.clear()
            for text, clarification_id, status in wanted:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, clarification_id)
                item.setData(Qt.ItemDataRole.UserRole + 1, status)
                self.clarifications_list.addItem(item)
                if clarification_id == current:
                    self.clarifications_list.setCurrentItem(item)

        if view.HasField("pending_rollback"):
            request = view.pending_rollback
            target = phase_text(request.target_phase)
            self.rollback_label.setText(
                self.tr("组长申请回退到「%1」, 理由: ").replace("%1", target) + request.reason
            )
        else:
            self.rollback_label.setText(self.tr("没有待审批的回退申请。"))

    def selected_clarification(self) -> str | None:
        item = self.clarifications_list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _update_title(self) -> None:
        view = self.view
        project = view.project.name if view is not None else "…"
        name = self.person_name
        if not name and view is not None:
            name = _names(view).get(view.caller_id, view.caller_id)
        self.setWindowTitle(window_title(project, name, role_text(common_pb2.ROLE_SUPERVISOR)))

    # -- which action is allowed now -----------------------------------------------------------------------

    def _blocked(self, rpc: str) -> str:
        """Why no supervision action is possible now ("" if one may be); ``rpc``'s own change in flight."""
        view = self.view
        if view is None:
            return self.tr("正在读取评标会话…")
        if view.phase in TERMINAL:
            return self.tr("评标已结束")
        if self.recorder.pending(rpc) or self._view_fetch < self._fresh_from:
            return self.tr("上一项决定正在同步到服务器…")
        return ""

    def _allowed(self, button: QPushButton, reason: str) -> None:
        button.setEnabled(not reason)
        button.setToolTip(reason)

    def _update_actions(self) -> None:
        view = self.view
        paused_text = self.tr("评标已暂停, 请先恢复")

        reason = self._blocked("ApproveStart")
        if not reason and view is not None:
            if view.phase != common_pb2.PHASE_AWAITING_START:
                reason = self.tr("只有在「等待开始」步骤才能批准开始")
            elif not view.start_requested:
                reason = self.tr("组长尚未申请开始")
            elif view.paused:
                reason = paused_text
        self._allowed(self.approve_start_button, reason)
        self._allowed(self.refuse_start_button, reason)
        if view is not None:
            self.start_label.setText(
                reason or self.tr("组长 %1 已申请开始评标。").replace("%1", view.leader_id)
            )

        reason = self._blocked("PauseSession")
        if not reason and view is not None and view.paused:
            reason = self.tr("评标已暂停")
        self._allowed(self.pause_button, reason)
        reason = self._blocked("ResumeSession")
        if not reason and view is not None and not view.paused:
            reason = self.tr("评标未暂停")
        self._allowed(self.resume_button, reason)

        reason = self._blocked("SetRecusal")
        if not reason and self.recusal_member_combo.count() == 0:
            reason = self.tr("没有在席的专家")
        self._allowed(self.set_recusal_button, reason)
        reason = self._blocked("ReplaceMember")
        if not reason and self.replaced_combo.count() == 0:
            reason = self.tr("没有已回避、待替换的专家")
        elif not reason and self.reserve_combo.count() == 0:
            reason = self.tr("没有可用的候补专家")
        self._allowed(self.replace_button, reason)

        reason = self._blocked("ApproveClarification")
        if not reason and view is not None:
            item = self.clarifications_list.currentItem()
            if view.phase not in CLARIFICATION_PHASES:
                reason = self.tr("只有在初步评审或详细评审中才能审批澄清")
            elif view.paused:
                reason = paused_text
            elif item is None:
                reason = self.tr("请先选择一个澄清问题")
            elif item.data(Qt.ItemDataRole.UserRole + 1) != "pending_approval":
                reason = self.tr("该澄清问题不在待审批状态")
        self._allowed(self.approve_clarification_button, reason)
        self._allowed(self.reject_clarification_button, reason)

        reason = self._blocked("ApproveRollback")
        if not reason and view is not None:
            if not view.HasField("pending_rollback"):
                reason = self.tr("没有待审批的回退申请")
            elif view.paused:
                reason = paused_text
        self._allowed(self.approve_rollback_button, reason)
        self._allowed(self.reject_rollback_button, reason)

    # -- actions (local first) -----------------------------------------------------------------------------

    def _record(self, rpc: str, **fields: object) -> int | None:
        """Queue a decision; the buttons of ``rpc`` stay disabled until the server answered it."""
        sequence = self.recorder.record(rpc, **fields)
        if sequence is not None:
            self._show_notice("")
        self._update_actions()
        self.refresh()
        return sequence

    def _require(self, edit: QLineEdit, what: str) -> str | None:
        """The edit's text, or None (saying so and focusing it) when the mandatory text is empty."""
        text = edit.text().strip()
        if not text:
            self._show_notice(what)
            edit.setFocus()
            return None
        return text

    def approve_start(self, approved: bool) -> None:
        note = self.start_note_edit.text().strip()
        if not approved and self._require(self.start_note_edit, self.tr("不批准开始须填写意见")) is None:
            return
        if self._record("ApproveStart", approved=approved, note=note) is not None:
            self.start_note_edit.clear()

    def pause(self) -> None:
        reason = self._require(self.pause_reason_edit, self.tr("暂停评标须填写理由"))
        if reason is not None and self._record("PauseSession", reason=reason) is not None:
            self.pause_reason_edit.clear()

    def resume(self) -> None:
        reason = self._require(self.pause_reason_edit, self.tr("恢复评标须填写理由"))
        if reason is not None and self._record("ResumeSession", reason=reason) is not None:
            self.pause_reason_edit.clear()

    def set_recusal(self) -> None:
        expert_id = self.recusal_member_combo.currentData()
        grounds = [ground for ground, box in self.recusal_grounds.items() if box.isChecked()]
        if expert_id is None:
            return
        if not grounds:
            self._show_notice(self.tr("请至少选择一项回避事由"))
            return
        reason = self._require(self.recusal_reason_edit, self.tr("决定回避须填写理由"))
        if reason is None:
            return
        if self._record("SetRecusal", expert_id=str(expert_id), grounds=grounds, reason=reason) is not None:
            self.recusal_reason_edit.clear()
            for box in self.recusal_grounds.values():
                box.setChecked(False)

    def replace_member(self) -> None:
        replaced, replacement = self.replaced_combo.currentData(), self.reserve_combo.currentData()
        if replaced is not None and replacement is not None:
            self._record("ReplaceMember", replaced_id=str(replaced), replacement_id=str(replacement))

    def decide_clarification(self, approved: bool) -> None:
        clarification_id = self.selected_clarification()
        if clarification_id is None:
            return
        note = self.clarification_note_edit.text().strip()
        if (
            not approved
            and self._require(self.clarification_note_edit, self.tr("不批准澄清须填写意见")) is None
        ):
            return
        fields: dict[str, object] = {"clarification_id": clarification_id, "approved": approved, "note": note}
        if self._record("ApproveClarification", **fields) is not None:
            self.clarification_note_edit.clear()

    def decide_rollback(self, approved: bool) -> None:
        note = self.rollback_note_edit.text().strip()
        if not approved and self._require(self.rollback_note_edit, self.tr("不批准回退须填写意见")) is None:
            return
        if self._record("ApproveRollback", approved=approved, note=note) is not None:
            self.rollback_note_edit.clear()

    def _answered(self, answer: Answer) -> None:
        if self._closed:
            return
        if answer.refused:
            self._show_notice(refusal_text(answer))
        # The buttons wait for a view fetched after this answer.
        self._fresh_from = self.poller.started + 1
        self._update_actions()
        self.refresh()

    def _show_notice(self, text: str) -> None:
        self._notice = text
        self.message_label.setText(text)

    # -- sync status and the activity feed -----------------------------------------------------------------

    def _sync_status_changed(self, status: SyncStatus) -> None:
        if self._closed:
            return
        previous, self.sync_status = self.sync_status, status
        if previous is None or status.unsynced < previous.unsynced:
            self.recorder.check_answers()  # a decision reached the server: hear its answer now

    def _fetch_events(self) -> None:
        view = self.view
        if self._fetching_events or view is None or view.last_sequence <= self.feed_last:
            return
        self._fetching_events = True
        client, session_id, after, until = self.client, self.session_id, self.feed_last, view.last_sequence
        self._run(
            lambda: fetch_events(client, session_id, after, until), self._events_fetched, self._events_failed
        )

    def _events_fetched(self, events: list[session_pb2.SessionEvent]) -> None:
        self._fetching_events = False
        if self._closed or self.view is None:
            return
        names = _names(self.view)
        noted = False
        for event in events:
            if event.sequence <= self.feed_last:
                continue
            self.feed_last = event.sequence
            details = MessageToDict(event.details) if event.HasField("details") else {}
            noted = self.result_notes.add(event.kind, event.actor_id, details) or noted
            item = QListWidgetItem(feed_line(event, names))
            item.setData(Qt.ItemDataRole.UserRole, event.kind)
            self.feed_list.insertItem(0, item)  # newest first
        while self.feed_list.count() > FEED_LIMIT:
            self.feed_list.takeItem(self.feed_list.count() - 1)
        if noted:
            self.results_page.set_notes(self.result_notes)
        self._fetch_events()  # more arrived meanwhile

    def _events_failed(self, error: BaseException) -> None:
        self._fetching_events = False
        if not self._closed and not is_transient(error):
            self._show_notice(describe(error))

    def feed_lines(self) -> list[str]:
        """The activity feed as shown, newest first."""
        return [self.feed_list.item(row).text() for row in range(self.feed_list.count())]

    # -- the audit witness ---------------------------------------------------------------------------------

    def check_witness(self) -> None:
        """Check the newest tree head in the background: the witness co-signs heads it has not seen yet."""
        witness = self.client.witness
        if self._closed or witness is None or self._witnessing:
            return
        self._witnessing = True
        self._run(witness.check_latest, self._witnessed, self._witness_failed)

    def _witnessed(self, _head: object) -> None:
        self._witnessing = False
        if not self._closed:
            self._witness_error = ""
            self._show_witness()

    def _witness_failed(self, error: BaseException) -> None:
        self._witnessing = False
        if self._closed or is_transient(error):
            return
        self._witness_error = describe(error)
        if isinstance(error, AuditLogError):
            # The server's history does not check out: the supervisor must see this at once.
            self._show_notice(self.tr("审计日志校验失败: ") + str(error))
        self._show_witness()

    def _show_witness(self) -> None:
        witness = self.client.witness
        if witness is None:
            self.witness_label.setText(self.tr("本客户端未启用审计日志见证。"))
            return
        head = witness.last_head
        size = str(head.tree_size) if head is not None else "—"
        text = (
            self.tr("已核验的日志树头: %1 条记录; 本人已联署树头: %2 个")
            .replace("%1", size)
            .replace("%2", str(witness.cosigned_count))
        )
        if self._witness_error:
            text += "\n" + self.tr("最近一次核验失败: ") + self._witness_error
        self.witness_label.setText(text)

    @property
    def cosigned_count(self) -> int:
        return 0 if self.client.witness is None else self.client.witness.cosigned_count

    # -- shutting down -------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop refreshing, witnessing and listening (the engine itself belongs to the caller)."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self.witness_timer.stop()
        self.poller.close()
        self.summary_source.close()
        self.recorder.close()
        self.cache_retirement.close()
        self.sync_labels.detach()

    @property
    def busy(self) -> bool:
        """True while any background work of this window is in flight (a deleted window has none left:
        run_in_background drops answers for it)."""
        if not shiboken6.isValid(self):
            return False
        busy = self.poller.busy or self._fetching_events or self._witnessing or self.recorder.busy
        busy = busy or self.summary_source.busy
        return busy or self.cache_retirement.busy


def open_supervisor_window(login: QWidget, result: LoginResult) -> SupervisorWindow | None:
    """After a supervisor's login: the console replaces the login window (which stays for others)."""
    if result.opened is None:
        return None
    opened = result.opened
    window = SupervisorWindow(opened.client, opened.engine, opened.session_id, result.caller_name)
    show_instead_of_login(login, window, opened, 1440, 860)
    return window
