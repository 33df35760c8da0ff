"""The detailed-review score sheet as a table model: bidders × entered criteria, plus a live total.

Built from plain domain objects (bidders and ``Criterion``), never from gRPC messages. Every edit is
checked as it is typed with :func:`bideval.domain.workflow.check_entry`: a refused value is not stored,
the cell remembers the message (``cell_error``) and ``sig_rejected`` says why; an accepted value is stored,
marked *unsynced* and announced by ``sig_entry_changed`` so the caller (the sync engine) can record it.
A value the server refused (e.g. it arrived while the session was paused) is marked *refused*: red, with
the server's reason, until it is entered again or :meth:`ScoreGridModel.resend_refused` records it again.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from bideval.domain.commands import (
    DeductEntry,
    Deduction,
    Entry,
    ObjectiveEntry,
    PassFailEntry,
    ScoreEntry,
    VoteEntry,
)
from bideval.domain.errors import InvalidArgument
from bideval.domain.method import Criterion, ItemKind, ReviewStage
from bideval.domain.summary import entry_points, fmt
from bideval.domain.workflow import check_entry

CellStateRole = Qt.ItemDataRole.UserRole + 1
"""Custom role: the cell's :class:`CellState` (None for the total column)."""

EntryRole = Qt.ItemDataRole.UserRole + 2
"""Custom role: the stored domain ``Entry`` of a cell, or None."""

UNSYNCED_COLOUR = QColor(255, 246, 191)  # light yellow
ERROR_COLOUR = QColor(248, 208, 208)  # light red

_YES = frozenset({"1", "y", "yes", "t", "true", "pass", "ok", "通过", "合格", "是", "√", "✓"})
_NO = frozenset({"0", "n", "no", "f", "false", "fail", "不通过", "不合格", "否", "x", "×", "✗"})
_CHINESE_PREFIXES = (
    ("不通过", False),
    ("不合格", False),
    ("通过", True),
    ("合格", True),
    ("是", True),
    ("否", False),
)
_FIRST_WORD = re.compile(r"^(\S+?)(?:[\s:：,，]+(.*))?$", re.DOTALL)
_DEDUCTION = re.compile(r"^[-−]?\s*(\d+(?:\.\d+)?)\s*[:：,，]?\s*(.*)$", re.DOTALL)
_NO_DEDUCTIONS = frozenset({"0", "无", "-", "—", "none"})


class CellState(enum.StrEnum):
    """Where a cell's value stands with respect to the server."""

    UNSUBMITTED = "unsubmitted"  # no value yet
    UNSYNCED = "unsynced"  # changed locally, not yet acknowledged
    SYNCED = "synced"  # acknowledged by the server
    REFUSED = "refused"  # refused by the server (its reason in the tooltip) until recorded again


