"""The group summary (汇总) as a table: one row per bidder, one column per detailed item, then the price
score and the total; each cell's tooltip lists every expert's value.

The model only shows what the server's ``GroupSummary`` says (the server computes every number with
``Decimal``); it never recomputes a group value, so what an expert sees is exactly what the report holds.
The helpers at the top are pure functions of the messages, shared by the pages and the tests;
:class:`ResultNotes` keeps what the summary does not carry but the session's events do (the text of each
deviation explanation, each member's signing decision), for the supervisor's console.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from bideval.v1 import session_pb2

_Index = QModelIndex | QPersistentModelIndex

OWN_UNEXPLAINED = QColor(255, 183, 77)  # the caller must still explain this score: stands out
OWN_EXPLAINED = QColor(255, 236, 179)
OTHER_FLAG = QColor(236, 236, 236)
INCONSISTENT = QColor(255, 205, 210)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SummaryModel", text)


def flag_key(flag: session_pb2.DeviationFlag) -> tuple[str, str, str]:
    return (flag.expert_id, flag.bidder_id, flag.criterion_id)


def own_flags(summary: session_pb2.GroupSummary, expert_id: str) -> list[session_pb2.DeviationFlag]:
    """The caller's deviation flags (评分偏离), in the server's order."""
    return [f for f in summary.deviation_flags if f.expert_id == expert_id]


def missing_explanations(summary: session_pb2.GroupSummary) -> list[session_pb2.DeviationFlag]:
    return [f for f in summary.deviation_flags if not f.explained]


def deviation_band(mean: str, threshold_percent: Decimal) -> tuple[Decimal, Decimal] | None:
    """mean ± |mean| × threshold % (the band the server flags outside of), or None for an unreadable mean."""
    try:
        value = Decimal(mean)
    except InvalidOperation:
        return None
    half = abs(value) * threshold_percent / Decimal(100)
    return value - half, value + half


def fmt(value: Decimal, places: int = 2) -> str:
    """A band limit for display, rounded half up (the server keeps the exact value)."""
    return str(value.quantize(Decimal(1).scaleb(-places)))


def finalize_blockers(summary: session_pb2.GroupSummary, view: session_pb2.SessionView) -> list[str]:
    """Why the leader cannot finalize the ranking now (empty: nothing known blocks it). Mirrors the
    server's preconditions so the button can say why it is disabled; the server still decides."""
    reasons: list[str] = []
    if not summary.available:
        reasons.append(_tr("尚未汇总"))
        return reasons
    if view.HasField("pending_rollback"):
        reasons.append(_tr("评审回退申请正等待监督人员决定"))
    if summary.objective_inconsistencies:
        listed = ", ".join(f"{o.bidder_id}/{o.criterion_id}" for o in summary.objective_inconsistencies)
        reasons.append(_tr("客观分评分不一致，须申请更正: ") + listed)
    missing = missing_explanations(summary)
    if missing:
        listed = ", ".join(f"{f.expert_id} {f.bidder_id}/{f.criterion_id}" for f in missing)
        reasons.append(_tr("缺少评分偏离说明: ") + listed)
    return reasons


@dataclass(frozen=True, slots=True)
class Signing:
    """How a member signed the report: agreeing, with a written dissent, or refusing (deemed agreement)."""

    agree: bool
    dissent: str = ""
    refused: bool = False


@dataclass
class ResultNotes:
    """The deviation explanations' texts and the signing decisions, read from the session's events in order.

    ``GroupSummary`` only says *whether* a flagged score was explained and ``Member.signed`` only *that* a
    member signed; a supervisor must read *what* was written (DOMAIN.md steps 11 and 14). The events carry
    it (their fields are not sealed), so the console, which reads every event for its feed anyway, keeps
    the newest text per flag and the newest decision per member here. Whether an explanation still counts
    (it stops counting when the score changes) remains the summary's ``explained``.
    """

    explanations: dict[tuple[str, str, str], str] = field(default_factory=dict)
    signings: dict[str, Signing] = field(default_factory=dict)

    def add(self, kind: str, actor_id: str, details: Mapping[str, object]) -> bool:
        """Take note of one event (``details`` as a dict); True if it changed anything."""
        if kind == "DeviationExplained":
            key = (actor_id, str(details.get("bidder_id", "")), str(details.get("criterion_id", "")))
            self.explanations[key] = str(details.get("text") or "")
        elif kind == "ReportSigned":
            agree = bool(details.get("agree", True))
            self.signings[actor_id] = Signing(agree=agree, dissent=str(details.get("dissent") or ""))
        elif kind == "SigningRefused":
            self.signings[actor_id] = Signing(agree=True, refused=True)
        else:
            return False
        return True


