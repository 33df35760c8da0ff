"""The expert's session window: a step list, one page per workflow step, and the sync status bar.

Everything the window shows comes from the server's ``SessionView`` (fetched by :meth:`SessionWindow.refresh`
through :func:`~app.operations.run_in_background`, every second and after every action) and from the
:class:`~app.services.sync.SyncEngine` status (shown by :class:`~app.ui.status_bar.SyncStatusLabels`, the
supervisor's console's too). Every action is recorded local first through an
:class:`~app.ui.actions.ActionRecorder` (the same one the supervisor's console uses); the GUI thread never
waits on the network.

User-visible text is Chinese (DOMAIN.md terms) and goes through ``tr`` / ``QCoreApplication.translate``; the
module tables hold ``QT_TRANSLATE_NOOP`` markers and are translated where shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, cast

import grpc
import shiboken6
from google.protobuf.message import Message
from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe, is_transient
from app.models.score_grid import CellState, ScoreGridModel
from app.operations import run_in_background
from app.services.cache import SessionCache
from app.services.connection import ApiClient
from app.services.documents import DocumentLibrary
from app.services.session_start import OpenedSession
from app.services.sync import SyncEngine, SyncStatus
from app.ui.actions import ActionRecorder, Answer, AnswerCallback, refusal_text
from app.ui.documents_pane import DocumentsPane
from app.ui.fetching import CoalescedFetch
from app.ui.login import LoginResult, role_text, window_title
from app.ui.result_pages import (
    EndedPage,
    ReportPage,
    SummaryPage,
    SummarySource,
    shows_summary,
    summary_fetch,
)
from app.ui.review_pages import (
    PreliminaryPage,
    Record,
    ReviewDock,
    SavedSheet,
    SheetLoader,
    review_dock_wanted,
    sheet_loader,
    verdict_loader,
)
from app.ui.score_grid import ScoreSheet
from app.ui.session_end import CacheRetirement
from app.ui.status_bar import SyncStatusLabels
from bideval.domain.commands import (
    DeductEntry,
    Deduction,
    Entry,
    ObjectiveEntry,
    PassFailEntry,
    RecusalGround,
    ScoreEntry,
    VoteEntry,
)
from bideval.domain.method import Criterion, ItemKind, PreliminaryCategory, ReviewStage
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

if TYPE_CHECKING:
    from app.ui.supervisor_window import SupervisorWindow  # imports this module: see open_session_window

Clock = Callable[[], datetime]

QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""
_CONTEXT = "SessionWindow"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


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
    (QT_TRANSLATE_NOOP("SessionWindow", "签到"), common_pb2.PHASE_CHECK_IN),
    (QT_TRANSLATE_NOOP("SessionWindow", "承诺书"), common_pb2.PHASE_PLEDGE),
    (QT_TRANSLATE_NOOP("SessionWindow", "回避声明"), common_pb2.PHASE_RECUSAL),
    (QT_TRANSLATE_NOOP("SessionWindow", "推选组长"), common_pb2.PHASE_LEADER_ELECTION),
    (QT_TRANSLATE_NOOP("SessionWindow", "等待开始"), common_pb2.PHASE_AWAITING_START),
    (QT_TRANSLATE_NOOP("SessionWindow", "初步评审"), common_pb2.PHASE_PRELIMINARY_REVIEW),
    (QT_TRANSLATE_NOOP("SessionWindow", "详细评审"), common_pb2.PHASE_DETAILED_REVIEW),
    (QT_TRANSLATE_NOOP("SessionWindow", "汇总"), common_pb2.PHASE_SUMMARY),
    (QT_TRANSLATE_NOOP("SessionWindow", "评标报告"), common_pb2.PHASE_REPORT),
)
"""The step list's titles (source text; translated by :func:`steps_of`) and their phases."""

