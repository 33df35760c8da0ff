"""The expert's session window: a step list, one page per workflow step, and the sync status bar.

Everything the window shows comes from the server's ``SessionView`` (fetched by :meth:`SessionWindow.refresh`
through :func:`~app.operations.run_in_background`, every second and after every action) and from the
:class:`~app.services.sync.SyncEngine` status (its listener runs on worker threads and is forwarded to the
GUI thread by a queued signal). Every action is recorded local-first with ``SyncEngine.record``; the GUI
thread never waits on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe
from app.models.preliminary import PreliminaryModel
from app.models.score_grid import ScoreGridModel
from app.operations import run_in_background
from app.services.cache import OutboxStatus
from app.services.connection import ApiClient
from app.services.documents import DocumentLibrary
from app.services.sync import SyncEngine, SyncStatus
from app.ui.documents_pane import DocumentsPane
from app.ui.login import LoginResult
from app.ui.result_pages import EndedPage, ReportPage, SummaryPage, SummarySource, shows_summary
from app.ui.review_pages import PreliminaryPage, ReviewDock, review_dock_wanted, verdict_loader
from app.ui.score_grid import ScoreSheet
from bideval.domain.commands import (
    DeductEntry,
    Entry,
    ObjectiveEntry,
    PassFailEntry,
    RecusalGround,
    ScoreEntry,
    VoteEntry,
)
from bideval.domain.method import Criterion, ItemKind, PreliminaryCategory, ReviewStage
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


# -- steps: pure functions of the SessionView ------------------------------------------------------------


class StepState:
    DONE = "done"
    CURRENT = "current"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of the step list."""

    title: str
    phase: int  # common_pb2.Phase value
    state: str  # StepState.*
    reason: str  # why a locked step is locked, or who the current step waits for


STEPS: tuple[tuple[str, int], ...] = (
    ("签到", common_pb2.PHASE_CHECK_IN),
    ("承诺书", common_pb2.PHASE_PLEDGE),
    ("回避声明", common_pb2.PHASE_RECUSAL),
    ("推选组长", common_pb2.PHASE_LEADER_ELECTION),
    ("等待开始", common_pb2.PHASE_AWAITING_START),
    ("初步评审", common_pb2.PHASE_PRELIMINARY_REVIEW),
    ("详细评审", common_pb2.PHASE_DETAILED_REVIEW),
    ("汇总", common_pb2.PHASE_SUMMARY),
    ("评标报告", common_pb2.PHASE_REPORT),
)

_MEMBER_DONE: dict[int, tuple[Callable[[session_pb2.Member], bool], str]] = {
    common_pb2.PHASE_CHECK_IN: (lambda m: m.checked_in, "等待所有专家签到"),
    common_pb2.PHASE_PLEDGE: (lambda m: m.pledged, "等待所有专家确认承诺书"),
    common_pb2.PHASE_RECUSAL: (lambda m: m.declared, "等待所有专家作出回避声明"),
    common_pb2.PHASE_LEADER_ELECTION: (lambda m: m.voted, "等待所有专家投票推选组长"),
    common_pb2.PHASE_PRELIMINARY_REVIEW: (lambda m: m.preliminary_submitted, "等待所有专家提交初步评审"),
    common_pb2.PHASE_DETAILED_REVIEW: (lambda m: m.detailed_submitted, "等待所有专家提交详细评审"),
    common_pb2.PHASE_REPORT: (lambda m: m.signed, "等待所有专家签署评标报告"),
}


def waiting_for(view: session_pb2.SessionView) -> str:
    """What the current phase waits for, e.g. "等待所有专家签到 (waiting for: E03, E05)"."""
    phase = view.phase
    if phase in _MEMBER_DONE:
        done, text = _MEMBER_DONE[phase]
        missing = [m.person_id for m in view.members if m.status == "active" and not done(m)]
        return f"{text} (waiting for: {', '.join(missing)})" if missing else text
    if phase == common_pb2.PHASE_AWAITING_START:
        if view.start_requested:
            return "等待监督人员批准开始 (waiting for the supervisor's approval)"
        leader = view.leader_id or "?"
        return f"等待组长申请开始 (waiting for the leader {leader} to ask to start)"
    if phase == common_pb2.PHASE_SUMMARY:
        return f"等待组长汇总 (waiting for the leader {view.leader_id or '?'} to run the summary)"
    return ""


