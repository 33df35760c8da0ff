"""The preliminary review page (初步评审) and the clarification panel (澄清) of the expert's window.

Both are driven like the window's other pages: ``show_view(view, busy)`` with each ``SessionView``, and
every action goes through ``record(rpc, cell=None, on_answered=None, **fields)`` (the window's local-first
``SessionWindow._record``, which records through its :class:`~app.ui.actions.ActionRecorder`). The only
background work, restoring the expert's saved verdicts, runs through
:func:`~app.operations.run_in_background`; the GUI thread never waits on the network or the disk.

The clarification panel lives in a dock of the window (:class:`ReviewDock`) rather than on a page: one
instance serves the preliminary and the detailed review alike, the leader's half-written question
survives the change of phase, and the list of clarifications stays in sight next to either grid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import grpc
from google.protobuf.message import Message
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import describe, is_transient
from app.models.preliminary import PreliminaryModel
from app.models.score_grid import CellState
from app.operations import run_in_background
from app.services.cache import OutboxStatus, SessionCache
from app.services.connection import ApiClient, request_type
from app.ui.actions import Answer
from bideval.domain.commands import PassFailEntry
from bideval.domain.method import Criterion
from bideval.v1 import common_pb2, evaluation_service_pb2, session_pb2

Record = Callable[..., int | None]
"""The window's ``_record(rpc, cell=None, on_answered=None, /, **fields)``: the change's sequence number,
None if the cache refused it; ``on_answered`` hears the server's :class:`~app.ui.actions.Answer`."""

Key = tuple[str, str]
"""(bidder id, criterion id) of a grid cell."""

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class SavedCell(Generic[E]):
    """One restored cell: the expert's last value and where it stands with the server."""

    entry: E
    state: CellState  # SYNCED, UNSYNCED or REFUSED
    message: str = ""  # the server's reason for a refusal


@dataclass(frozen=True, slots=True)
class SavedSheet(Generic[E]):
    """What a restarted window shows: every saved cell, and why the server's copy could not be read
    (``""`` when it was; the outbox's acknowledged changes stand in for it then)."""

    cells: dict[Key, SavedCell[E]]
    server_error: str = ""


SheetLoader = Callable[[str], SavedSheet[E]]
"""Reads the expert's saved cells (given the expert's person id); runs off the GUI thread."""


def sheet_loader(
    client: ApiClient,
    cache: SessionCache,
    session_id: str,
    rpc: str,
    from_sheet: Callable[[session_pb2.Sheet], Iterable[tuple[Key, E]]],
    from_request: Callable[[Message], tuple[Key, E]],
) -> SheetLoader[E]:
    """Saved cells = the own sheet from GetSheets (synced), overlaid with the outbox's ``rpc`` changes in
    sequence order, so that the newest wins: pending or sent → unsynced, refused → refused with the
    server's reason, acknowledged → back to the server's value. A restarted window thus shows what the
    expert last entered, whether or not it reached the server. When the server cannot be reached the
    acknowledged changes are the synced base instead (they are what the server holds)."""
    message_type = request_type(rpc)

    def load(expert_id: str) -> SavedSheet[E]:
        base: dict[Key, E] = {}
        server_error = ""
        try:
            response = client.evaluation.GetSheets(
                evaluation_service_pb2.GetSheetsRequest(session_id=session_id), timeout=client.timeout
            )
        except grpc.RpcError as error:
            if not is_transient(error):
                raise
            server_error = describe(error)
        else:
            for sheet in response.sheets:
                if sheet.expert_id == expert_id:
                    base.update(from_sheet(sheet))
        overlay: dict[Key, SavedCell[E]] = {}
        for item in cache.outbox_items(rpc):
            key, entry = from_request(message_type.FromString(item.request))
            if item.status is OutboxStatus.ACKNOWLEDGED:
                overlay.pop(key, None)
                if server_error:
                    base[key] = entry
            elif item.status is OutboxStatus.REFUSED:
                overlay[key] = SavedCell(entry, CellState.REFUSED, item.error_message or "")
            else:
                overlay[key] = SavedCell(entry, CellState.UNSYNCED)
        cells = {key: SavedCell(entry, CellState.SYNCED) for key, entry in base.items()}
        return SavedSheet(cells | overlay, server_error)

    return load


