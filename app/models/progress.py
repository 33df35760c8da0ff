"""The committee's progress as a table for the supervisor: one row per member or reserve, one column per step.

Filled from the server's ``SessionView`` by :meth:`MemberProgressModel.set_view`; rows are reset only when
the set of people changes (a replacement), otherwise only changed cells are announced, so a view polled
every second does not lose the table's selection or scroll position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from PySide6 import QtCore
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from bideval.domain.commands import RecusalGround
from bideval.v1 import session_pb2

_CONTEXT = "MemberProgressModel"

Index = QModelIndex | QPersistentModelIndex


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)
"""Marks a table's text for lupdate (typed: PySide6's stub says ``object``); translated where shown."""

STATUS_TEXT = {
    "active": QT_TRANSLATE_NOOP("MemberProgressModel", "在席"),
    "recused": QT_TRANSLATE_NOOP("MemberProgressModel", "已回避"),
    "replaced": QT_TRANSLATE_NOOP("MemberProgressModel", "已替换"),
    "reserve": QT_TRANSLATE_NOOP("MemberProgressModel", "候补"),
}

GROUND_TEXT = {
    RecusalGround.CLOSE_RELATIVE.value: QT_TRANSLATE_NOOP("MemberProgressModel", "近亲属"),
    RecusalGround.EMPLOYMENT_OR_CONTROL.value: (
        QT_TRANSLATE_NOOP("MemberProgressModel", "劳动关系/董监事/控股")
    ),
    RecusalGround.SUPERVISING_DEPARTMENT.value: (
        QT_TRANSLATE_NOOP("MemberProgressModel", "主管或监督部门人员")
    ),
    RecusalGround.PREVIOUSLY_PUNISHED.value: QT_TRANSLATE_NOOP("MemberProgressModel", "曾受处罚"),
    RecusalGround.OTHER.value: QT_TRANSLATE_NOOP("MemberProgressModel", "其他利害关系"),
}

YES = "✓"
NO = "—"


class Column:
    EXPERT = 0
    VENUE = 1
    STATUS = 2
    CHECKED_IN = 3
    PLEDGED = 4
    DECLARED = 5
    VOTED = 6
    PRELIMINARY = 7
    DETAILED = 8
    SIGNED = 9


HEADERS = (
    QT_TRANSLATE_NOOP("MemberProgressModel", "专家"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "会场"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "状态"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "签到"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "承诺书"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "回避声明"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "投票"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "初步评审"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "详细评审"),
    QT_TRANSLATE_NOOP("MemberProgressModel", "签字"),
)
"""The column headers (source text, translated where shown)."""

_FLAGS: dict[int, Callable[[session_pb2.Member], bool]] = {
    Column.CHECKED_IN: lambda m: m.checked_in,
    Column.PLEDGED: lambda m: m.pledged,
    Column.VOTED: lambda m: m.voted,
    Column.PRELIMINARY: lambda m: m.preliminary_submitted,
    Column.DETAILED: lambda m: m.detailed_submitted,
    Column.SIGNED: lambda m: m.signed,
}

_INACTIVE = QColor(130, 130, 130)
_DONE = QColor(0, 120, 0)


def grounds_text(grounds: Sequence[str]) -> str:
    return _tr("、").join(_tr(GROUND_TEXT.get(g, g)) for g in grounds)


class MemberProgressModel(QAbstractTableModel):
    """Read-only table of ``SessionView.members`` (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._members: list[session_pb2.Member] = []
        self._venues: dict[str, session_pb2.Venue] = {}
        self._leader_id = ""

    # -- filling -------------------------------------------------------------------------------------------

    def set_view(self, view: session_pb2.SessionView) -> None:
        members = list(view.members)
        venues = {v.id: v for v in view.venues}
        if [m.person_id for m in members] != [m.person_id for m in self._members]:
            self.beginResetModel()
            self._members, self._venues, self._leader_id = members, venues, view.leader_id
            self.endResetModel()
            return
        changed = (
            venues != self._venues
            or view.leader_id != self._leader_id
            or any(new != old for new, old in zip(members, self._members, strict=True))
        )
        self._members, self._venues, self._leader_id = members, venues, view.leader_id
        if changed and members:
            self.dataChanged.emit(self.index(0, 0), self.index(len(members) - 1, len(HEADERS) - 1))

    # -- reading -------------------------------------------------------------------------------------------

    def member(self, row: int) -> session_pb2.Member:
        return self._members[row]

    def row_of(self, person_id: str) -> int:
        for row, member in enumerate(self._members):
            if member.person_id == person_id:
                return row
        raise KeyError(person_id)

    def text(self, person_id: str, column: int) -> str:
        """The cell's display text (tests and accessibility read the table through this)."""
        return str(self.data(self.index(self.row_of(person_id), column)))

    # -- QAbstractTableModel -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._members)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _tr(HEADERS[section]) if 0 <= section < len(HEADERS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._members):
            return None
        member = self._members[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(member, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(member, column)
        if role == Qt.ItemDataRole.UserRole:
            return member.person_id
        if role == Qt.ItemDataRole.ForegroundRole:
            if member.status != "active":
                return QBrush(_INACTIVE)
            if column in _FLAGS and _FLAGS[column](member):
                return QBrush(_DONE)
            return None
        if (
            role == Qt.ItemDataRole.FontRole
            and column == Column.EXPERT
            and member.person_id == self._leader_id
        ):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= Column.CHECKED_IN:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _display(self, member: session_pb2.Member, column: int) -> str:
        if column == Column.EXPERT:
            text = f"{member.person_id} {member.name}"
            return text + _tr(" (组长)") if member.person_id == self._leader_id else text
        if column == Column.VENUE:
            venue = self._venues.get(member.venue_id)
            if venue is None:
                return member.venue_id
            kind = _tr("主场") if venue.is_main else _tr("副场")
            return f"{venue.city} ({kind})"
        if column == Column.STATUS:
            text = _tr(STATUS_TEXT.get(member.status, member.status))
            return f"{text} → {member.replaced_by}" if member.replaced_by else text
        if column == Column.DECLARED:
            if member.recusal_grounds:
                return _tr("回避: ") + grounds_text(member.recusal_grounds)
            return YES if member.declared else NO
        if column in _FLAGS:
            return YES if _FLAGS[column](member) else NO
        return ""

    def _tooltip(self, member: session_pb2.Member, column: int) -> str | None:
        if column == Column.VENUE:
            venue = self._venues.get(member.venue_id)
            return venue.name if venue is not None else None
        if column == Column.DECLARED and member.recusal_grounds:
            return grounds_text(member.recusal_grounds)
        return None
