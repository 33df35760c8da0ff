"""What happened in an evaluation session (events), and their lossless JSON form.

Events are the record: the session's state is rebuilt by applying them in order from
``SessionState.new`` (see ``workflow``), and the audit trail a supervisor reads is this list. Every event
carries ``at`` (server time) and ``actor_id``: the person whose command produced it. Group-step events
(``PhaseChanged``, ``PreliminaryConcluded``, ``LeaderElected`` ...) are produced by the same command as the
action that completed the step, so their actor is that person. For an expert's own action (checking in,
scoring, signing) ``actor_id`` *is* the expert.

``event_to_dict`` / ``event_from_dict`` give JSON-ready dicts: a ``"type"`` key with the class name,
Decimals as strings (exponent and trailing zeros kept), datetimes in ISO 8601 with their offset, enums as
their values, tuples as lists, and a ``"type"`` key on the members of a union of dataclasses (the score
entries). A round trip gives an equal event.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from bideval.domain.commands import CorrectionCase, Entry, Phase, RecusalGround
from bideval.domain.errors import InvalidArgument
from bideval.domain.summary import PreliminaryResult, RankingResult, SummaryResult

# --------------------------------------------------------------------------------------------------
# Payloads


@dataclass(frozen=True, slots=True)
class VoteCount:
    """Votes one candidate received in one election round."""

    candidate_id: str
    votes: int


@dataclass(frozen=True, slots=True)
class SheetVerdict:
    """One preliminary verdict as it stood on a sheet."""

    bidder_id: str
    criterion_id: str
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """One detailed-review entry as it stood on a sheet."""

    bidder_id: str
    criterion_id: str
    value: Entry


@dataclass(frozen=True, slots=True)
class SheetSnapshot:
    """One expert's review sheet (preliminary verdicts and detailed entries) at one moment."""

    expert_id: str
    void: bool  # the expert had been recused: this work no longer counts (条例 Art. 48)
    preliminary_submitted: bool
    verdicts: tuple[SheetVerdict, ...]
    detailed_submitted: bool
    entries: tuple[SheetEntry, ...]


@dataclass(frozen=True, slots=True)
class SheetArchive:
    """Every sheet as it was when a roll-back (评审回退) was approved, with the results it had produced."""

    archive_id: str  # "A1", "A2", ... in order
    phase: Phase  # the phase the session was in
    target: Phase  # the phase it returned to
    reason: str  # the leader's reason
    requested_by: str
    note: str  # the approving supervisor's note
    approved_by: str
    at: datetime
    sheets: tuple[SheetSnapshot, ...]
    preliminary_result: PreliminaryResult | None
    summary: SummaryResult | None
    ranking: RankingResult | None


# --------------------------------------------------------------------------------------------------
# Events


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseEvent:
    """Fields every event has."""

    at: datetime
    actor_id: str


# Steps 1-4 ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberCheckedIn(BaseEvent):
    """The expert ``actor_id`` checked in (签到) at ``venue_id``."""

    venue_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PledgeAccepted(BaseEvent):
    """The expert ``actor_id`` accepted the pledge (承诺书) after the countdown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecusalDeclared(BaseEvent):
    """The expert ``actor_id`` declared; no grounds = no conflict, otherwise the expert is recused (回避)."""

    grounds: tuple[RecusalGround, ...]
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecusalSet(BaseEvent):
    """The supervisor ``actor_id`` recused ``expert_id``."""

    expert_id: str
    grounds: tuple[RecusalGround, ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberReplaced(BaseEvent):
    """The reserve ``replacement_id`` took the place of the recused ``replaced_id``, whose work is void."""

    replaced_id: str
    replacement_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ElectionOpened(BaseEvent):
    """A leader-election round opened; ``candidates`` empty = any eligible member (else a run-off)."""

    round: int
    candidates: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderVoteCast(BaseEvent):
    """The expert ``actor_id`` voted for ``candidate_id`` in ``round``."""

    round: int
    candidate_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ElectionTied(BaseEvent):
    """A round ended in a tie between ``tied``; a run-off round among them follows."""

    round: int
    tally: tuple[VoteCount, ...]
    tied: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderElected(BaseEvent):
    """A round had a single top candidate, who is now the committee leader (组长)."""

    round: int
    tally: tuple[VoteCount, ...]
    leader_id: str


# Step 5 -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRequested(BaseEvent):
    """The leader ``actor_id`` asked to start the evaluation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StartApproved(BaseEvent):
    """The supervisor ``actor_id`` approved the start."""

    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRejected(BaseEvent):
    """The supervisor ``actor_id`` refused the start; the leader may ask again."""

    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseChanged(BaseEvent):
    """The session moved from ``from_phase`` to ``to``."""

    from_phase: Phase
    to: Phase
    reason: str