def steps_of(view: session_pb2.SessionView) -> list[Step]:
    """Each workflow step as done / current / locked, a locked step saying why."""
    phases = [phase for _title, phase in STEPS]
    if view.phase == common_pb2.PHASE_CLOSED:
        return [Step(title, phase, StepState.DONE, "") for title, phase in STEPS]
    if view.phase == common_pb2.PHASE_FAILED_TENDER or view.phase not in phases:
        reason = f"流标: {view.failed_tender_reason}" if view.failed_tender_reason else "评标已终止"
        return [Step(title, phase, StepState.LOCKED, reason) for title, phase in STEPS]
    current = phases.index(view.phase)
    waiting = waiting_for(view)
    steps = []
    for index, (title, phase) in enumerate(STEPS):
        if index < current:
            steps.append(Step(title, phase, StepState.DONE, ""))
        elif index == current:
            reason = f"已暂停: {view.pause_reason}" if view.paused else waiting
            steps.append(Step(title, phase, StepState.CURRENT, reason))
        elif index == current + 1:
            steps.append(Step(title, phase, StepState.LOCKED, waiting or f"需先完成「{STEPS[current][0]}」"))
        else:
            previous = STEPS[index - 1][0]
            steps.append(Step(title, phase, StepState.LOCKED, f"需先完成「{previous}」 (after {previous})"))
    return steps


def own_member(view: session_pb2.SessionView) -> session_pb2.Member | None:
    return next((m for m in view.members if m.person_id == view.caller_id), None)


# -- conversions between the view's messages and the domain types the score grid uses -------------------


def criterion_from_proto(item: session_pb2.Criterion) -> Criterion:
    return Criterion(
        id=item.id,
        title=item.title,
        stage=ReviewStage(item.stage),
        kind=ItemKind(item.kind),
        category=PreliminaryCategory(item.category) if item.category else None,
        min_points=Decimal(item.min_points or "0"),
        max_points=Decimal(item.max_points or "0"),
        step=Decimal(item.step or "0.5"),
        guidance=item.guidance,
        page_refs=tuple(item.page_refs),
        group=item.group,
    )


def entry_to_proto(bidder_id: str, criterion_id: str, entry: Entry) -> session_pb2.ScoreEntry:
    message = session_pb2.ScoreEntry(bidder_id=bidder_id, criterion_id=criterion_id)
    match entry:
        case ScoreEntry(points=points):
            message.points = str(points)
        case ObjectiveEntry(points=points):
            message.objective = str(points)
        case DeductEntry(deductions=deductions):
            message.deductions.SetInParent()
            for deduction in deductions:
                message.deductions.deductions.add(points=str(deduction.points), reason=deduction.reason)
        case PassFailEntry(passed=passed, reason=reason):
            message.pass_fail.passed = passed
            message.pass_fail.reason = reason
        case VoteEntry(yes=yes):
            message.vote = yes
    return message


# -- pages ----------------------------------------------------------------------------------------------


class CheckInPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.check_in_button = QPushButton(self.tr("签到 (check in)"))
        self.check_in_button.setEnabled(False)  # until the view says the caller may check in
        self.members_list = QListWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h3>签到</h3>")))
        layout.addWidget(self.status_label)
        layout.addWidget(self.check_in_button)
        layout.addWidget(QLabel(self.tr("已签到的专家:")))
        layout.addWidget(self.members_list)

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        me = own_member(view)
        done = me is not None and me.checked_in
        self.check_in_button.setEnabled(
            not done and not busy and not view.paused and view.phase == common_pb2.PHASE_CHECK_IN
        )
        self.status_label.setText(
            (self.tr("已签到。") + waiting_for(view)) if done else self.tr("请点击签到。")
        )
        self.members_list.clear()
        for member in view.members:
            if member.status != "active":
                continue
            mark = "✓ 已签到" if member.checked_in else "… 未签到"
            self.members_list.addItem(f"{member.person_id} {member.name} — {mark}")


PLEDGE_TEXT = (
    "本人承诺: 遵守评标纪律，客观公正地履行职责；不私下接触投标人，不收受财物；"
    "不透露评审情况；存在应当回避的情形时主动回避；服从监督。"
)


