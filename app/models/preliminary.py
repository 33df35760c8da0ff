"""The preliminary-review sheet (初步评审) as a table model: bidders × preliminary items, pass/fail each.

Built from plain domain objects (bidders and ``Criterion``), never from gRPC messages. A cell holds a
``PassFailEntry``. A fail needs a reason (DOMAIN.md: "a reason is mandatory for every fail"), so a fail
typed without one is kept *locally only*: the cell turns red (``needs_reason``) and nothing is announced
until the reason is entered. Every accepted verdict is marked *unsynced* and announced by
``sig_verdict_changed`` so the caller can record it; ``mark_synced`` turns it back to normal once the
server acknowledged it (the same :class:`~app.models.score_grid.CellState` as the scoring grid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.models.score_grid import (
    ERROR_COLOUR,
    UNSYNCED_COLOUR,
    BidderLike,
    CellState,
    CellStateRole,
    EntryRole,
)
from bideval.domain.commands import Entry, PassFailEntry
from bideval.domain.method import Criterion, PreliminaryCategory, ReviewStage

NeedsReasonRole = Qt.ItemDataRole.UserRole + 3
"""Custom role: True while a cell is a fail still waiting for its reason (not sent)."""

_Index = QModelIndex | QPersistentModelIndex
_Key = tuple[int, int]


class PreliminaryModel(QAbstractTableModel):
    """Rows are all bidders, columns the preliminary items (the server wants a verdict for each pair)."""

    sig_verdict_changed = Signal(str, str, object)
    """Emitted with (bidder id, criterion id, ``PassFailEntry``) when a complete verdict is stored."""

    def __init__(
        self,
        bidders: Sequence[BidderLike],
        criteria: Sequence[Criterion],
        credit: Mapping[str, str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bidders: tuple[tuple[str, str], ...] = tuple((b.id, b.name) for b in bidders)
        self._criteria: tuple[Criterion, ...] = tuple(
            c for c in criteria if c.stage is ReviewStage.PRELIMINARY
        )
        self._credit = dict(credit or {})
        self._verdicts: dict[_Key, PassFailEntry] = {}  # the last complete verdict (sent or restored)
        self._states: dict[_Key, CellState] = {}
        self._needs_reason: set[_Key] = set()  # a fail typed without a reason: shown, never sent
        self._refused: dict[_Key, str] = {}  # the server's message for a verdict it did not accept
        self._read_only = False

    # --- structure ---------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._bidders)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._criteria)

    def criterion(self, column: int) -> Criterion:
        return self._criteria[column]

    def bidder_id(self, row: int) -> str:
        return self._bidders[row][0]

    def bidder_name(self, bidder_id: str) -> str:
        return self._bidders[self._row(bidder_id)][1]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._criteria):
                return None
            criterion = self._criteria[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return criterion.title
            if role == Qt.ItemDataRole.ToolTipRole:
                lines = [criterion.title]
                if criterion.category is not None:
                    lines.append(self._category_text(criterion.category))
                if criterion.guidance:
                    lines.append(criterion.guidance)
                return "\n".join(lines)
            return None
        if not 0 <= section < len(self._bidders):
            return None
        bidder_id, name = self._bidders[section]
        credit = self.credit_text(bidder_id)
        if role == Qt.ItemDataRole.DisplayRole:
            label = f"{bidder_id} {name}"  # the id as in the document list and the opening record
            return f"{label} [{credit}]" if credit else label
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{bidder_id} {name}" + (f"\n{self.tr('信用状况')}: {credit}" if credit else "")
        return None

    # --- reading -----------------------------------------------------------------------------------

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self._read_only and self.is_fail(index.row(), index.column()):
            flags |= Qt.ItemFlag.ItemIsEditable  # only a fail has something to type: its reason
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        key = (index.row(), index.column())
        verdict = self._verdicts.get(key)
        needs_reason = key in self._needs_reason
        if role == Qt.ItemDataRole.DisplayRole:
            if needs_reason:
                return self.tr("✗ 须填理由")
            if verdict is None:
                return ""
            return self.tr("✓ 合格") if verdict.passed else self.tr("✗ 不合格：") + verdict.reason
        if role == Qt.ItemDataRole.EditRole:
            return "" if needs_reason or verdict is None else verdict.reason
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [self._criteria[key[1]].title, self.tr("空格键切换 合格/不合格；不合格须填写理由")]
            if needs_reason:
                lines.append(self.tr("不合格理由为必填项，填写前不会提交"))
            elif verdict is not None and not verdict.passed:
                lines.append(self.tr("不合格理由：") + verdict.reason)
            if key in self._refused:
                lines.append(self.tr("服务器未接受，请重新评审：") + self._refused[key])
            return "\n".join(lines)
        if role == Qt.ItemDataRole.BackgroundRole:
            if needs_reason or key in self._refused:
                return ERROR_COLOUR
            if self._states.get(key) is CellState.UNSYNCED:
                return UNSYNCED_COLOUR
            return None
        if role == CellStateRole:
            return self._states.get(key, CellState.UNSUBMITTED)
        if role == EntryRole:
            return verdict
        if role == NeedsReasonRole:
            return needs_reason
        return None

    def is_fail(self, row: int, column: int) -> bool:
        """The cell shows a fail (with its reason, or still waiting for one)."""
        key = (row, column)
        verdict = self._verdicts.get(key)
        return key in self._needs_reason or (verdict is not None and not verdict.passed)

    def needs_reason(self, row: int, column: int) -> bool:
        return (row, column) in self._needs_reason

    def verdict(self, bidder_id: str, criterion_id: str) -> PassFailEntry | None:
        """The last complete verdict of a cell (a fail waiting for its reason is not one)."""
        return self._verdicts.get(self._key(bidder_id, criterion_id))

    def verdicts(self) -> dict[tuple[str, str], PassFailEntry]:
        return {
            (self._bidders[row][0], self._criteria[column].id): verdict
            for (row, column), verdict in self._verdicts.items()
        }

    def cell_state(self, bidder_id: str, criterion_id: str) -> CellState:
        return self._states.get(self._key(bidder_id, criterion_id), CellState.UNSUBMITTED)

    def has_unsynced(self, bidder_id: str, criterion_id: str) -> bool:
        """The cell exists and holds a verdict the server has not acknowledged yet."""
        try:
            key = self._key(bidder_id, criterion_id)
        except KeyError:
            return False
        return self._states.get(key) is CellState.UNSYNCED

    def missing_count(self) -> int:
        """Cells without a complete verdict (no verdict yet, or a fail waiting for its reason)."""
        total = len(self._bidders) * len(self._criteria)
        complete = sum(
            1 for key in self._verdicts if key not in self._needs_reason and key not in self._refused
        )
        return total - complete

    def is_empty(self, row: int, column: int) -> bool:
        """No verdict at all yet (a fail waiting for its reason is not empty)."""
        return (row, column) not in self._verdicts and (row, column) not in self._needs_reason

    def refused_count(self) -> int:
        return len(self._refused)

    def needs_reason_count(self) -> int:
        return len(self._needs_reason)

    def unsynced_count(self) -> int:
        return sum(1 for state in self._states.values() if state is CellState.UNSYNCED)

    def complete(self) -> bool:
        """Every bidder × item has a verdict, every fail with its reason: the sheet may be submitted."""
        return bool(self._bidders) and bool(self._criteria) and self.missing_count() == 0

    # --- writing -----------------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return self._read_only

    def set_read_only(self, read_only: bool) -> None:
        """Before the saved verdicts are restored and after submission (已提交) nothing is editable."""
        if read_only == self._read_only:
            return
        self._read_only = read_only
        self._changed_all()

    def toggle(self, row: int, column: int) -> bool:
        """Space: empty → pass → fail → pass … Returns True when the cell now waits for a reason."""
        if self._read_only or not self._valid(row, column):
            return False
        if self.is_fail(row, column) or (row, column) not in self._verdicts:
            self.set_passed(row, column)
            return False
        self.set_failed(row, column)
        return self.needs_reason(row, column)

    def set_passed(self, row: int, column: int) -> None:
        if not self._read_only and self._valid(row, column):
            self._accept((row, column), PassFailEntry(True))

    def set_failed(self, row: int, column: int, reason: str = "") -> None:
        """A fail with a reason is stored and announced; without one the cell only waits for it."""
        if self._read_only or not self._valid(row, column):
            return
        key = (row, column)
        reason = reason.strip()
        if reason:
            self._accept(key, PassFailEntry(False, reason))
            return
        previous = self._verdicts.get(key)
        if previous is not None and not previous.passed:
            return  # already a fail with its reason: keep it
        self._needs_reason.add(key)
        index = self.index(row, column)
        self.dataChanged.emit(index, index)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """The inline editor of a fail cell sets its reason; an empty reason changes nothing."""
        if (
            role != Qt.ItemDataRole.EditRole
            or self._read_only
            or not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid)
            or not self.is_fail(index.row(), index.column())
        ):
            return False
        reason = str(value).strip()
        if not reason:
            return False
        self._accept((index.row(), index.column()), PassFailEntry(False, reason))
        return True

    def mark_synced(self, bidder_id: str, criterion_id: str, entry: Entry | None = None) -> None:
        """The server acknowledged a verdict; with ``entry``, only if the cell still holds that verdict."""
        key = self._key(bidder_id, criterion_id)
        current = self._verdicts.get(key)
        if current is None or (entry is not None and entry != current):
            return
        self._states[key] = CellState.SYNCED
        index = self.index(*key)
        self.dataChanged.emit(index, index)

    def mark_refused(self, bidder_id: str, criterion_id: str, entry: Entry | None, message: str) -> None:
        """The server refused a verdict: the cell turns red with the server's message until re-entered."""
        key = self._key(bidder_id, criterion_id)
        current = self._verdicts.get(key)
        if current is None or (entry is not None and entry != current):
            return  # the cell was changed since: that newer verdict is on its way
        self._refused[key] = message
        index = self.index(*key)
        self.dataChanged.emit(index, index)

    def resend_refused(self) -> int:
        """Record every refused verdict again (e.g. after the pause that refused it): each turns unsynced and
        is announced once by ``sig_verdict_changed``. Returns how many were announced."""
        keys = [key for key in self._refused if key in self._verdicts]
        for key in keys:
            self._accept(key, self._verdicts[key])
        return len(keys)

    def load_verdicts(self, verdicts: Mapping[tuple[str, str], tuple[PassFailEntry, bool]]) -> None:
        """Restore saved verdicts: (bidder id, criterion id) → (verdict, synced); unknown cells skipped."""
        rows = {bidder_id: row for row, (bidder_id, _name) in enumerate(self._bidders)}
        columns = {criterion.id: column for column, criterion in enumerate(self._criteria)}
        for (bidder_id, criterion_id), (verdict, synced) in verdicts.items():
            if bidder_id in rows and criterion_id in columns:
                key = (rows[bidder_id], columns[criterion_id])
                self._verdicts[key] = verdict
                self._states[key] = CellState.SYNCED if synced else CellState.UNSYNCED
                self._needs_reason.discard(key)
                self._refused.pop(key, None)
        self._changed_all()

    def credit_text(self, bidder_id: str) -> str:
        """The bidder's credit status (红黑名单) when it is not normal, else ""."""
        credit = self._credit.get(bidder_id, "")
        if credit == "red":
            return self.tr("红名单")
        if credit == "black":
            return self.tr("黑名单")
        return ""

    # --- helpers -----------------------------------------------------------------------------------

    def _category_text(self, category: PreliminaryCategory) -> str:
        match category:
            case PreliminaryCategory.FORM:
                return self.tr("形式评审")
            case PreliminaryCategory.QUALIFICATION:
                return self.tr("资格评审")
            case PreliminaryCategory.RESPONSIVENESS:
                return self.tr("响应性评审")

    def _accept(self, key: _Key, verdict: PassFailEntry) -> None:
        self._needs_reason.discard(key)
        index = self.index(*key)
        refused = self._refused.pop(key, None) is not None  # re-entering a refused verdict sends it again
        if self._verdicts.get(key) == verdict and not refused:
            self.dataChanged.emit(index, index)  # e.g. fail → (no reason) → same fail again: nothing to send
            return
        self._verdicts[key] = verdict
        self._states[key] = CellState.UNSYNCED
        self.dataChanged.emit(index, index)
        self.sig_verdict_changed.emit(self._bidders[key[0]][0], self._criteria[key[1]].id, verdict)

    def _valid(self, row: int, column: int) -> bool:
        return 0 <= row < len(self._bidders) and 0 <= column < len(self._criteria)

    def _changed_all(self) -> None:
        if self._bidders and self._criteria:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def _row(self, bidder_id: str) -> int:
        for row, (candidate, _name) in enumerate(self._bidders):
            if candidate == bidder_id:
                return row
        raise KeyError(bidder_id)

    def _key(self, bidder_id: str, criterion_id: str) -> _Key:
        for column, criterion in enumerate(self._criteria):
            if criterion.id == criterion_id:
                return self._row(bidder_id), column
        raise KeyError(criterion_id)