def _verdicts_of(sheet: session_pb2.Sheet) -> Iterable[tuple[Key, PassFailEntry]]:
    for verdict in sheet.verdicts:
        yield (verdict.bidder_id, verdict.criterion_id), PassFailEntry(verdict.passed, verdict.reason)


def _verdict_request(message: Message) -> tuple[Key, PassFailEntry]:
    assert isinstance(message, evaluation_service_pb2.RecordPreliminaryVerdictRequest)
    return (message.bidder_id, message.criterion_id), PassFailEntry(message.passed, message.reason)


def verdict_loader(client: ApiClient, cache: SessionCache, session_id: str) -> SheetLoader[PassFailEntry]:
    """The preliminary page's saved verdicts (see :func:`sheet_loader`)."""
    return sheet_loader(client, cache, session_id, "RecordPreliminaryVerdict", _verdicts_of, _verdict_request)


# session_window imports this module to build its pages, so its helpers are imported when called, not at
# import time (a module-level import would be circular whichever module is loaded first).


def _own_submitted(view: session_pb2.SessionView) -> bool:
    from app.ui.session_window import own_member

    me = own_member(view)
    return me is not None and me.preliminary_submitted


def _waiting_for(view: session_pb2.SessionView) -> str:
    from app.ui.session_window import waiting_for

    return waiting_for(view)


def _preliminary_criteria(view: session_pb2.SessionView) -> list[Criterion]:
    from app.ui.session_window import criterion_from_proto

    return [criterion_from_proto(c) for c in view.method.criteria if c.stage == "preliminary"]


# -- the preliminary grid ---------------------------------------------------------------------------------