_MEMBER_DONE: dict[int, tuple[Callable[[session_pb2.Member], bool], str]] = {
    common_pb2.PHASE_CHECK_IN: (
        lambda m: m.checked_in,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家签到"),
    ),
    common_pb2.PHASE_PLEDGE: (
        lambda m: m.pledged,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家确认承诺书"),
    ),
    common_pb2.PHASE_RECUSAL: (
        lambda m: m.declared,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家作出回避声明"),
    ),
    common_pb2.PHASE_LEADER_ELECTION: (
        lambda m: m.voted,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家投票推选组长"),
    ),
    common_pb2.PHASE_PRELIMINARY_REVIEW: (
        lambda m: m.preliminary_submitted,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家提交初步评审"),
    ),
    common_pb2.PHASE_DETAILED_REVIEW: (
        lambda m: m.detailed_submitted,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家提交详细评审"),
    ),
    common_pb2.PHASE_REPORT: (
        lambda m: m.signed,
        QT_TRANSLATE_NOOP("SessionWindow", "等待所有专家签署评标报告"),
    ),
}


def waiting_for(view: session_pb2.SessionView) -> str:
    """What the current phase waits for, e.g. "等待所有专家签到（未完成：E03、E05）"."""
    phase = view.phase
    if phase in _MEMBER_DONE:
        done, text = _MEMBER_DONE[phase]
        missing = [m.person_id for m in view.members if m.status == "active" and not done(m)]
        if not missing:
            return _tr(text)
        return _tr("%1（未完成：%2）").replace("%1", _tr(text)).replace("%2", _tr("、").join(missing))
    if phase == common_pb2.PHASE_AWAITING_START:
        if view.start_requested:
            return _tr("等待监督人员批准开始")
        return _tr("等待组长 %1 申请开始").replace("%1", view.leader_id or "?")
    if phase == common_pb2.PHASE_SUMMARY:
        return _tr("等待组长 %1 汇总").replace("%1", view.leader_id or "?")
    return ""


def steps_of(view: session_pb2.SessionView) -> list[Step]:
    """Each workflow step as done / current / locked (titles translated), a locked step saying why."""
    phases = [phase for _title, phase in STEPS]
    titles = [_tr(title) for title, _phase in STEPS]
    if view.phase == common_pb2.PHASE_CLOSED:
        return [Step(title, phase, StepState.DONE, "") for title, phase in zip(titles, phases, strict=True)]
    if view.phase == common_pb2.PHASE_FAILED_TENDER or view.phase not in phases:
        reason = (
            _tr("流标：%1").replace("%1", view.failed_tender_reason)
            if view.failed_tender_reason
            else _tr("评标已终止")
        )
        return [
            Step(title, phase, StepState.LOCKED, reason) for title, phase in zip(titles, phases, strict=True)
        ]
    current = phases.index(view.phase)
    waiting = waiting_for(view)
    steps = []
    for index, (title, phase) in enumerate(zip(titles, phases, strict=True)):
        if index < current:
            steps.append(Step(title, phase, StepState.DONE, ""))
        elif index == current:
            reason = _tr("已暂停：%1").replace("%1", view.pause_reason) if view.paused else waiting
            steps.append(Step(title, phase, StepState.CURRENT, reason))
        else:
            after = _tr("需先完成「%1」").replace("%1", titles[index - 1])
            steps.append(
                Step(title, phase, StepState.LOCKED, (waiting if index == current + 1 else "") or after)
            )
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


def entry_from_proto(message: session_pb2.ScoreEntry) -> Entry:
    """The domain value of a score entry (as this client wrote it, or as the server stored it)."""
    match message.WhichOneof("value"):
        case "points":
            return ScoreEntry(Decimal(message.points))
        case "objective":
            return ObjectiveEntry(Decimal(message.objective))
        case "deductions":
            return DeductEntry(
                tuple(Deduction(Decimal(d.points), d.reason) for d in message.deductions.deductions)
            )
        case "pass_fail":
            return PassFailEntry(message.pass_fail.passed, message.pass_fail.reason)
        case "vote":
            return VoteEntry(message.vote)
    raise ValueError(f"a score entry without a value: {message.bidder_id}/{message.criterion_id}")


def _scores_of(sheet: session_pb2.Sheet) -> Iterable[tuple[tuple[str, str], Entry]]:
    for score in sheet.scores:
        yield (score.bidder_id, score.criterion_id), entry_from_proto(score)