class PledgePage(QWidget):
    """The pledge with its forced-read countdown from the phase start (``countdown_seconds``)."""

    def __init__(self, clock: Clock = _utc_now, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._started_at: datetime | None = None
        self._seconds = 0
        self._done = False
        self._blocked = False
        text = QLabel(PLEDGE_TEXT)
        text.setWordWrap(True)
        self.countdown_label = QLabel()
        self.agree_button = QPushButton(self.tr("我已阅读并同意 (agree)"))
        self.agree_button.setEnabled(False)
        self.timer = QTimer(self)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.tick)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h3>评标纪律承诺书</h3>")))
        layout.addWidget(text)
        layout.addWidget(self.countdown_label)
        layout.addWidget(self.agree_button)

    def set_countdown(self, started_at: datetime, seconds: int) -> None:
        """The countdown runs ``seconds`` from ``started_at`` (the phase start, server time)."""
        self._started_at, self._seconds = started_at, seconds
        self.tick()

    def set_done(self, done: bool, blocked: bool) -> None:
        """``done``: the pledge was accepted; ``blocked``: no action now (paused, a change in flight)."""
        self._done, self._blocked = done, blocked
        self.tick()

    def remaining(self) -> float:
        if self._started_at is None:
            return float(self._seconds)
        elapsed = (self._clock() - self._started_at).total_seconds()
        return max(0.0, self._seconds - elapsed)

    def tick(self) -> None:
        remaining = self.remaining()
        if self._done:
            self.countdown_label.setText(self.tr("已确认承诺书。"))
        elif remaining > 0:
            self.countdown_label.setText(self.tr("请阅读承诺书，剩余 %n 秒", "", int(remaining + 0.999)))
        else:
            self.countdown_label.setText(self.tr("可以确认。"))
        self.agree_button.setEnabled(remaining <= 0 and not self._done and not self._blocked)
        if remaining > 0 and not self._done:
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()


RECUSAL_GROUNDS: tuple[tuple[RecusalGround, str], ...] = (
    (RecusalGround.CLOSE_RELATIVE, "投标人主要负责人或法定代表人的近亲属"),
    (RecusalGround.EMPLOYMENT_OR_CONTROL, "前3年内与投标人有劳动关系、任董事监事或为其控股股东/实际控制人"),
    (RecusalGround.SUPERVISING_DEPARTMENT, "项目主管部门或行政监督部门的人员"),
    (RecusalGround.PREVIOUSLY_PUNISHED, "曾因招标投标违法行为受过行政或刑事处罚"),
    (RecusalGround.OTHER, "其他利害关系 (须说明)"),
)