# Step 7 -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PreliminaryVerdictRecorded(BaseEvent):
    """The expert ``actor_id`` recorded (or changed) a preliminary verdict."""

    bidder_id: str
    criterion_id: str
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PreliminarySubmitted(BaseEvent):
    """The expert ``actor_id`` sealed their preliminary review."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreliminaryConcluded(BaseEvent):
    """The group result of the preliminary review (valid and rejected bids)."""

    result: PreliminaryResult


@dataclass(frozen=True, slots=True, kw_only=True)
class TenderFailed(BaseEvent):
    """Too few valid bids remained (流标)."""

    stage: Phase
    reason: str
    valid_bidders: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DetailedSheetsReopened(BaseEvent):
    """Sealed detailed sheets reopened because the set of valid bids grew (after a replacement)."""

    expert_ids: tuple[str, ...]
    reason: str


# Step 8 -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ClarificationRequested(BaseEvent):
    """The leader ``actor_id`` asked ``bidder_id`` a written question (澄清)."""

    clarification_id: str
    bidder_id: str
    question: str
    needs_approval: bool  # True: waits for a supervisor; False: sent at once


@dataclass(frozen=True, slots=True, kw_only=True)
class ClarificationApproved(BaseEvent):
    """The supervisor ``actor_id`` let the question go out."""

    clarification_id: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClarificationRejected(BaseEvent):
    """The supervisor ``actor_id`` stopped the question."""

    clarification_id: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClarificationAnswered(BaseEvent):
    """The operator ``actor_id`` recorded the bidder's written answer."""

    clarification_id: str
    answer: str


# Steps 9-11 ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreRecorded(BaseEvent):
    """The expert ``actor_id`` recorded (or changed) a detailed-review value (sealed until all submit)."""

    bidder_id: str
    criterion_id: str
    value: Entry


@dataclass(frozen=True, slots=True, kw_only=True)
class DetailedSubmitted(BaseEvent):
    """The expert ``actor_id`` sealed their detailed review sheet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SummaryComputed(BaseEvent):
    """The leader ``actor_id`` ran the group summary."""

    result: SummaryResult


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviationExplained(BaseEvent):
    """The expert ``actor_id`` explained in writing a score flagged as far from the mean."""

    bidder_id: str
    criterion_id: str
    points: Decimal  # the score explained
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectionRequested(BaseEvent):
    """The leader ``actor_id`` reopened ``expert_id``'s sheet for a case of 87号令 Art. 64."""

    correction_id: str
    expert_id: str
    case: CorrectionCase
    reason: str


# Step 12 ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackRequested(BaseEvent):
    """The leader ``actor_id`` asked to return to ``target`` (评审回退)."""

    target: Phase
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackApproved(BaseEvent):
    """The supervisor ``actor_id`` approved the roll-back; ``archive`` holds every sheet as it was."""

    target: Phase
    reason: str
    note: str
    archive: SheetArchive


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackRejected(BaseEvent):
    """The supervisor ``actor_id`` refused the roll-back."""

    target: Phase
    note: str


# Steps 13-14 --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RankingFinalized(BaseEvent):
    """The leader ``actor_id`` fixed the ranking and the recommended candidates."""

    result: RankingResult


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSigned(BaseEvent):
    """The expert ``actor_id`` signed the report, agreeing or with a written dissent (不同意见)."""

    agree: bool
    dissent: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningRefused(BaseEvent):
    """The expert ``actor_id`` refused to sign without reasons: deemed agreement."""