def _score_request(message: Message) -> tuple[tuple[str, str], Entry]:
    assert isinstance(message, evaluation_service_pb2.RecordScoreRequest)
    return (message.entry.bidder_id, message.entry.criterion_id), entry_from_proto(message.entry)


def score_loader(client: ApiClient, cache: SessionCache, session_id: str) -> SheetLoader[Entry]:
    """The detailed page's saved scores (see :func:`~app.ui.review_pages.sheet_loader`)."""
    return sheet_loader(client, cache, session_id, "RecordScore", _scores_of, _score_request)


# -- pages ----------------------------------------------------------------------------------------------


class CheckInPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.check_in_button = QPushButton(self.tr("签到"))
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
        venues = {venue.id: venue for venue in view.venues}
        self.members_list.clear()
        for member in view.members:
            if member.status != "active":
                continue
            mark = self.tr("✓ 已签到") if member.checked_in else self.tr("… 未签到")
            venue = venues.get(member.venue_id)
            where = ""
            if venue is not None:
                kind = self.tr("主场") if venue.is_main else self.tr("副场")
                where = f"（{venue.name}，{kind}）"
            self.members_list.addItem(f"{member.person_id} {member.name}{where} — {mark}")


PLEDGE_TEXT = QT_TRANSLATE_NOOP(
    "PledgePage",
    "本人承诺: 遵守评标纪律，客观公正地履行职责；不私下接触投标人，不收受财物；"
    "不透露评审情况；存在应当回避的情形时主动回避；服从监督。",
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
        text = QLabel(self.tr(PLEDGE_TEXT))
        text.setWordWrap(True)
        self.countdown_label = QLabel()
        self.agree_button = QPushButton(self.tr("我已阅读并同意"))
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
    (
        RecusalGround.CLOSE_RELATIVE,
        QT_TRANSLATE_NOOP("RecusalGrounds", "投标人主要负责人或法定代表人的近亲属"),
    ),
    (
        RecusalGround.EMPLOYMENT_OR_CONTROL,
        QT_TRANSLATE_NOOP("RecusalGrounds", "前3年内与投标人有劳动关系、任董事监事或为其控股股东/实际控制人"),
    ),
    (
        RecusalGround.SUPERVISING_DEPARTMENT,
        QT_TRANSLATE_NOOP("RecusalGrounds", "项目主管部门或行政监督部门的人员"),
    ),
    (
        RecusalGround.PREVIOUSLY_PUNISHED,
        QT_TRANSLATE_NOOP("RecusalGrounds", "曾因招标投标违法行为受过行政或刑事处罚"),
    ),
    (RecusalGround.OTHER, QT_TRANSLATE_NOOP("RecusalGrounds", "其他利害关系（须说明）")),
)
"""The grounds of 回避 (source text): shown through :func:`recusal_grounds`."""


def recusal_grounds() -> list[tuple[RecusalGround, str]]:
    """The grounds of 回避, translated (the expert's declaration, the supervisor's decision)."""
    return [(ground, QCoreApplication.translate("RecusalGrounds", text)) for ground, text in RECUSAL_GROUNDS]


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
        for ground, text in recusal_grounds():
            box = QCheckBox(text)
            box.toggled.connect(self._update_buttons)
            self.checkboxes[ground.value] = box
            layout.addWidget(box)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(self.tr("说明（选择“其他”时必填）"))
        self.note_edit.textChanged.connect(self._update_buttons)
        self.declare_button = QPushButton(self.tr("提交回避声明"))
        self.none_button = QPushButton(self.tr("无利害关系"))
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
        self.vote_button = QPushButton(self.tr("投票"))
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
        text = self.tr("第 %n 轮", "", election.round) + " — " + self.tr("%n 票已投", "", election.votes_cast)
        if voted:
            text += self.tr("；您已投票给 %1。").replace("%1", election.my_vote) + waiting_for(view)
        self.round_label.setText(text)
        self._update_button()


class WaitingPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.request_start_button = QPushButton(self.tr("申请开始"))
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
        self.status_label.setText(self.tr("组长：%1。").replace("%1", view.leader_id) + waiting_for(view))


class DetailedPage(QWidget):
    """The score sheet of the valid bidders, built once the detailed review starts, and its submission.

    A restarted window restores the sheet (the server's copy overlaid with the outbox, read by ``loader``
    off the GUI thread) before any cell can be edited, so that nothing is recorded twice. The window
    records each cell's change (``model.sig_entry_changed``) and marks it from the server's answer; this
    page records every refused cell again once the pause that refused it is over (:attr:`resumes`)."""

    def __init__(
        self,
        record: Record | None = None,
        loader: SheetLoader[Entry] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._record = record
        self._loader = loader
        self._loading = False
        self._loaded = loader is None  # without a loader there is nothing to restore
        # Restored unsynced cells, queued by an earlier window (whose answer tracking is gone): read again
        # until the server answered them. (bidder id, criterion id) -> the restored value.
        self._recheck: dict[tuple[str, str], Entry] = {}
        self._loaded_at_resume = 0  # self.resumes when the sheet was restored
        self._load_note = ""  # why the server's copy or the saved sheet could not be read
        self._submitted = False
        self._editable = False  # in the phase, not submitted, not paused, no own step on its way
        self._phase = common_pb2.PHASE_UNSPECIFIED
        self._paused: bool | None = None
        self._view: session_pb2.SessionView | None = None
        self.resumes = 0
        """How many times a view said "not paused" after one that said "paused"."""
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.submit_button = QPushButton(self.tr("提交详细评审"))
        self.submit_button.setEnabled(False)
        self.submit_button.clicked.connect(self.confirm_submit)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.submit_button)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(QLabel(self.tr("<h3>详细评审</h3>")))
        self._grid_at = self._layout.count()
        self._layout.addLayout(buttons)
        self._layout.addWidget(self.status_label)
        self.sheet: ScoreSheet | None = None
        self.model: ScoreGridModel | None = None
        self._confirm: Callable[[int], bool] = self._ask

    # -- building and restoring ----------------------------------------------------------------------

    def build(self, view: session_pb2.SessionView) -> ScoreGridModel:
        valid = set(view.preliminary.valid_bidder_ids)
        bidders = [b for b in view.bidders if b.id in valid]
        criteria = [criterion_from_proto(c) for c in view.method.criteria]
        self.model = ScoreGridModel(bidders, criteria, view.caller_id, self)
        self.model.set_read_only(not self._loaded)  # until restored: an edit now could be sent twice
        self.model.dataChanged.connect(lambda *_: self._refresh_state())
        self.sheet = ScoreSheet(self.model, self)
        self._layout.insertWidget(self._grid_at, self.sheet, 1)
        return self.model

    @property
    def loading(self) -> bool:
        """True while the saved sheet is being read in the background."""
        return self._loading

    def _restore(self, expert_id: str) -> None:
        loader = self._loader
        if loader is None or self._loading:
            return
        self._loading = True
        run_in_background(lambda: loader(expert_id), self._restored, self._restore_failed)

    def _restored(self, saved: SavedSheet[Entry]) -> None:
        self._loading = False
        model = self.model
        if model is None:
            return
        self._load_note = ""
        if saved.server_error:
            self._load_note = self.tr("无法连接服务器，显示本机保存的评分：") + saved.server_error
        cells = saved.cells
        if not self._loaded:
            self._loaded = True
            self._loaded_at_resume = self.resumes
            model.load_entries({k: c.entry for k, c in cells.items() if c.state is CellState.SYNCED})
            model.load_entries(
                {k: c.entry for k, c in cells.items() if c.state is not CellState.SYNCED}, synced=False
            )
            for (bidder_id, criterion_id), cell in cells.items():
                if cell.state is CellState.REFUSED:
                    model.mark_refused(bidder_id, criterion_id, cell.entry, cell.message)
            self._recheck = {k: c.entry for k, c in cells.items() if c.state is CellState.UNSYNCED}
            model.set_read_only(not self._editable)
            self.resend_refused()  # refused before this window, e.g. during a pause that is over now
        else:
            refused = False
            for key, entry in list(self._recheck.items()):
                found = cells.get(key)
                if found is None or found.state is CellState.UNSYNCED:
                    continue
                if found.state is CellState.SYNCED:
                    model.mark_synced(*key, entry)
                else:
                    model.mark_refused(*key, entry, found.message)
                    refused = True
                del self._recheck[key]
            if refused and self.resumes > self._loaded_at_resume:
                self.resend_refused()  # refused during a pause that has ended since
        # A cell changed in this window since is tracked by the window's own answers.
        self._recheck = {
            key: entry
            for key, entry in self._recheck.items()
            if model.entry(*key) == entry and model.cell_state(*key) is CellState.UNSYNCED
        }
        self._refresh_state()

    def _restore_failed(self, error: BaseException) -> None:
        self._loading = False  # the next view tries again
        self._load_note = self.tr("无法读取已保存的评分: ") + describe(error)
        self._refresh_state()

    # -- the view --------------------------------------------------------------------------------------

    def show_view(self, view: session_pb2.SessionView, busy: bool = False) -> None:
        in_phase = view.phase == common_pb2.PHASE_DETAILED_REVIEW
        if in_phase and self._phase != view.phase and self.model is not None:
            self._loaded = self._loader is None  # back in this phase (a correction): read again
        resumed = self._paused is True and not view.paused
        if resumed:
            self.resumes += 1
        self._paused = view.paused
        self._phase = view.phase
        self._view = view
        me = own_member(view)
        self._submitted = me is not None and me.detailed_submitted
        if self.model is not None and in_phase and (not self._loaded or self._recheck):
            self._restore(view.caller_id)  # also after submission: the sealed sheet is shown as it was
        self._editable = in_phase and not self._submitted and not busy and not view.paused
        if self.model is not None:
            self.model.set_read_only(not (self._editable and self._loaded))
        if resumed:
            self.resend_refused()
        self._refresh_state()

    def resend_refused(self) -> None:
        """Record every refused cell again (they turn unsynced) — only while the sheet may be edited."""
        if self.model is not None and self._editable and self._loaded:
            self.model.resend_refused()

    def _refresh_state(self) -> None:
        view, model = self._view, self.model
        if self._submitted and view is not None:
            self.status_label.setText(self.tr("已提交。") + waiting_for(view))
        elif self._load_note:
            self.status_label.setText(self._load_note)
        elif model is not None and not self._loaded:
            self.status_label.setText(self.tr("正在读取已保存的评分…"))
        elif model is not None and model.unsynced_count():
            self.status_label.setText(self.tr("未同步的评分: %n 项", "", model.unsynced_count()))
        else:
            self.status_label.setText("")
        ok, why = self.submit_check()
        self.submit_button.setEnabled(ok)
        self.submit_button.setToolTip(why)

    def submit_check(self) -> tuple[bool, str]:
        """Whether the sheet may be submitted now, and if not, why (the submit button's tooltip).

        The server's rule (SubmitDetailed): a value for every valid bidder × detailed item but the price
        item, which is exactly the grid; refused or mistyped cells must be entered again first."""
        model = self.model
        if self._submitted:
            return False, self.tr("已提交，不能再修改")
        if model is None or not self._loaded:
            return False, self.tr("正在读取已保存的评分")
        if not self._editable or self._record is None:
            return False, self.tr("当前不能提交（已暂停或正在同步）")
        if model.refused_count():
            return False, self.tr("有 %n 项评分未被服务器接受，请重新输入", "", model.refused_count())
        if model.error_count():
            return False, self.tr("有 %n 项输入有误，请更正", "", model.error_count())
        if model.missing_count():
            return False, self.tr("还有 %n 项尚未评分", "", model.missing_count())
        return True, self.tr("提交后不能再修改")

    # -- submitting ------------------------------------------------------------------------------------

    def confirm_submit(self) -> None:
        model = self.model
        ok, _why = self.submit_check()
        if not ok or model is None or self._record is None:
            return
        if not self._confirm(model.unsynced_count()) or not self.submit_check()[0]:
            return  # cancelled, or the dialog's event loop applied a view that forbids it now
        if self._record("SubmitDetailed") is not None:
            model.set_read_only(True)
            self._refresh_state()

    def _ask(self, unsynced: int) -> bool:
        text = self.tr("提交后不能再修改详细评审的评分。确定提交吗？")
        if unsynced:
            text += self.tr("其中 %n 项评分尚未同步，将在提交之前发送。", "", unsynced)
        answer = QMessageBox.question(self, self.tr("提交详细评审"), text)
        return answer == QMessageBox.StandardButton.Yes

    def set_confirmation(self, confirm: Callable[[int], bool]) -> None:
        """Replace the confirm dialog (given the number of unsynced cells) — tests answer it without one."""
        self._confirm = confirm