class PreliminaryGridView(QTableView):
    """Keyboard-first: arrows move, Space toggles 合格/不合格, a fail opens the reason editor at once;
    Enter or F2 on a fail edits its reason, Esc leaves the reason empty (the cell stays red, unsent)."""

    def __init__(self, model: PreliminaryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._grid = model
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        # Sized once to the item titles: a long reason is elided in the cell (its tooltip has it all)
        # instead of widening the column as it is typed.
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(110)
        self.resizeColumnsToContents()
        self.setWordWrap(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        no_modifiers = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if index.isValid() and no_modifiers and self.state() is not QAbstractItemView.State.EditingState:
            if event.key() == Qt.Key.Key_Space:
                if self._grid.toggle(index.row(), index.column()):
                    self.edit(index)  # the reason is asked for right here, in the cell
                event.accept()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._grid.is_fail(
                index.row(), index.column()
            ):
                self.edit(index)
                event.accept()
                return
        super().keyPressEvent(event)


class PreliminaryPage(QWidget):
    """The expert's pass/fail sheet, its submission, and the group outcome once concluded."""

    def __init__(
        self,
        record: Record,
        loader: SheetLoader[PassFailEntry] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._record = record
        self._loader = loader
        self._loading = False
        self._loaded = loader is None  # without a loader there is nothing to restore
        self._recheck: set[tuple[str, str]] = set()  # restored unsynced cells: (bidder id, criterion id)
        self._load_error = ""  # why the saved verdicts could not be read, shown until a read succeeds
        self._submitted = False
        self._can_submit = False
        self._phase = common_pb2.PHASE_UNSPECIFIED
        self._view: session_pb2.SessionView | None = None
        self.model: PreliminaryModel | None = None
        self.grid: PreliminaryGridView | None = None
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.help_label = QLabel(
            self.tr("方向键选择单元格，空格键切换 合格/不合格；不合格时须在单元格内填写理由（回车确认）。")
        )
        self.help_label.setWordWrap(True)
        self.all_pass_button = QPushButton(self.tr("其余未评项均为合格"))
        self.all_pass_button.setToolTip(self.tr("把尚未评审的单元格全部设为合格（已评的不变）"))
        self.all_pass_button.clicked.connect(self.pass_remaining)
        self.submit_button = QPushButton(self.tr("提交初步评审"))
        self.submit_button.setEnabled(False)
        self.submit_button.clicked.connect(self.confirm_submit)
        self.outcome = PreliminaryOutcomeView()
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_pass_button)
        buttons.addStretch()
        buttons.addWidget(self.submit_button)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(QLabel(self.tr("<h3>初步评审</h3>")))
        self._layout.addWidget(self.help_label)
        self._grid_at = self._layout.count()
        self._layout.addLayout(buttons)
        self._layout.addWidget(self.status_label)
        self._layout.addWidget(self.outcome)
        self._confirm: Callable[[int], bool] = self._ask

    # -- building and restoring ----------------------------------------------------------------------

    def build(self, view: session_pb2.SessionView) -> PreliminaryModel:
        criteria = _preliminary_criteria(view)
        credit = {b.id: b.credit for b in view.bidders}
        self.model = PreliminaryModel(list(view.bidders), criteria, credit, self)
        self.model.sig_verdict_changed.connect(self._verdict_changed)
        self.model.dataChanged.connect(lambda *_: self._refresh_state())
        self.grid = PreliminaryGridView(self.model, self)
        self._layout.insertWidget(self._grid_at, self.grid, 1)
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

    def _restored(self, saved: SavedSheet[PassFailEntry]) -> None:
        self._loading = False
        self._load_error = ""
        model = self.model
        if model is None:
            return
        cells = saved.cells
        if not self._loaded:
            self._loaded = True
            model.load_verdicts(
                {key: (cell.entry, cell.state is CellState.SYNCED) for key, cell in cells.items()}
            )
            for (bidder_id, criterion_id), cell in cells.items():
                if cell.state is CellState.REFUSED:
                    model.mark_refused(bidder_id, criterion_id, cell.entry, cell.message)
            # Verdicts still in the outbox were queued by an earlier window, so this window's answer
            # tracking does not know them: read again until the server has them all.
            self._recheck = {key for key, cell in cells.items() if cell.state is CellState.UNSYNCED}
        else:
            for key in list(self._recheck):
                found = cells.get(key)
                if found is None or found.state is CellState.UNSYNCED:
                    continue
                if found.state is CellState.SYNCED:
                    model.mark_synced(*key, found.entry)
                else:
                    model.mark_refused(*key, found.entry, found.message)
                    self._recheck.discard(key)  # answered: red until re-entered, nothing to wait for
        self._recheck = {key for key in self._recheck if model.has_unsynced(*key)}
        self._refresh_state()

    def _restore_failed(self, error: BaseException) -> None:
        self._loading = False  # the next view tries again
        self._load_error = self.tr("无法读取已保存的评审结果: ") + describe(error)
        self._refresh_state()

    # -- the view --------------------------------------------------------------------------------------

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        in_phase = view.phase == common_pb2.PHASE_PRELIMINARY_REVIEW
        if in_phase and self._phase != view.phase and self.model is not None:
            self._loaded = self._loader is None  # back in this phase (a roll-back, a recusal): read again
        resumed = self._view is not None and self._view.paused and not view.paused
        self._phase = view.phase
        self._view = view
        if self.model is None and in_phase:
            self.build(view)
        self._submitted = _own_submitted(view)
        if self.model is not None and in_phase and (not self._loaded or self._recheck):
            self._restore(view.caller_id)  # also after submission: the sealed sheet is shown as it was
        self._can_submit = in_phase and not self._submitted and not busy and not view.paused
        if self.model is not None:
            self.model.set_read_only(not (self._can_submit and self._loaded))
            if resumed and self._can_submit and self._loaded:
                self.model.resend_refused()  # refused while the session was paused: nothing is lost
        self._refresh_state()
        self.outcome.show_view(view)

    def _refresh_state(self) -> None:
        view = self._view
        if self._submitted and view is not None:
            text = self.tr("已提交。") + _waiting_for(view)
            if view.preliminary.concluded:
                text = self.tr("初步评审已结束。")
            self.status_label.setText(text)
        elif self._load_error:
            self.status_label.setText(self._load_error)
        elif not self._loaded and self._loading:
            self.status_label.setText(self.tr("正在读取已保存的评审结果…"))
        elif self.model is not None and self.model.unsynced_count():
            self.status_label.setText(self.tr("未同步的评审结果: %n 项", "", self.model.unsynced_count()))
        else:
            self.status_label.setText("")
        self._update_submit()

    def _update_submit(self) -> None:
        model = self.model
        editable = model is not None and not model.read_only
        self.all_pass_button.setEnabled(editable and model is not None and model.missing_count() > 0)
        ok, why = self.submit_check()
        self.submit_button.setEnabled(ok)
        self.submit_button.setToolTip(why)

    def submit_check(self) -> tuple[bool, str]:
        """Whether the sheet may be submitted now, and if not, why (the submit button's tooltip)."""
        model = self.model
        if self._submitted:
            return False, self.tr("已提交，不能再修改")
        if model is None or not self._loaded:
            return False, self.tr("正在读取已保存的评审结果")
        if not self._can_submit:
            return False, self.tr("当前不能提交（已暂停或正在同步）")
        if model.refused_count():
            return False, self.tr("有 %n 项未被服务器接受，请重新评审", "", model.refused_count())
        if model.needs_reason_count():
            return False, self.tr("还有 %n 项不合格未填写理由", "", model.needs_reason_count())
        if model.missing_count():
            return False, self.tr("还有 %n 项尚未评审", "", model.missing_count())
        return True, self.tr("提交后不能再修改")

    # -- actions ---------------------------------------------------------------------------------------

    def _verdict_changed(self, bidder_id: str, criterion_id: str, verdict: PassFailEntry) -> None:
        self._record(
            "RecordPreliminaryVerdict",
            (bidder_id, criterion_id, verdict),
            self._verdict_answered,
            bidder_id=bidder_id,
            criterion_id=criterion_id,
            passed=verdict.passed,
            reason=verdict.reason,
        )
        self._refresh_state()

    def _verdict_answered(self, answer: Answer) -> None:
        """The server's answer to one verdict: the cell turns synced, or red with the reason until re-entered
        (the window shows the refusal as well)."""
        model = self.model
        if model is None or not isinstance(answer.tag, tuple):
            return
        bidder_id, criterion_id, verdict = answer.tag
        if answer.refused:
            model.mark_refused(bidder_id, criterion_id, verdict, answer.message)
        else:
            model.mark_synced(bidder_id, criterion_id, verdict)

    def pass_remaining(self) -> None:
        """Every cell without a verdict becomes 合格; fails (even those still waiting for a reason) stay."""
        model = self.model
        if model is None or model.read_only:
            return
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                if model.is_empty(row, column):
                    model.set_passed(row, column)

    def confirm_submit(self) -> None:
        model = self.model
        ok, _why = self.submit_check()
        if not ok or model is None:
            return
        failed = sum(1 for verdict in model.verdicts().values() if not verdict.passed)
        if not self._confirm(failed) or not self.submit_check()[0]:
            return  # cancelled, or the dialog's event loop applied a view that forbids it now
        if self._record("SubmitPreliminary") is not None:
            model.set_read_only(True)
            self._update_submit()

    def _ask(self, failed: int) -> bool:
        text = self.tr("提交后不能再修改初步评审结果。其中不合格 %n 项。确定提交吗？", "", failed)
        answer = QMessageBox.question(self, self.tr("提交初步评审"), text)
        return answer == QMessageBox.StandardButton.Yes

    def set_confirmation(self, confirm: Callable[[int], bool]) -> None:
        """Replace the confirm dialog (given the number of fails) — tests answer it without a dialog."""
        self._confirm = confirm


# -- the group outcome --------------------------------------------------------------------------------------


class PreliminaryOutcomeView(QWidget):
    """The majority result: valid bids, and each rejected bid (否决投标) with its items and reasons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        self.hide()

    def show_view(self, view: session_pb2.SessionView) -> None:
        outcome = view.preliminary
        self.setVisible(outcome.concluded)
        if not outcome.concluded:
            self.label.clear()
            return
        self.label.setText(outcome_text(view))


def outcome_text(view: session_pb2.SessionView) -> str:
    names = {b.id: b for b in view.bidders}
    titles = {c.id: c.title for c in view.method.criteria}
    outcome = view.preliminary

    def bidder(bidder_id: str) -> str:
        found = names.get(bidder_id)
        if found is None:
            return bidder_id
        credit = {
            "red": QCoreApplication.translate("ReviewPages", "红名单"),
            "black": QCoreApplication.translate("ReviewPages", "黑名单"),
        }.get(found.credit, "")
        return f"{bidder_id} {found.name}" + (f" [{credit}]" if credit else "")

    lines = [QCoreApplication.translate("ReviewPages", "初步评审结果（少数服从多数）")]
    lines.append(QCoreApplication.translate("ReviewPages", "通过初步评审的投标人:"))
    lines.extend(f"  ✓ {bidder(b)}" for b in outcome.valid_bidder_ids)
    if outcome.rejections:
        lines.append(QCoreApplication.translate("ReviewPages", "否决投标:"))
        for rejection in outcome.rejections:
            separator = QCoreApplication.translate("ReviewPages", "、")
            items = separator.join(titles.get(c, c) for c in rejection.criterion_ids)
            failed_items = QCoreApplication.translate("ReviewPages", "不合格项")
            lines.append(f"  ✗ {bidder(rejection.bidder_id)} — {failed_items}: {items}")
            reason_label = QCoreApplication.translate("ReviewPages", "理由")
            lines.extend(f"      {reason_label}: {reason}" for reason in rejection.reasons)
    else:
        lines.append(QCoreApplication.translate("ReviewPages", "无否决投标。"))
    return "\n".join(lines)


# -- clarifications ---------------------------------------------------------------------------------------


def status_text(item: session_pb2.Clarification) -> str:
    text = {
        "pending_approval": QCoreApplication.translate("ReviewPages", "待监督人员批准"),
        "rejected": QCoreApplication.translate("ReviewPages", "监督人员未批准"),
        "sent": QCoreApplication.translate("ReviewPages", "已批准，已发给投标人，待答复"),
        "answered": QCoreApplication.translate("ReviewPages", "投标人已答复"),
    }.get(item.status, item.status)
    return f"{text}（{item.supervisor_note}）" if item.supervisor_note else text


CLARIFICATION_PHASES = (common_pb2.PHASE_PRELIMINARY_REVIEW, common_pb2.PHASE_DETAILED_REVIEW)


class ClarificationPanel(QWidget):
    """Everyone sees the clarifications; the leader also asks new ones (in the review phases only)."""

    def __init__(self, record: Record, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._record = record
        self._can_ask = False
        # One wrapped multi-line entry per clarification: the panel sits in a narrow dock, where columns
        # would cut the question off.
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty_label = QLabel(self.tr("暂无澄清。"))
        self.ask_box = QWidget()
        self.bidder_combo = QComboBox()
        self.question_edit = QPlainTextEdit()
        self.question_edit.setPlaceholderText(
            self.tr("书面澄清问题（不得暗示或诱导投标人，不接受投标人主动澄清）")
        )
        self.question_edit.setTabChangesFocus(True)  # keyboard users leave the box with Tab
        self.question_edit.setMaximumHeight(90)
        self.ask_button = QPushButton(self.tr("发起澄清"))
        self.ask_button.clicked.connect(self.ask)
        self.question_edit.textChanged.connect(self._update_button)
        self.bidder_combo.currentIndexChanged.connect(lambda *_: self._update_button())
        ask_layout = QVBoxLayout(self.ask_box)
        ask_layout.setContentsMargins(0, 0, 0, 0)
        ask_layout.addWidget(QLabel(self.tr("向投标人发起澄清（组长）:")))
        ask_layout.addWidget(self.bidder_combo)
        ask_layout.addWidget(self.question_edit)
        ask_layout.addWidget(self.ask_button)
        self.ask_box.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.ask_box)
        self._shown: list[tuple[str, str, str, str, str]] = []
        self._bidders: list[tuple[str, str]] = []

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        del busy  # asking never waits for an earlier question
        leader = bool(view.leader_id) and view.leader_id == view.caller_id
        in_phase = view.phase in CLARIFICATION_PHASES
        self.ask_box.setVisible(leader and in_phase)
        self._can_ask = leader and in_phase and not view.paused
        self._show_bidders(view)
        self._show_list(view)
        self._update_button()

    def _show_bidders(self, view: session_pb2.SessionView) -> None:
        if view.phase == common_pb2.PHASE_DETAILED_REVIEW and view.preliminary.concluded:
            valid = set(view.preliminary.valid_bidder_ids)  # a rejected bid is no longer asked
            bidders = [(b.id, b.name) for b in view.bidders if b.id in valid]
        else:
            bidders = [(b.id, b.name) for b in view.bidders]
        if bidders == self._bidders:
            return
        selected = self.bidder_combo.currentData()
        self._bidders = bidders
        self.bidder_combo.clear()
        for bidder_id, name in bidders:
            self.bidder_combo.addItem(f"{bidder_id} {name}", bidder_id)
        at = self.bidder_combo.findData(selected)
        self.bidder_combo.setCurrentIndex(max(at, 0))

    def _show_list(self, view: session_pb2.SessionView) -> None:
        names = {b.id: b.name for b in view.bidders}
        rows = [(c.id, c.bidder_id, c.question, status_text(c), c.answer) for c in view.clarifications]
        self.empty_label.setVisible(not rows)
        if rows == self._shown:
            return  # unchanged: keep the selection and scroll position
        self._shown = rows
        self.list.clear()
        for clarification_id, bidder_id, question, status, answer in rows:
            bidder = f"{bidder_id} {names.get(bidder_id, '')}".strip()
            lines = [f"{clarification_id} · {bidder} · {status}", self.tr("问：") + question]
            if answer:
                lines.append(self.tr("答：") + answer)
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.ItemDataRole.UserRole, clarification_id)
            self.list.addItem(item)

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(id, bidder id, question, status text, answer) of each clarification, as shown."""
        return list(self._shown)

    def _update_button(self) -> None:
        question = self.question_edit.toPlainText().strip()
        ok = self._can_ask and bool(question) and self.bidder_combo.currentData() is not None
        self.ask_button.setEnabled(ok)
        if not self._can_ask:
            self.ask_button.setToolTip(self.tr("只有组长在评审阶段可以发起澄清"))
        elif not question:
            self.ask_button.setToolTip(self.tr("请填写书面澄清问题"))
        else:
            self.ask_button.setToolTip("")

    def ask(self) -> None:
        bidder_id = self.bidder_combo.currentData()
        question = self.question_edit.toPlainText().strip()
        if not self._can_ask or not question or bidder_id is None:
            return
        if self._record("RequestClarification", bidder_id=str(bidder_id), question=question) is not None:
            self.question_edit.clear()


class ReviewDock(QWidget):
    """The dock's content: the preliminary outcome (once concluded) above the clarification panel."""

    def __init__(self, record: Record, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcome = PreliminaryOutcomeView()
        self.clarifications = ClarificationPanel(record)
        layout = QVBoxLayout(self)
        layout.addWidget(self.outcome)
        layout.addWidget(self.clarifications, 1)

    def show_view(self, view: session_pb2.SessionView, busy: bool) -> None:
        self.outcome.show_view(view)
        self.clarifications.show_view(view, busy)


def review_dock_wanted(view: session_pb2.SessionView) -> bool:
    """From the preliminary review on, clarifications and the outcome are part of the record to show."""
    return view.phase in (
        common_pb2.PHASE_PRELIMINARY_REVIEW,
        common_pb2.PHASE_DETAILED_REVIEW,
        common_pb2.PHASE_SUMMARY,
        common_pb2.PHASE_REPORT,
    )


__all__ = [
    "ClarificationPanel",
    "PreliminaryOutcomeView",
    "PreliminaryPage",
    "ReviewDock",
    "SavedCell",
    "SavedSheet",
    "SheetLoader",
    "review_dock_wanted",
    "sheet_loader",
    "verdict_loader",
]