def signing_text(member: session_pb2.Member, signing: Signing | None) -> str:
    """``E01 刘建华 — ✓ 同意`` and the like: one member's state in the report's signing list."""
    if not member.signed:
        mark = _tr("… 未签署")
    elif signing is None:
        mark = _tr("✓ 已签署")  # the decision itself is not known to this reader
    elif signing.refused:
        mark = _tr("拒绝签字 (未说明理由, 视为同意)")
    elif signing.agree:
        mark = _tr("✓ 已签署 (同意)")
    else:
        mark = _tr("✗ 已签署 (不同意): ") + signing.dissent
    return f"{member.person_id} {member.name} — {mark}"


def signing_lines(view: session_pb2.SessionView, signings: Mapping[str, Signing]) -> list[str]:
    """The signing state of every active member, in the view's order."""
    return [signing_text(m, signings.get(m.person_id)) for m in view.members if m.status == "active"]


class SummaryModel(QAbstractTableModel):
    """Bidders × detailed items of a ``GroupSummary`` (read only)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._caller_id = ""
        self._names: dict[str, str] = {}
        self._criteria: list[session_pb2.Criterion] = []
        self._bidders: list[str] = []
        self._items: dict[tuple[str, str], session_pb2.GroupItemScore] = {}
        self._totals: dict[str, session_pb2.BidderTotal] = {}
        self._flags: dict[tuple[str, str], list[session_pb2.DeviationFlag]] = {}
        self._inconsistent: set[tuple[str, str]] = set()
        self._others_hidden = ""  # why the other experts' scores are not shown ("": they are)

    # -- loading -------------------------------------------------------------------------------------

    def set_summary(
        self,
        summary: session_pb2.GroupSummary,
        bidders: Sequence[session_pb2.Bidder],
        criteria: Sequence[session_pb2.Criterion],
        caller_id: str,
    ) -> None:
        """Show ``summary``; rows follow the order of ``bidders`` (only those the summary covers)."""
        self.beginResetModel()
        self._caller_id = caller_id
        self._names = {b.id: b.name for b in bidders}
        self._criteria = [c for c in criteria if c.stage == "detailed" and c.kind != "price"]
        covered = {t.bidder_id for t in summary.totals} | {i.bidder_id for i in summary.items}
        self._bidders = [b.id for b in bidders if b.id in covered]
        self._items = {(i.bidder_id, i.criterion_id): i for i in summary.items}
        self._totals = {t.bidder_id: t for t in summary.totals}
        self._flags = {}
        for flag in summary.deviation_flags:
            self._flags.setdefault((flag.bidder_id, flag.criterion_id), []).append(flag)
        self._inconsistent = {(o.bidder_id, o.criterion_id) for o in summary.objective_inconsistencies}
        self.endResetModel()

    def hide_others(self, reason: str) -> None:
        """With a ``reason`` (offline: DOMAIN.md, nothing that needs the group, revealing others' scores
        included), the tooltips show the caller's own score and the reason; ``""`` shows everyone's again."""
        if reason == self._others_hidden:
            return
        self._others_hidden = reason
        if self._bidders and self._criteria:
            last = self.index(len(self._bidders) - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.ToolTipRole])

    @property
    def others_hidden(self) -> str:
        return self._others_hidden

    # -- layout --------------------------------------------------------------------------------------

    @property
    def price_column(self) -> int:
        return 1 + len(self._criteria)

    @property
    def total_column(self) -> int:
        return 2 + len(self._criteria)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._bidders)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else 3 + len(self._criteria)

    def bidder_id(self, row: int) -> str:
        return self._bidders[row]

    def criterion_id(self, column: int) -> str | None:
        return self._criteria[column - 1].id if 1 <= column <= len(self._criteria) else None

    def column_of(self, criterion_id: str) -> int:
        return next(i + 1 for i, c in enumerate(self._criteria) if c.id == criterion_id)

    def row_of(self, bidder_id: str) -> int:
        return self._bidders.index(bidder_id)

    # -- values --------------------------------------------------------------------------------------

    def cell_text(self, bidder_id: str, criterion_id: str) -> str:
        item = self._items.get((bidder_id, criterion_id))
        if (bidder_id, criterion_id) in self._inconsistent:
            return _tr("不一致")
        if item is None or not item.group_points:
            return "—"
        return item.group_points

    def expert_points(self, bidder_id: str, criterion_id: str) -> dict[str, str]:
        item = self._items.get((bidder_id, criterion_id))
        return dict(sorted(item.expert_points.items())) if item is not None else {}

    def price_score(self, bidder_id: str) -> str:
        total = self._totals.get(bidder_id)
        return total.price_score if total is not None and total.price_score else "—"

    def total(self, bidder_id: str) -> str:
        total = self._totals.get(bidder_id)
        return total.total if total is not None and total.total else "—"

    def flags_at(self, bidder_id: str, criterion_id: str) -> list[session_pb2.DeviationFlag]:
        return list(self._flags.get((bidder_id, criterion_id), ()))

    # -- Qt ------------------------------------------------------------------------------------------

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return _tr("投标人")
            if section == self.price_column:
                return _tr("价格分")
            if section == self.total_column:
                return _tr("总分")
            criterion = self._criteria[section - 1]
            return f"{criterion.id} {criterion.title}\n({criterion.max_points})"
        if role == Qt.ItemDataRole.ToolTipRole and 1 <= section <= len(self._criteria):
            criterion = self._criteria[section - 1]
            return f"{criterion.group} · {criterion.title}\n{criterion.guidance}"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        bidder_id = self._bidders[index.row()]
        column = index.column()
        criterion_id = self.criterion_id(column)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{bidder_id} {self._names.get(bidder_id, '')}".strip()
            if column == self.price_column:
                return self.price_score(bidder_id)
            if column == self.total_column:
                return self.total(bidder_id)
            assert criterion_id is not None
            mark = " ⚑" if self._flags.get((bidder_id, criterion_id)) else ""
            return self.cell_text(bidder_id, criterion_id) + mark
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if criterion_id is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(bidder_id, criterion_id)
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = self._colour(bidder_id, criterion_id)
            return QBrush(colour) if colour is not None else None
        return None

    def _colour(self, bidder_id: str, criterion_id: str) -> QColor | None:
        if (bidder_id, criterion_id) in self._inconsistent:
            return INCONSISTENT
        flags = self._flags.get((bidder_id, criterion_id), [])
        own = [f for f in flags if f.expert_id == self._caller_id]
        if own:
            return OWN_EXPLAINED if own[0].explained else OWN_UNEXPLAINED
        return OTHER_FLAG if flags else None

    def _tooltip(self, bidder_id: str, criterion_id: str) -> str:
        flagged = {f.expert_id: f for f in self._flags.get((bidder_id, criterion_id), [])}
        lines = [_tr("各专家评分:")]
        for expert_id, points in self.expert_points(bidder_id, criterion_id).items():
            if self._others_hidden and expert_id != self._caller_id:
                continue
            line = f"{expert_id}: {points or '—'}"
            flag = flagged.get(expert_id)
            if flag is not None:
                state = _tr("已说明") if flag.explained else _tr("待说明")
                line += " — " + _tr("偏离平均分 ") + f"{flag.mean} ({state})"
            lines.append(line)
        if self._others_hidden:
            lines.append(self._others_hidden)
        if (bidder_id, criterion_id) in self._inconsistent:
            lines.append(_tr("客观分评分不一致: 须按87号令第64条申请更正"))
        return "\n".join(lines)