# -- the window -----------------------------------------------------------------------------------------


def session_view_fetch(
    client: ApiClient, session_id: str, parent: QObject, engine: SyncEngine | None = None
) -> CoalescedFetch:
    """The windows' poll of the session's ``SessionView`` (GetSession, coalesced, off the GUI thread).

    Each poll also tells ``engine`` whether the server answered: with nothing queued the engine sends
    nothing, and the status bar must still show a cut link (and a restored one) within a poll interval.
    """

    def fetch() -> session_pb2.SessionView:
        try:
            response: evaluation_service_pb2.GetSessionResponse = client.evaluation.GetSession(
                evaluation_service_pb2.GetSessionRequest(session_id=session_id), timeout=client.timeout
            )
        except grpc.RpcError as error:
            if engine is not None and is_transient(error):
                engine.note_link(reachable=False, error=describe(error))
            raise
        if engine is not None:
            engine.note_link(reachable=True)
        return response.session

    return CoalescedFetch(fetch, parent)


STEP_COLOURS = {
    StepState.DONE: QColor(0, 120, 0),
    StepState.CURRENT: QColor(0, 0, 180),
    StepState.LOCKED: QColor(130, 130, 130),
}
STEP_MARKS = {StepState.DONE: "✓", StepState.CURRENT: "▶", StepState.LOCKED: "🔒"}