class RecusalPage(QWidget):
    sig_declare = Signal(object, str)
    """Emitted with (list of ground values, note) when the expert declares; an empty list means none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.checkboxes: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h3>回避声明</h3>")))
        for ground, text in RECUSAL_GROUNDS:
            box = QCheckBox(text)
            box.toggled.connect(self._update_buttons)
            self.checkboxes[ground.value] = box
            layout.addWidget(box)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(self.tr("说明 (选择“其他”时必填)"))
        self.note_edit.textChanged.connect(self._update_buttons)
        self.declare_button = QPushButton(self.tr("提交回避声明 (declare grounds)"))
        self.none_button = QPushButton(self.tr("无利害关系 (no conflict)"))
        self.declare_button.clicked.connect(self._declare)
        self.none_button.clicked.connect(lambda: self.sig_declare.emit([], ""))
        layout.addWidget(self.note_edit)
        layout.addWidget(self.declare_button)
        layout.addWidget(self.none_button)
        layout.addWidget(self.status_label)
        layout.addStretch()
        self._enabled = False
        self._update_buttons()

    def grounds(self) -> list[str]:
        return [ground for ground, box in self.checkboxes.items() if box.isChecked()]

    def _declare(self) -> None:
        self.sig_declare.emit(self.grounds(), self.note_edit.text().strip())

    def _update_buttons(self) -> None:
        grounds = self.grounds()
        note_ok = RecusalGround.OTHER.value not in grounds or bool(self.note_edit.text().strip())
        self.declare_button.setEnabled(self._enabled and bool(grounds) and note_ok)
        self.none_button.setEnabled(self._enabled and not grounds)

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        me = own_member(view)
        done = me is not None and me.declared
        self._enabled = not done and not busy and not view.paused and view.phase == common_pb2.PHASE_RECUSAL
        for box in self.checkboxes.values():
            box.setEnabled(not done)
        self.note_edit.setEnabled(not done)
        self._update_buttons()
        self.status_label.setText((self.tr("已声明。") + waiting_for(view)) if done else "")


class ElectionPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.round_label = QLabel()
        self.round_label.setWordWrap(True)
        self.candidates_list = QListWidget()
        self.vote_button = QPushButton(self.tr("投票 (vote)"))
        self.vote_button.setEnabled(False)
        self.candidates_list.currentItemChanged.connect(lambda *_: self._update_button())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h3>推选评标委员会组长</h3>")))
        layout.addWidget(self.round_label)
        layout.addWidget(self.candidates_list)
        layout.addWidget(self.vote_button)
        self._can_vote = False
        self._candidates: tuple[str, ...] = ()

    def selected_candidate(self) -> str | None:
        item = self.candidates_list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select(self, person_id: str) -> None:
        for row in range(self.candidates_list.count()):
            item = self.candidates_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == person_id:
                self.candidates_list.setCurrentItem(item)
                return
        raise KeyError(person_id)

    def _update_button(self) -> None:
        self.vote_button.setEnabled(self._can_vote and self.selected_candidate() is not None)

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        election = view.election
        names = {m.person_id: m.name for m in view.members}
        candidates = tuple(election.candidates)
        if candidates != self._candidates:
            self._candidates = candidates
            self.candidates_list.clear()
            for person_id in candidates:
                item = QListWidgetItem(f"{person_id} {names.get(person_id, '')}".strip())
                item.setData(Qt.ItemDataRole.UserRole, person_id)
                self.candidates_list.addItem(item)
        voted = bool(election.my_vote)
        self._can_vote = (
            not voted and not busy and not view.paused and view.phase == common_pb2.PHASE_LEADER_ELECTION
        )
        text = self.tr("第 %n 轮", "", election.round) + f" — {election.votes_cast} 票已投"
        if voted:
            text += f"; 您已投票给 {election.my_vote}。" + waiting_for(view)
        self.round_label.setText(text)
        self._update_button()


class WaitingPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.request_start_button = QPushButton(self.tr("申请开始 (ask to start)"))
        self.request_start_button.setEnabled(False)
        self.request_start_button.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h3>等待开始评标</h3>")))
        layout.addWidget(self.status_label)
        layout.addWidget(self.request_start_button)
        layout.addStretch()

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        leader = view.leader_id == view.caller_id
        self.request_start_button.setVisible(leader)
        self.request_start_button.setEnabled(
            leader
            and not view.start_requested
            and not busy
            and not view.paused
            and view.phase == common_pb2.PHASE_AWAITING_START
        )
        self.status_label.setText(f"组长: {view.leader_id}. " + waiting_for(view))


class DetailedPage(QWidget):
    """The score sheet of the valid bidders, built once the detailed review starts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(QLabel(self.tr("<h3>详细评审</h3>")))
        self._layout.addWidget(self.status_label)
        self.sheet: ScoreSheet | None = None
        self.model: ScoreGridModel | None = None

    def build(self, view: session_pb2.SessionView) -> ScoreGridModel:
        valid = set(view.preliminary.valid_bidder_ids)
        bidders = [b for b in view.bidders if b.id in valid]
        criteria = [criterion_from_proto(c) for c in view.method.criteria]
        self.model = ScoreGridModel(bidders, criteria, view.caller_id, self)
        self.sheet = ScoreSheet(self.model, self)
        self._layout.addWidget(self.sheet)
        return self.model

    def show_view(self, view: session_pb2.SessionView) -> None:
        me = own_member(view)
        submitted = me is not None and me.detailed_submitted
        if self.model is not None:
            self.model.set_read_only(submitted or view.paused)
        self.status_label.setText((self.tr("已提交。") + waiting_for(view)) if submitted else "")


def _placeholder(title: str) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    label = QLabel(f"<h3>{title}</h3><p>(尚未实现)</p>")
    label.setObjectName("placeholder")
    layout.addWidget(label)
    layout.addStretch()
    return page


# -- the window -----------------------------------------------------------------------------------------


NOT_A_STEP = frozenset({"RequestClarification"})
"""Actions that do not complete the caller's own step: recording one must not disable the page."""


class _SyncRelay(QObject):
    sig_status = Signal(object)
    """Emitted (from any thread) with a SyncStatus; connected queued to the window."""


ROLE_TEXT = {
    common_pb2.ROLE_EXPERT: "专家",
    common_pb2.ROLE_SUPERVISOR: "监督人员",
    common_pb2.ROLE_OPERATOR: "工作人员",
}