# Any step -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPaused(BaseEvent):
    """The supervisor ``actor_id`` paused the session (暂停评标)."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionResumed(BaseEvent):
    """The supervisor ``actor_id`` resumed the session."""

    reason: str


Event = (
    MemberCheckedIn
    | PledgeAccepted
    | RecusalDeclared
    | RecusalSet
    | MemberReplaced
    | ElectionOpened
    | LeaderVoteCast
    | ElectionTied
    | LeaderElected
    | StartRequested
    | StartApproved
    | StartRejected
    | PhaseChanged
    | PreliminaryVerdictRecorded
    | PreliminarySubmitted
    | PreliminaryConcluded
    | TenderFailed
    | DetailedSheetsReopened
    | ClarificationRequested
    | ClarificationApproved
    | ClarificationRejected
    | ClarificationAnswered
    | ScoreRecorded
    | DetailedSubmitted
    | SummaryComputed
    | DeviationExplained
    | CorrectionRequested
    | RollbackRequested
    | RollbackApproved
    | RollbackRejected
    | RankingFinalized
    | ReportSigned
    | SigningRefused
    | SessionPaused
    | SessionResumed
)

EVENT_TYPES: Mapping[str, type[BaseEvent]] = types.MappingProxyType(
    {cls.__name__: cls for cls in typing.get_args(Event)}
)


# --------------------------------------------------------------------------------------------------
# JSON form


def event_to_dict(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict with a ``"type"`` key (the class name)."""
    return {"type": type(event).__name__, **_encode_fields(event)}


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Rebuild an event from :func:`event_to_dict` output."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidArgument(f"Unknown event type {kind!r}; known types: {', '.join(EVENT_TYPES)}")
    return typing.cast(Event, _decode_fields(cls, data))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _encode_fields(value: Any) -> dict[str, Any]:
    cls: type = type(value)
    hints = _hints(cls)
    return {f.name: _encode(getattr(value, f.name), hints[f.name]) for f in dataclasses.fields(value)}


def _decode_fields(cls: type, data: Mapping[str, Any]) -> Any:
    hints = _hints(cls)
    try:
        kwargs = {f.name: _decode(data[f.name], hints[f.name]) for f in dataclasses.fields(cls)}
    except KeyError as missing:
        raise InvalidArgument(f"{cls.__name__} is missing the field {missing}") from None
    return cls(**kwargs)


def _options(hint: Any) -> list[Any] | None:
    """The non-None members of a union type, or None if ``hint`` is not a union."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return None


def _encode(value: Any, hint: Any) -> Any:
    options = _options(hint)
    if options is not None:
        if value is None:
            return None
        if len(options) == 1:
            return _encode(value, options[0])
        # A union of dataclasses (the score entries): tag the member with its class name.
        return {"type": type(value).__name__, **_encode_fields(value)}
    if typing.get_origin(hint) is tuple:
        item_hint = typing.get_args(hint)[0]
        return [_encode(item, item_hint) for item in value]
    if dataclasses.is_dataclass(value):
        return _encode_fields(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _decode(data: Any, hint: Any) -> Any:
    options = _options(hint)
    if options is not None:
        if data is None:
            return None
        if len(options) == 1:
            return _decode(data, options[0])
        by_name = {option.__name__: option for option in options}
        member = by_name.get(data.get("type"))
        if member is None:
            raise InvalidArgument(
                f"Unknown value type {data.get('type')!r}; expected one of {', '.join(by_name)}"
            )
        return _decode_fields(member, data)
    if typing.get_origin(hint) is tuple:
        item_hint = typing.get_args(hint)[0]
        return tuple(_decode(item, item_hint) for item in data)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return _decode_fields(hint, data)
        if issubclass(hint, enum.Enum):
            return hint(data)
        if hint is Decimal:
            return Decimal(data)
        if hint is datetime:
            return datetime.fromisoformat(data)
    return data