def show_steps(steps_list: QListWidget, view: session_pb2.SessionView) -> None:
    """Fill a window's step list from the view: mark, title, colour, and why in the tooltip."""
    steps = steps_of(view)
    if steps_list.count() != len(steps):
        steps_list.clear()
        for _step in steps:
            steps_list.addItem(QListWidgetItem())
    for row, step in enumerate(steps):
        item = steps_list.item(row)
        item.setText(f"{STEP_MARKS[step.state]} {step.title}")
        item.setData(Qt.ItemDataRole.UserRole, step.state)
        item.setToolTip(step.reason)
        item.setForeground(QBrush(STEP_COLOURS[step.state]))


class PauseBanner(QLabel):
    """Both windows' red banner while the session is paused, with the supervisor's reason: red, so that
    nobody misses that the evaluation stands still."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("background: #c62828; color: white; padding: 6px; font-weight: bold;")
        self.hide()

    def show_view(self, view: session_pb2.SessionView) -> None:
        self.setVisible(view.paused)
        self.setText(self.tr("评标已暂停 — 暂停理由：%1").replace("%1", view.pause_reason))


def show_instead_of_login(
    login: QWidget, window: QMainWindow, opened: OpenedSession, width: int, height: int
) -> None:
    """Show a session's window after the login, which hides (it stays for whoever logs in next)."""
    application = QCoreApplication.instance()
    if application is not None:
        # The cache and the sync engine live as long as the client: unsynced changes keep being sent.
        application.aboutToQuit.connect(opened.close)
    window.resize(width, height)
    window.show()
    login.hide()