class BidderLike(Protocol):
    """What the grid needs of a bidder (``bideval.domain.setup.Bidder`` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CellError:
    """The last refused input of a cell and why it was refused."""

    text: str
    message: str


_Index = QModelIndex | QPersistentModelIndex


class ScoreGridModel(QAbstractTableModel):
    """Rows are bidders, columns the entered detailed criteria followed by the read-only total."""

    sig_entry_changed = Signal(str, str, object)
    """Emitted with (bidder id, criterion id, domain ``Entry``) when a valid value is stored by an edit."""

    sig_rejected = Signal(int, int, str)
    """Emitted with (row, column, message) when an edit is refused; the value is not stored."""

    def __init__(
        self,
        bidders: Sequence[BidderLike],
        criteria: Sequence[Criterion],
        expert_id: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bidders: tuple[tuple[str, str], ...] = tuple((b.id, b.name) for b in bidders)
        self._criteria: tuple[Criterion, ...] = tuple(
            c for c in criteria if c.stage is ReviewStage.DETAILED and c.kind is not ItemKind.PRICE
        )
        self._expert_id = expert_id
        self._entries: dict[tuple[int, int], Entry] = {}
        self._states: dict[tuple[int, int], CellState] = {}
        self._errors: dict[tuple[int, int], CellError] = {}
        self._refusals: dict[tuple[int, int], str] = {}  # the server's reason, for REFUSED cells
        self._read_only = False

    # --- structure ---------------------------------------------------------------------------------

    @property
    def total_column(self) -> int:
        return len(self._criteria)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._bidders)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._criteria) + 1

    def criterion(self, column: int) -> Criterion | None:
        """The criterion of ``column``; None for the total column."""
        return self._criteria[column] if 0 <= column < len(self._criteria) else None

    def bidder_id(self, row: int) -> str:
        return self._bidders[row][0]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal:
            if not 0 <= section < self.columnCount():
                return None
            criterion = self.criterion(section)
            if role == Qt.ItemDataRole.DisplayRole:
                return self.tr("合计") if criterion is None else self._header_text(criterion)
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("各项得分之和（只读）") if criterion is None else self._guidance(criterion)
            return None
        if not 0 <= section < len(self._bidders):
            return None
        bidder_id, name = self._bidders[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{bidder_id} {name}"  # the id as in the document list and the opening record
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{bidder_id} {name}"
        return None

    # --- reading -----------------------------------------------------------------------------------

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self._read_only and index.column() < self.total_column:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        row, column = index.row(), index.column()
        criterion = self.criterion(column)
        if criterion is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return fmt(self.total(self.bidder_id(row)))
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return Qt.AlignmentFlag.AlignCenter
            return None
        key = (row, column)
        entry = self._entries.get(key)
        error = self._errors.get(key)
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if entry is None else self._display_text(criterion, entry)
        if role == Qt.ItemDataRole.EditRole:
            if error is not None:
                return error.text  # let the expert correct what was refused
            return "" if entry is None else self._edit_text(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(criterion, entry, error, self._refusals.get(key))
        if role == Qt.ItemDataRole.BackgroundRole:
            if error is not None or self._states.get(key) is CellState.REFUSED:
                return ERROR_COLOUR
            if self._states.get(key) is CellState.UNSYNCED:
                return UNSYNCED_COLOUR
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == CellStateRole:
            return self._states.get(key, CellState.UNSUBMITTED)
        if role == EntryRole:
            return entry
        return None

    def cell_error(self, row: int, column: int) -> str | None:
        """The message of the last refused input of a cell, or None when its last input was accepted."""
        error = self._errors.get((row, column))
        return None if error is None else error.message

    def cell_refusal(self, row: int, column: int) -> str | None:
        """The server's reason for refusing a cell's value, or None unless the cell is refused."""
        return self._refusals.get((row, column))

    def cell_state(self, bidder_id: str, criterion_id: str) -> CellState:
        return self._states.get(self._key(bidder_id, criterion_id), CellState.UNSUBMITTED)

    def entry(self, bidder_id: str, criterion_id: str) -> Entry | None:
        return self._entries.get(self._key(bidder_id, criterion_id))

    def entries(self) -> dict[tuple[str, str], Entry]:
        """Every stored value as (bidder id, criterion id) → entry."""
        return {
            (self._bidders[row][0], self._criteria[column].id): entry
            for (row, column), entry in self._entries.items()
        }

    def missing_count(self) -> int:
        """Cells without a value (the server's SubmitDetailed wants every valid bidder × entered item)."""
        return len(self._bidders) * len(self._criteria) - len(self._entries)

    def refused_count(self) -> int:
        return sum(1 for state in self._states.values() if state is CellState.REFUSED)

    def unsynced_count(self) -> int:
        return sum(1 for state in self._states.values() if state is CellState.UNSYNCED)

    def error_count(self) -> int:
        """Cells whose last input was refused as typed (not stored): the expert has to correct them."""
        return len(self._errors)

    def total(self, bidder_id: str) -> Decimal:
        """Sum of SCORE/DEDUCT/OBJECTIVE points plus VOTE max (yes) or min (no); PASS_FAIL adds nothing."""
        row = self._row(bidder_id)
        result = Decimal(0)
        for column, criterion in enumerate(self._criteria):
            entry = self._entries.get((row, column))
            if entry is None:
                continue
            if isinstance(entry, VoteEntry):
                result += criterion.max_points if entry.yes else criterion.min_points
                continue
            points = entry_points(criterion, entry)
            if points is not None:
                result += points
        return result

    # --- writing -----------------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self._read_only

    def set_read_only(self, read_only: bool) -> None:
        """After submission (已提交) no cell is editable."""
        if read_only == self._read_only:
            return
        self._read_only = read_only
        if self._bidders:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            role != Qt.ItemDataRole.EditRole
            or self._read_only
            or not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid)
        ):
            return False
        row, column = index.row(), index.column()
        criterion = self.criterion(column)
        if criterion is None:
            return False
        key = (row, column)
        text = str(value).strip()
        if not text:  # an emptied editor changes nothing
            if self._errors.pop(key, None) is not None:
                self.dataChanged.emit(index, index)
            return False
        bidder_id = self.bidder_id(row)
        try:
            entry = self._parse(criterion, text)
            check_entry(criterion, entry, self._expert_id, bidder_id)
        except InvalidArgument as refused:
            message = str(refused)
            self._errors[key] = CellError(text, message)
            self.dataChanged.emit(index, index)
            self.sig_rejected.emit(row, column, message)
            return False
        self._errors.pop(key, None)
        if self._entries.get(key) == entry and self._states.get(key) is not CellState.REFUSED:
            self.dataChanged.emit(index, index)
            return True
        # A refused value entered again is recorded again, even when unchanged.
        self._entries[key] = entry
        self._states[key] = CellState.UNSYNCED
        self._refusals.pop(key, None)
        self.dataChanged.emit(index, index)
        total = self.index(row, self.total_column)
        self.dataChanged.emit(total, total)
        self.sig_entry_changed.emit(bidder_id, criterion.id, entry)
        return True

    def mark_synced(self, bidder_id: str, criterion_id: str, entry: Entry | None = None) -> None:
        """The server acknowledged a cell; with ``entry``, only if the cell still holds that value."""
        key = self._key(bidder_id, criterion_id)
        current = self._entries.get(key)
        if current is None or (entry is not None and entry != current):
            return
        self._states[key] = CellState.SYNCED
        self._refusals.pop(key, None)
        index = self.index(*key)
        self.dataChanged.emit(index, index)

    def mark_refused(self, bidder_id: str, criterion_id: str, entry: Entry | None, message: str) -> None:
        """The server refused a cell's value (``message``: why); with ``entry``, only if the cell still holds
        that value (a newer one is on its way otherwise)."""
        key = self._key(bidder_id, criterion_id)
        current = self._entries.get(key)
        if current is None or (entry is not None and entry != current):
            return
        self._states[key] = CellState.REFUSED
        self._refusals[key] = message
        index = self.index(*key)
        self.dataChanged.emit(index, index)

    def refused_cells(self) -> list[tuple[str, str, Entry]]:
        """(bidder id, criterion id, value) of every refused cell, in grid order."""
        return [
            (self._bidders[row][0], self._criteria[column].id, self._entries[(row, column)])
            for (row, column), state in sorted(self._states.items())
            if state is CellState.REFUSED
        ]

    def resend_refused(self) -> int:
        """Record every refused cell again (e.g. after the pause that refused it): each turns unsynced and
        is announced by ``sig_entry_changed`` once. Returns how many were announced."""
        cells = self.refused_cells()
        for bidder_id, criterion_id, entry in cells:
            key = self._key(bidder_id, criterion_id)
            self._states[key] = CellState.UNSYNCED
            self._refusals.pop(key, None)
            index = self.index(*key)
            self.dataChanged.emit(index, index)
            self.sig_entry_changed.emit(bidder_id, criterion_id, entry)
        return len(cells)

    def load_entries(self, entries: Mapping[tuple[str, str], Entry], *, synced: bool = True) -> None:
        """Restore a draft: (bidder id, criterion id) → entry, marked synced (default) or unsynced.

        Values for bidders or criteria not in the grid (e.g. a bid rejected since) are skipped.
        """
        rows = {bidder_id: row for row, (bidder_id, _name) in enumerate(self._bidders)}
        columns = {criterion.id: column for column, criterion in enumerate(self._criteria)}
        state = CellState.SYNCED if synced else CellState.UNSYNCED
        for (bidder_id, criterion_id), entry in entries.items():
            if bidder_id in rows and criterion_id in columns:
                key = (rows[bidder_id], columns[criterion_id])
                self._entries[key] = entry
                self._states[key] = state
                self._errors.pop(key, None)
                self._refusals.pop(key, None)
        if self._bidders:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    # --- helpers -----------------------------------------------------------------------------------

    def _row(self, bidder_id: str) -> int:
        for row, (candidate, _name) in enumerate(self._bidders):
            if candidate == bidder_id:
                return row
        raise KeyError(bidder_id)

    def _key(self, bidder_id: str, criterion_id: str) -> tuple[int, int]:
        for column, criterion in enumerate(self._criteria):
            if criterion.id == criterion_id:
                return self._row(bidder_id), column
        raise KeyError(criterion_id)

    def _header_text(self, criterion: Criterion) -> str:
        if criterion.kind is ItemKind.PASS_FAIL:
            return f"{criterion.title} ({self.tr('通过/不通过')})"
        if criterion.kind is ItemKind.VOTE:
            return (
                f"{criterion.title} ({self.tr('是')} {fmt(criterion.max_points)}/{self.tr('否')} "
                f"{fmt(criterion.min_points)})"
            )
        return (
            f"{criterion.title} ({fmt(criterion.min_points)}–{fmt(criterion.max_points)}, "
            f"{self.tr('步长')} {fmt(criterion.step)})"
        )

    def _guidance(self, criterion: Criterion) -> str:
        lines = [criterion.title]
        if criterion.kind is ItemKind.PASS_FAIL:
            lines.append(self.tr("输入 1/y/通过 或 0/n/不通过 + 理由，例如「0 资质证书过期」"))
        elif criterion.kind is ItemKind.VOTE:
            lines.append(
                self.tr("输入 1/y/是 或 0/n/否；是得 {max} 分，否得 {min} 分").format(
                    max=fmt(criterion.max_points), min=fmt(criterion.min_points)
                )
            )
        else:
            lines.append(
                self.tr("分值范围 {min}–{max}，步长 {step}").format(
                    min=fmt(criterion.min_points), max=fmt(criterion.max_points), step=fmt(criterion.step)
                )
            )
            if criterion.kind is ItemKind.DEDUCT:
                lines.append(
                    self.tr(
                        "满分 {max}，输入扣分及理由，例如「0.5 通报批评; 1 行政处罚」，无扣分输入「无」"
                    ).format(max=fmt(criterion.max_points))
                )
        if criterion.guidance:
            lines.append(criterion.guidance)
        return "\n".join(lines)

    def _tooltip(
        self, criterion: Criterion, entry: Entry | None, error: CellError | None, refusal: str | None = None
    ) -> str:
        lines = [self._guidance(criterion)]
        if isinstance(entry, DeductEntry) and entry.deductions:
            lines.append(
                self.tr("扣分：") + "; ".join(f"−{fmt(d.points)} {d.reason}" for d in entry.deductions)
            )
        if isinstance(entry, PassFailEntry) and not entry.passed:
            lines.append(self.tr("不通过理由：") + entry.reason)
        if error is not None:
            lines.append(self.tr("错误：") + error.message)
        if refusal is not None:
            lines.append(self.tr("服务器未接受：") + refusal)
        return "\n".join(lines)

    def _display_text(self, criterion: Criterion, entry: Entry) -> str:
        if isinstance(entry, PassFailEntry):
            return self.tr("通过") if entry.passed else self.tr("不通过")
        if isinstance(entry, VoteEntry):
            return self.tr("是") if entry.yes else self.tr("否")
        points = entry_points(criterion, entry)
        return "" if points is None else fmt(points)

    def _edit_text(self, entry: Entry) -> str:
        match entry:
            case ScoreEntry(points=points) | ObjectiveEntry(points=points):
                return fmt(points)
            case DeductEntry(deductions=deductions):
                return "; ".join(f"{fmt(d.points)} {d.reason}" for d in deductions) or "无"
            case PassFailEntry(passed=passed, reason=reason):
                return "通过" if passed else f"不通过 {reason}".strip()
            case VoteEntry(yes=yes):
                return "是" if yes else "否"

    def _parse(self, criterion: Criterion, text: str) -> Entry:
        """Turn typed text into the criterion's kind of entry; unreadable text raises InvalidArgument."""
        match criterion.kind:
            case ItemKind.SCORE:
                return ScoreEntry(self._number(text))
            case ItemKind.OBJECTIVE:
                return ObjectiveEntry(self._number(text))
            case ItemKind.DEDUCT:
                return DeductEntry(self._deductions(text))
            case ItemKind.PASS_FAIL:
                passed, reason = self._yes_no(text)
                return PassFailEntry(passed, reason)
            case ItemKind.VOTE:
                yes, rest = self._yes_no(text)
                if rest:
                    raise InvalidArgument(self.tr("表决只需输入 是/否（1/0, y/n），不需要理由"))
                return VoteEntry(yes)
            case ItemKind.PRICE:
                raise InvalidArgument(self.tr("价格分由系统计算，不能输入"))

    def _number(self, text: str) -> Decimal:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise InvalidArgument(self.tr("「{text}」不是有效的分数").format(text=text)) from None

    def _deductions(self, text: str) -> tuple[Deduction, ...]:
        if text.lower() in _NO_DEDUCTIONS:
            return ()
        deductions = []
        for part in re.split(r"[;；\n]", text):
            part = part.strip()
            if not part:
                continue
            matched = _DEDUCTION.match(part)
            if matched is None:
                raise InvalidArgument(
                    self.tr("无法识别扣分「{part}」；格式为「扣分 理由」，例如「0.5 通报批评」").format(
                        part=part
                    )
                )
            deductions.append(Deduction(Decimal(matched.group(1)), matched.group(2).strip()))
        return tuple(deductions)

    def _yes_no(self, text: str) -> tuple[bool, str]:
        matched = _FIRST_WORD.match(text)
        if matched is not None:
            word = matched.group(1).lower()
            rest = (matched.group(2) or "").strip()
            if word in _YES:
                return True, rest
            if word in _NO:
                return False, rest
        for prefix, answer in _CHINESE_PREFIXES:
            if text.startswith(prefix):
                return answer, text[len(prefix) :].strip(" :：,，")
        raise InvalidArgument(
            self.tr("无法识别「{text}」；请输入 1/y/通过/是 或 0/n/不通过/否").format(text=text)
        )