STEP_COLOURS = {
    StepState.DONE: QColor(0, 120, 0),
    StepState.CURRENT: QColor(0, 0, 180),
    StepState.LOCKED: QColor(130, 130, 130),
}
STEP_MARKS = {StepState.DONE: "✓", StepState.CURRENT: "▶", StepState.LOCKED: "🔒"}


class SessionWindow(QMainWindow):
    """The expert's shell for one session (see the module docstring)."""

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
        clock: Clock = _utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.engine = engine
        self.session_id = session_id
        self.person_name = person_name
        self.view: session_pb2.SessionView | None = None
        self.sync_status: SyncStatus | None = None
        self._closed = False
        self._refreshing = False
        self._refresh_again = False
        self._busy_phase: int | None = None  # an action of this phase was recorded, not yet in the view
        self._busy_round = 0
        self._sent: dict[int, tuple[str, tuple[str, str, Entry] | None]] = {}  # sequence -> (rpc, cell)
        self._checking_answers = False
        self._check_again = False
        self._notice = ""  # the last refusal, shown until the next action

        self.steps_list = QListWidget()
        self.steps_list.setMaximumWidth(260)
        self.pause_banner = QLabel()
        self.pause_banner.setWordWrap(True)
        self.pause_banner.setStyleSheet("background: #c62828; color: white; padding: 6px; font-weight: bold;")
        self.pause_banner.hide()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)

        self.checkin_page = CheckInPage()
        self.pledge_page = PledgePage(clock)
        self.recusal_page = RecusalPage()
        self.election_page = ElectionPage()
        self.waiting_page = WaitingPage()
        self.preliminary_page = PreliminaryPage(
            self._record, verdict_loader(client, engine.cache, session_id)
        )
        self.detailed_page = DetailedPage()
        self.summary_source = SummarySource(self._fetch_summary, self)
        self.summary_page = SummaryPage(self._record, self.summary_source, self._sent.__contains__)
        self.report_page = ReportPage(self._record, self.summary_source, self._sent.__contains__)
        self.ended_page = EndedPage(self.summary_source)
        self.loading_page = QLabel(self.tr("正在读取评标会话… (loading)"))
        self.pages = QStackedWidget()
        self._page_of_phase: dict[int, QWidget] = {
            common_pb2.PHASE_CHECK_IN: self.checkin_page,
            common_pb2.PHASE_PLEDGE: self.pledge_page,
            common_pb2.PHASE_RECUSAL: self.recusal_page,
            common_pb2.PHASE_LEADER_ELECTION: self.election_page,
            common_pb2.PHASE_AWAITING_START: self.waiting_page,
            common_pb2.PHASE_PRELIMINARY_REVIEW: self.preliminary_page,
            common_pb2.PHASE_DETAILED_REVIEW: self.detailed_page,
            common_pb2.PHASE_SUMMARY: self.summary_page,
            common_pb2.PHASE_REPORT: self.report_page,
            common_pb2.PHASE_CLOSED: self.ended_page,
            common_pb2.PHASE_FAILED_TENDER: self.ended_page,
        }
        self.pages.addWidget(self.loading_page)
        for page in dict.fromkeys(self._page_of_phase.values()):
            self.pages.addWidget(page)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.addWidget(self.pause_banner)
        center_layout.addWidget(self.pages, 1)
        center_layout.addWidget(self.message_label)
        splitter = QSplitter()
        splitter.addWidget(self.steps_list)
        splitter.addWidget(center)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)

        self.connection_label = QLabel(self.tr("正在连接… (connecting)"))
        self.unsynced_label = QLabel()
        self.last_sync_label = QLabel()
        for label in (self.connection_label, self.unsynced_label, self.last_sync_label):
            self.statusBar().addPermanentWidget(label)

        # The documents in a dock on the right, so the pages a criterion refers to sit next to the grid.
        self.documents_pane = DocumentsPane(DocumentLibrary(engine.cache, client, session_id))
        self.documents_dock = QDockWidget(self.tr("文件"), self)
        self.documents_dock.setObjectName("documents_dock")
        self.documents_dock.setWidget(self.documents_pane)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.documents_dock)
        self.sig_view_changed.connect(self.documents_pane.show_view)

        # Clarifications (and the preliminary outcome) in one dock: the same panel serves the preliminary
        # and the detailed review, and a half-written question survives the change of page.
        self.review_dock_content = ReviewDock(self._record)
        self.clarification_panel = self.review_dock_content.clarifications
        self.review_dock = QDockWidget(self.tr("澄清"), self)
        self.review_dock.setObjectName("review_dock")
        self.review_dock.setWidget(self.review_dock_content)
        self.review_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.review_dock)
        self.review_dock.hide()  # until the preliminary review starts

        self.checkin_page.check_in_button.clicked.connect(self.check_in)
        self.pledge_page.agree_button.clicked.connect(self.accept_pledge)
        self.recusal_page.sig_declare.connect(self.declare_recusal)
        self.election_page.vote_button.clicked.connect(self.vote)
        self.waiting_page.request_start_button.clicked.connect(self.request_start)

        self._relay = _SyncRelay()
        self._relay.sig_status.connect(self._show_sync_status, Qt.ConnectionType.QueuedConnection)
        relay = self._relay
        self._listener: Callable[[SyncStatus], None] = relay.sig_status.emit
        engine.add_listener(self._listener)
        self._run = run_in_background
        self._run(engine.status, self._show_sync_status, self._ignore)  # reads the cache: off the GUI thread

        self.timer = QTimer(self)
        self.timer.setInterval(refresh_interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._update_title()
        self.refresh()
        self.documents_pane.start()  # list, then download every document in the background

    # -- refreshing ----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Fetch the SessionView in the background and apply it (coalesced while one is in flight)."""
        if self._closed:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        client, session_id = self.client, self.session_id

        def fetch() -> session_pb2.SessionView:
            response: evaluation_service_pb2.GetSessionResponse = client.evaluation.GetSession(
                evaluation_service_pb2.GetSessionRequest(session_id=session_id), timeout=client.timeout
            )
            return response.session

        self._run(fetch, self._refreshed, self._refresh_failed)

    def _fetch_summary(self) -> session_pb2.GroupSummary:
        """GetSummary (run by the SummarySource through run_in_background, never on the GUI thread)."""
        response: evaluation_service_pb2.GetSummaryResponse = self.client.evaluation.GetSummary(
            evaluation_service_pb2.GetSummaryRequest(session_id=self.session_id), timeout=self.client.timeout
        )
        return response.summary

    def _refreshed(self, view: session_pb2.SessionView) -> None:
        self._refreshing = False
        if self._closed:
            return
        self.apply_view(view)
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _refresh_failed(self, error: BaseException) -> None:
        self._refreshing = False
        if self._closed:
            return
        self.message_label.setText(describe(error))
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def apply_view(self, view: session_pb2.SessionView) -> None:
        previous = self.view
        self.view = view
        if previous is not None and previous.phase != view.phase:
            self._busy_phase = None
        if self._busy_phase is not None and self._own_step_done(view):
            self._busy_phase = None
        if self._busy_phase == common_pb2.PHASE_LEADER_ELECTION and view.election.round != self._busy_round:
            self._busy_phase = None
        busy = self._busy_phase == view.phase
        self.message_label.setText(self._notice)
        self._update_title()
        self._show_steps(view)
        self.pause_banner.setVisible(view.paused)
        self.pause_banner.setText(f"评标已暂停 (paused) — 监督人员说明: {view.pause_reason}")

        self.checkin_page.show_view(view, busy)
        started = view.phase_started_at.ToDatetime(tzinfo=UTC)
        countdown = int(view.method.rules.fields["pledge_countdown_seconds"].number_value)
        self.pledge_page.set_countdown(started, countdown)
        me = own_member(view)
        self.pledge_page.set_done(me is not None and me.pledged, busy or view.paused)
        self.recusal_page.show_view(view, busy)
        self.election_page.show_view(view, busy)
        self.waiting_page.show_view(view, busy)
        self.preliminary_page.show_view(view, busy)
        self.review_dock_content.show_view(view, busy)
        if review_dock_wanted(view) != self.review_dock.isVisibleTo(self):
            self.review_dock.setVisible(review_dock_wanted(view))
        if view.phase == common_pb2.PHASE_DETAILED_REVIEW and self.detailed_page.model is None:
            model = self.detailed_page.build(view)
            model.sig_entry_changed.connect(self._record_score)
            if self.detailed_page.sheet is not None:
                self.detailed_page.sheet.view.sig_show_pages.connect(self.show_pages)
        self.detailed_page.show_view(view)
        for result_page in (self.summary_page, self.report_page, self.ended_page):
            result_page.show_view(view, busy)
        page = self._page_of_phase.get(view.phase, self.loading_page)
        if shows_summary(view):
            page = self.summary_page  # every sheet is sealed: the leader runs the summary from this page
        if self.pages.currentWidget() is not page:
            self.pages.setCurrentWidget(page)
        self.sig_view_changed.emit(view)

    def _own_step_done(self, view: session_pb2.SessionView) -> bool:
        me = own_member(view)
        if me is None:
            return False
        return {
            common_pb2.PHASE_CHECK_IN: me.checked_in,
            common_pb2.PHASE_PLEDGE: me.pledged,
            common_pb2.PHASE_RECUSAL: me.declared,
            common_pb2.PHASE_LEADER_ELECTION: bool(view.election.my_vote),
            common_pb2.PHASE_AWAITING_START: view.start_requested,
            common_pb2.PHASE_PRELIMINARY_REVIEW: me.preliminary_submitted,
        }.get(view.phase, False)

    def _show_steps(self, view: session_pb2.SessionView) -> None:
        steps = steps_of(view)
        if self.steps_list.count() != len(steps):
            self.steps_list.clear()
            for _step in steps:
                self.steps_list.addItem(QListWidgetItem())
        for row, step in enumerate(steps):
            item = self.steps_list.item(row)
            item.setText(f"{STEP_MARKS[step.state]} {step.title}")
            item.setData(Qt.ItemDataRole.UserRole, step.state)
            item.setToolTip(step.reason)
            item.setForeground(QBrush(STEP_COLOURS[step.state]))

    def step_states(self) -> list[tuple[str, str, str]]:
        """(title, state, tooltip) of each entry of the step list, as shown."""
        rows = []
        for row in range(self.steps_list.count()):
            item = self.steps_list.item(row)
            title = item.text().split(" ", 1)[1]
            rows.append((title, str(item.data(Qt.ItemDataRole.UserRole)), item.toolTip()))
        return rows

    def _update_title(self) -> None:
        view = self.view
        project = view.project.name if view is not None else "…"
        name = self.person_name
        role = "专家"
        if view is not None:
            me = own_member(view)
            name = name or (me.name if me is not None else view.caller_id)
            role = ROLE_TEXT.get(view.caller_role, role)
        self.setWindowTitle(f"远程异地评标系统 — {project} — {name} ({role})")

    # -- sync status ---------------------------------------------------------------------------------------

    def _show_sync_status(self, status: SyncStatus) -> None:
        if self._closed:
            return
        previous = self.sync_status
        self.sync_status = status
        if status.connected:
            self.connection_label.setText(self.tr("已连接 (connected)"))
        elif status.offline_since is not None:
            since = status.offline_since.astimezone().strftime("%H:%M")
            self.connection_label.setText(self.tr("离线自 ") + f"{since} (offline)")
        else:
            self.connection_label.setText(self.tr("正在重新连接… (reconnecting)"))
        self.connection_label.setToolTip(status.last_error)
        self.unsynced_label.setText(self.tr("未同步变更: ") + str(status.unsynced))
        last = status.last_sync_at.astimezone().strftime("%H:%M:%S") if status.last_sync_at else "—"
        self.last_sync_label.setText(self.tr("上次同步: ") + last)
        self.summary_page.set_online(status.connected)
        self.report_page.set_online(status.connected)
        if previous is not None and status.unsynced < previous.unsynced:
            self.refresh()  # a change reached the server: show its effect now
            self._check_answers()

    def _ignore(self, _error: BaseException) -> None:
        pass

    # -- actions (local first) -----------------------------------------------------------------------------

    def _record(self, rpc: str, cell: tuple[str, str, Entry] | None = None, **fields: object) -> int | None:
        view = self.view
        try:
            sequence = self.engine.record(rpc, **fields)
        except Exception as error:  # noqa: BLE001 - the cache refused: shown, nothing was queued
            self._notice = describe(error)
            self.message_label.setText(self._notice)
            return None
        self._notice = ""
        self._sent[sequence] = (rpc, cell)
        if view is not None and cell is None and rpc not in NOT_A_STEP:
            self._busy_phase = view.phase
            self._busy_round = view.election.round
            self.apply_view(view)  # disable the button at once
        self.refresh()
        self._check_answers()
        return sequence

    def check_in(self) -> None:
        me = None if self.view is None else own_member(self.view)
        if me is not None:
            self._record("CheckIn", venue_id=me.venue_id)

    def accept_pledge(self) -> None:
        self._record("AcceptPledge")

    def declare_recusal(self, grounds: Sequence[str], note: str) -> None:
        self._record("DeclareRecusal", grounds=list(grounds), note=note)

    def vote(self) -> None:
        candidate = self.election_page.selected_candidate()
        if candidate is not None:
            self._record("CastLeaderVote", candidate_id=candidate)

    def request_start(self) -> None:
        self._record("RequestStart")

    def _record_score(self, bidder_id: str, criterion_id: str, entry: Entry) -> None:
        proto = entry_to_proto(bidder_id, criterion_id, entry)
        self._record("RecordScore", (bidder_id, criterion_id, entry), entry=proto)

    def _check_answers(self) -> None:
        """Read the server's answers to this window's changes from the outbox (off the GUI thread): mark
        acknowledged score cells synced, show refusals and re-enable the refused step's buttons."""
        if not self._sent:
            return
        if self._checking_answers:
            self._check_again = True
            return
        self._checking_answers = True
        cache, wanted = self.engine.cache, list(self._sent)

        def read() -> dict[int, tuple[OutboxStatus, str]]:
            answers = {}
            for sequence in wanted:
                item = cache.outbox_item(sequence)
                if item is not None:
                    answers[sequence] = (item.status, item.error_message or "")
            return answers

        self._run(read, self._answers_read, self._answers_failed)

    def _answers_read(self, answers: dict[int, tuple[OutboxStatus, str]]) -> None:
        self._checking_answers = False
        if self._closed:
            return
        for sequence, (status, message) in answers.items():
            if status not in (OutboxStatus.ACKNOWLEDGED, OutboxStatus.REFUSED):
                continue
            rpc, cell = self._sent.pop(sequence)
            if status is OutboxStatus.ACKNOWLEDGED:
                # A cell belongs to the grid of its RPC: preliminary verdicts or detailed scores.
                model: ScoreGridModel | PreliminaryModel | None = (
                    self.preliminary_page.model
                    if rpc == "RecordPreliminaryVerdict"
                    else self.detailed_page.model
                )
                if cell is not None and model is not None:
                    model.mark_synced(*cell)
                continue
            where = f"{cell[0]}/{cell[1]}" if cell is not None else rpc
            self._notice = f"服务器未接受 {where}: {message}"
            self.message_label.setText(self._notice)
            if cell is not None and rpc == "RecordPreliminaryVerdict" and self.preliminary_page.model:
                self.preliminary_page.model.mark_refused(*cell, message)  # red until re-entered
            if cell is None:
                self._busy_phase = None
                self.refresh()
        if self._check_again:
            self._check_again = False
            self._check_answers()

    def _answers_failed(self, error: BaseException) -> None:
        self._checking_answers = False
        if not self._closed:
            self.message_label.setText(describe(error))

    # -- shutting down -------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def show_pages(self, page_refs: list[str], bidder_id: str = "") -> None:
        """Show the document pages a criterion refers to (the first one; ``"bid:N"`` means the bid of
        ``bidder_id``) in the documents dock, downloading the document first if needed."""
        self.documents_dock.show()
        self.documents_dock.raise_()
        for ref in page_refs:
            if self.documents_pane.open_ref(ref, bidder_id or None):
                return

    def shutdown(self) -> None:
        """Stop refreshing and listening (the engine itself belongs to the caller)."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self.pledge_page.timer.stop()
        self.summary_source.close()
        self.documents_pane.shutdown()
        self.engine.remove_listener(self._listener)

    @property
    def busy(self) -> bool:
        """True while a background fetch or outbox read is in flight."""
        return self._refreshing or self._checking_answers or self.summary_source.busy


def open_session_window(login: QWidget, result: LoginResult) -> SessionWindow | None:
    """After a login: the expert's session window replaces the login window (which stays for others)."""
    if result.opened is None:
        return None
    opened = result.opened
    window = SessionWindow(opened.client, opened.engine, opened.session_id, result.caller_name)
    application = QCoreApplication.instance()
    if application is not None:
        # The cache and the sync engine live as long as the client: unsynced changes keep being sent.
        application.aboutToQuit.connect(opened.close)
    window.resize(1280, 800)
    window.show()
    login.hide()
    return window