NOT_A_STEP = frozenset({"RequestClarification"})
"""Actions that do not complete the caller's own step: recording one must not disable the page."""


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
        self._busy_phase: int | None = None  # an action of this phase was recorded, not yet in the view
        self._busy_round = 0
        self._notice = ""  # the last refusal, shown until the next action
        self.recorder = ActionRecorder(engine, self)
        # Downloads write into the cache: stopped before it is wiped.
        self.cache_retirement = CacheRetirement(engine, lambda: self.documents_pane.shutdown(), self)
        self.cache_retirement.sig_message.connect(self._show_retirement)
        self.recorder.sig_answered.connect(self._answered)
        self.recorder.sig_failed.connect(self._show_notice)

        self.steps_list = QListWidget()
        self.steps_list.setMaximumWidth(190)
        self.pause_banner = PauseBanner()
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
        self.detailed_page = DetailedPage(self._record, score_loader(client, engine.cache, session_id))
        self.summary_source = SummarySource(summary_fetch(client, session_id), self)
        self.summary_page = SummaryPage(self._record, self.summary_source, self.recorder.in_flight)
        self.report_page = ReportPage(self._record, self.summary_source, self.recorder.in_flight)
        self.ended_page = EndedPage(self.summary_source)
        self.loading_page = QLabel(self.tr("正在读取评标会话…"))
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
        splitter.setSizes([self.steps_list.maximumWidth(), 10_000])  # else the list's share stays blank
        self.setCentralWidget(splitter)

        self.sync_labels = SyncStatusLabels(engine, self.statusBar(), self)
        self.sync_labels.sig_status.connect(self._sync_status_changed)
        # The labels themselves, under the names the tests and the fault drills read.
        self.connection_label = self.sync_labels.connection_label
        self.unsynced_label = self.sync_labels.unsynced_label
        self.last_sync_label = self.sync_labels.last_sync_label

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
        # Tabbed rather than stacked: the pages and the scoring grid keep most of the width.
        self.tabifyDockWidget(self.documents_dock, self.review_dock)
        self.resizeDocks([self.documents_dock], [360], Qt.Orientation.Horizontal)
        self.review_dock.hide()  # until the preliminary review starts

        self.checkin_page.check_in_button.clicked.connect(self.check_in)
        self.pledge_page.agree_button.clicked.connect(self.accept_pledge)
        self.recusal_page.sig_declare.connect(self.declare_recusal)
        self.election_page.vote_button.clicked.connect(self.vote)
        self.waiting_page.request_start_button.clicked.connect(self.request_start)

        self.poller = session_view_fetch(client, session_id, self, engine)
        self.poller.sig_done.connect(self._view_fetched)
        self.poller.sig_failed.connect(self._view_failed)

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
        if not self._closed:
            self.poller.fetch()

    def _view_fetched(self, _number: int, view: session_pb2.SessionView) -> None:
        if not self._closed:
            self.apply_view(view)

    def _view_failed(self, error: BaseException) -> None:
        if not self._closed:
            self.message_label.setText(describe(error))

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
        show_steps(self.steps_list, view)
        self.pause_banner.show_view(view)

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
        self.detailed_page.show_view(view, busy)
        for result_page in (self.summary_page, self.report_page, self.ended_page):
            result_page.show_view(view, busy)
        page = self._page_of_phase.get(view.phase, self.loading_page)
        if shows_summary(view):
            page = self.summary_page  # every sheet is sealed: the leader runs the summary from this page
        if self.pages.currentWidget() is not page:
            self.pages.setCurrentWidget(page)
        self.sig_view_changed.emit(view)
        self.cache_retirement.show_view(view)

    def _show_retirement(self, text: str) -> None:
        self._notice = text
        self.message_label.setText(text)

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
            common_pb2.PHASE_DETAILED_REVIEW: me.detailed_submitted,
        }.get(view.phase, False)

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
        role = role_text(common_pb2.ROLE_EXPERT)
        if view is not None:
            me = own_member(view)
            name = name or (me.name if me is not None else view.caller_id)
            role = role_text(view.caller_role)
        self.setWindowTitle(window_title(project, name, role))

    # -- sync status ---------------------------------------------------------------------------------------

    def _sync_status_changed(self, status: SyncStatus) -> None:
        """After the status bar showed ``status``: group actions follow the connection (DOMAIN.md)."""
        if self._closed:
            return
        previous, self.sync_status = self.sync_status, status
        self.summary_page.set_online(status.connected)
        self.report_page.set_online(status.connected)
        if previous is not None and status.unsynced < previous.unsynced:
            self.refresh()  # a change reached the server: show its effect now
            self.recorder.check_answers()

    # -- actions (local first) -----------------------------------------------------------------------------

    def _record(
        self,
        rpc: str,
        cell: tuple[str, str, Entry] | None = None,
        on_answered: AnswerCallback | None = None,
        /,
        **fields: object,
    ) -> int | None:
        """Queue a change through the recorder; a step's own action disables its page until the view (or a
        refusal) says otherwise. ``cell`` tags a grid cell's change, ``on_answered`` hears its answer."""
        view = self.view
        sequence = self.recorder.record(rpc, cell, on_answered, **fields)
        if sequence is None:
            return None  # the recorder said why (sig_failed)
        self._show_notice("")
        if view is not None and cell is None and rpc not in NOT_A_STEP:
            self._busy_phase = view.phase
            self._busy_round = view.election.round
            self.apply_view(view)  # disable the button at once
        self.refresh()
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
        resumes = self.detailed_page.resumes

        def answered(answer: Answer) -> None:
            self._score_answered(answer, resumes)

        self._record("RecordScore", (bidder_id, criterion_id, entry), answered, entry=proto)

    def _score_answered(self, answer: Answer, resumes: int | None = None) -> None:
        """An acknowledged score cell turns synced; a refused one red with the server's reason (the window
        shows the refusal as well), if it still holds that value. ``resumes``: the page's count of resumes
        when the change was recorded — if the session resumed since, the pause that refused it is over, so
        the cell is recorded again at once; otherwise the next resume does that."""
        model = self.detailed_page.model
        if model is None:
            return
        bidder_id, criterion_id, entry = cast(tuple[str, str, Entry], answer.tag)
        if not answer.refused:
            model.mark_synced(bidder_id, criterion_id, entry)
            return
        model.mark_refused(bidder_id, criterion_id, entry, answer.message)
        if resumes is not None and self.detailed_page.resumes > resumes:
            self.detailed_page.resend_refused()

    def _answered(self, answer: Answer) -> None:
        """Every answer: a refusal is shown with the server's reason; a refused step re-enables its page."""
        if self._closed or not answer.refused:
            return
        cell = answer.tag
        where = None
        if isinstance(cell, tuple):
            where = f"{cell[0]}/{cell[1]}"
        self._show_notice(refusal_text(answer, where))
        if cell is None:
            self._busy_phase = None
            self.refresh()

    def _show_notice(self, text: str) -> None:
        self._notice = text
        self.message_label.setText(text)

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
        self.poller.close()
        self.summary_source.close()
        self.documents_pane.shutdown()
        self.recorder.close()
        self.cache_retirement.close()
        self.sync_labels.detach()

    @property
    def busy(self) -> bool:
        """True while any background work of this window is in flight (a deleted window has none left:
        run_in_background drops answers for it)."""
        if not shiboken6.isValid(self):
            return False
        busy = self.poller.busy or self.recorder.busy or self.summary_source.busy
        restoring = self.detailed_page.loading or self.preliminary_page.loading
        return busy or restoring or self.cache_retirement.busy


def open_session_window(login: QWidget, result: LoginResult) -> SessionWindow | SupervisorWindow | None:
    """After a login: the session's window replaces the login window (which stays for others).

    Routed by role: a supervisor gets the supervisor's console, an expert this window."""
    if result.opened is None:
        return None
    if result.caller_role == common_pb2.Role.Name(common_pb2.ROLE_SUPERVISOR):
        # Imported here: the console imports this module (steps, waiting texts), so not at import time.
        from app.ui.supervisor_window import open_supervisor_window

        return open_supervisor_window(login, result)
    opened = result.opened
    window = SessionWindow(opened.client, opened.engine, opened.session_id, result.caller_name)
    show_instead_of_login(login, window, opened, 1440, 900)
    return window
