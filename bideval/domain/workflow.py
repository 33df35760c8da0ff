"""The evaluation session (评标) as an event-sourced aggregate: state, ``decide``, ``apply``, queries.

- ``SessionState.new(setup, created_at)`` is the state before anything happened (the setup is validated).
- ``decide(state, actor, command, now) -> list[Event]`` is pure: it never changes ``state`` and reads no
  clock. It refuses with ``InvalidArgument`` (bad input), ``NotFound`` (unknown id), ``FailedPrecondition``
  (not now: wrong step, paused, sealed) or ``PermissionDenied`` (not this person's position). The events
  include the group steps the command completes: the last check-in also yields ``PhaseChanged(PLEDGE)``.
- ``apply(state, event) -> None`` changes ``state`` in place. Replaying all events of a session on
  ``SessionState.new`` rebuilds an equal state (``replay``); ``execute`` decides and applies.
- The query functions at the end (``member_progress``, ``visible_sheets``, ...) return frozen views.

Decisions worth knowing (DOMAIN.md leaves them open):

- *Readiness.* A member takes part in votes and reviews only after check-in, pledge and a no-conflict
  declaration. A replacement does these steps whenever they join: the pledge countdown runs from the later
  of their check-in and the start of the pledge step. Every group step waits for the full committee: no
  recused member waiting for a replacement, at least ``min_committee_size`` members, an odd number.
- *Recusal during the review.* The replaced member's verdicts, scores, votes and explanations no longer
  count (条例 Art. 48: the replacement reviews again). If the preliminary review was already concluded,
  the session returns to PRELIMINARY_REVIEW (summary, ranking and signatures are cleared; the others'
  sheets are kept, sealed), and the preliminary result is concluded again when the replacement submits.
  Should a bid become valid that way, the sealed detailed sheets reopen so it can be scored.
- *Leader recused.* A new election round opens at once (any eligible member); the session stays in its
  phase, and leader-only commands are refused until a leader is elected.
- *Pause.* While paused, only ``Resume``, ``SetRecusal`` and ``ReplaceMember`` are accepted: handling a
  conflict of interest is the usual reason to pause.
- *Detailed review scope.* Price scores and ranking use the bids that passed the preliminary review and
  no PASS_FAIL item of the detailed review; a bid the price window rule rejects cannot be ranked.
- *Visibility (sealed review).* An expert sees their own sheet always, and the others' once every member
  has submitted *and* they have submitted themselves; supervisors and operators see who has submitted,
  and the sheets once all have. A roll-back seals again.
- *Corrections.* The leader may reopen several sheets (one correction each) before running the summary
  again; a correction closes when the expert resubmits.
- *Roll-back.* Asked from the preliminary review up to report signing, to the preliminary or the detailed
  review; the target stage's sheets reopen with their entries (the archive keeps them as they were);
  everything after it is cleared (a roll-back to the preliminary review empties the detailed sheets).
- *Ranking ties.* ``tie_break_order`` is required only for a tie that decides who is a recommended
  candidate or their order; bidders still tied further down share a rank (并列).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import assert_never

from bideval.domain.commands import (
    TERMINAL_PHASES,
    AcceptPledge,
    Actor,
    ApproveClarification,
    ApproveRollback,
    ApproveStart,
    CastLeaderVote,
    CheckIn,
    Command,
    CorrectionCase,
    DeclareRecusal,
    DeductEntry,
    Entry,
    ExplainDeviation,
    FinalizeRanking,
    ObjectiveEntry,
    PassFailEntry,
    Pause,
    Phase,
    RecordClarificationAnswer,
    RecordPreliminaryVerdict,
    RecordScore,
    RecusalGround,
    RefuseToSign,
    ReplaceMember,
    RequestClarification,
    RequestCorrection,
    RequestRollback,
    RequestStart,
    Resume,
    Role,
    RunSummary,
    ScoreEntry,
    SetRecusal,
    SignReport,
    SubmitDetailed,
    SubmitPreliminary,
    VoteEntry,
)
from bideval.domain.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from bideval.domain.events import (
    ClarificationAnswered,
    ClarificationApproved,
    ClarificationRejected,
    ClarificationRequested,
    CorrectionRequested,
    DetailedSheetsReopened,
    DetailedSubmitted,
    DeviationExplained,
    ElectionOpened,
    ElectionTied,
    Event,
    LeaderElected,
    LeaderVoteCast,
    MemberCheckedIn,
    MemberReplaced,
    PhaseChanged,
    PledgeAccepted,
    PreliminaryConcluded,
    PreliminarySubmitted,
    PreliminaryVerdictRecorded,
    RankingFinalized,
    RecusalDeclared,
    RecusalSet,
    ReportSigned,
    RollbackApproved,
    RollbackRejected,
    RollbackRequested,
    ScoreRecorded,
    SessionPaused,
    SessionResumed,
    SheetArchive,
    SheetEntry,
    SheetSnapshot,
    SheetVerdict,
    SigningRefused,
    StartApproved,
    StartRejected,
    StartRequested,
    SummaryComputed,
    TenderFailed,
    VoteCount,
    event_from_dict,
    event_to_dict,
)
from bideval.domain.method import Criterion, ItemKind, ReviewStage
from bideval.domain.setup import Bidder, CreditStatus, MemberKind, ProjectType, SessionSetup, Venue
from bideval.domain.summary import (
    DeviationFlag,
    PreliminaryResult,
    RankingResult,
    SummaryResult,
    compute_summary,
    conclude_preliminary,
    fmt,
    rank_bidders,
)

__all__ = [
    "Actor",
    "Clarification",
    "ClarificationStatus",
    "Correction",
    "DetailedSheet",
    "Election",
    "ElectionRound",
    "ElectionStatus",
    "Explanation",
    "FlagStatus",
    "MemberProgress",
    "MemberState",
    "MemberStatus",
    "PauseRecord",
    "Phase",
    "PreliminaryOutcome",
    "PreliminarySheet",
    "Recusal",
    "Role",
    "RollbackRequest",
    "SessionState",
    "SheetsView",
    "Signature",
    "StartRequest",
    "SummaryView",
    "TenderFailure",
    "apply",
    "archives",
    "clarifications",
    "decide",
    "election_status",
    "event_from_dict",
    "event_to_dict",
    "execute",
    "member_progress",
    "preliminary_outcome",
    "ranking",
    "replay",
    "signatures",
    "summary",
    "validate_setup",
    "visible_sheets",
]


# ==================================================================================================
# State


class MemberStatus(enum.StrEnum):
    """Where a person of ``setup.members`` stands."""

    ACTIVE = "active"  # on the committee
    RECUSED = "recused"  # left the committee (回避); waiting for a replacement
    REPLACED = "replaced"  # recused and replaced; their work is void
    RESERVE = "reserve"  # a reserve (候补) not drawn into the committee


@dataclass(frozen=True, slots=True)
class Recusal:
    """Why and by whom a member was recused."""

    grounds: tuple[RecusalGround, ...]
    note: str  # the expert's note, or the supervisor's reason
    by: str  # the expert themself, or the supervisor
    self_declared: bool
    at: datetime


@dataclass(slots=True)
class MemberState:
    """One person of ``setup.members`` and the steps they have completed."""

    person_id: str
    name: str
    venue_id: str
    kind: MemberKind
    status: MemberStatus
    joined_at: datetime | None = None  # session creation, or when drawn as a replacement
    checked_in_at: datetime | None = None
    pledge_shown_at: datetime | None = None  # the pledge countdown starts here
    pledged_at: datetime | None = None
    declared_at: datetime | None = None  # declared no conflict
    recusal: Recusal | None = None
    replaces: str | None = None
    replaced_by: str | None = None

    @property
    def active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    @property
    def ready(self) -> bool:
        """Active, checked in, pledged and declared no conflict: may vote and review."""
        return (
            self.active
            and self.checked_in_at is not None
            and self.pledged_at is not None
            and self.declared_at is not None
        )


@dataclass(slots=True)
class PreliminarySheet:
    """One expert's preliminary verdicts, keyed by (bidder id, criterion id)."""

    verdicts: dict[tuple[str, str], PassFailEntry] = field(default_factory=dict)
    submitted: bool = False
    ever_submitted: bool = False  # since the last roll-back; decides what the expert may see


@dataclass(slots=True)
class DetailedSheet:
    """One expert's detailed-review entries, keyed by (bidder id, criterion id)."""

    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    submitted: bool = False
    ever_submitted: bool = False  # since the last roll-back; decides what the expert may see


@dataclass(slots=True)
class Election:
    """The current (or last) leader-election round."""

    round: int
    candidates: tuple[str, ...]  # empty: any eligible member; else a run-off between these
    reason: str
    votes: dict[str, str] = field(default_factory=dict)  # voter → candidate
    open: bool = True


@dataclass(frozen=True, slots=True)
class ElectionRound:
    """A finished election round."""

    round: int
    candidates: tuple[str, ...]
    tally: tuple[VoteCount, ...]
    elected: str | None
    tied: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StartRequest:
    by: str
    at: datetime


class ClarificationStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"  # waits for a supervisor
    REJECTED = "rejected"  # the supervisor stopped it
    SENT = "sent"  # with the bidder
    ANSWERED = "answered"  # the bidder's answer is recorded


@dataclass(frozen=True, slots=True)
class Clarification:
    """A written question to a bidder and its answer (澄清); part of the report."""

    clarification_id: str
    bidder_id: str
    question: str
    status: ClarificationStatus
    requested_by: str
    requested_at: datetime
    decided_by: str = ""
    decision_note: str = ""
    decided_at: datetime | None = None
    answer: str = ""
    answered_by: str = ""
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """An expert's written explanation of a flagged score."""

    expert_id: str
    bidder_id: str
    criterion_id: str
    points: Decimal
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Correction:
    """A sheet reopened by the leader for a case of 87号令 Art. 64."""

    correction_id: str
    expert_id: str
    case: CorrectionCase
    reason: str
    requested_by: str
    requested_at: datetime
    closed_at: datetime | None = None
    outcome: str = ""  # "resubmitted", or why it lapsed

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class RollbackRequest:
    target: Phase
    reason: str
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class Signature:
    """A member's answer to the report; a refusal without reasons counts as agreement."""

    expert_id: str
    agree: bool
    dissent: str
    refused: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class PauseRecord:
    reason: str
    by: str
    since: datetime


@dataclass(frozen=True, slots=True)
class TenderFailure:
    stage: Phase
    reason: str
    valid_bidders: tuple[str, ...]
    at: datetime


@dataclass(slots=True)
class SessionState:
    """Everything the events of one session have established. Mutated only by :func:`apply`."""

    setup: SessionSetup
    created_at: datetime
    phase: Phase
    phase_since: datetime
    last_event_at: datetime
    members: dict[str, MemberState]  # every person of setup.members, in setup order
    paused: PauseRecord | None = None
    leader_id: str | None = None
    election: Election | None = None
    election_history: list[ElectionRound] = field(default_factory=list)
    start_request: StartRequest | None = None  # the leader's request to start, while pending
    started_at: datetime | None = None
    preliminary: dict[str, PreliminarySheet] = field(default_factory=dict)
    preliminary_result: PreliminaryResult | None = None
    preliminary_revealed: bool = False
    detailed: dict[str, DetailedSheet] = field(default_factory=dict)
    detailed_revealed: bool = False
    clarifications: list[Clarification] = field(default_factory=list)
    summary: SummaryResult | None = None
    explanations: dict[tuple[str, str, str], Explanation] = field(default_factory=dict)
    corrections: list[Correction] = field(default_factory=list)
    rollback_request: RollbackRequest | None = None
    archives: list[SheetArchive] = field(default_factory=list)
    ranking: RankingResult | None = None
    signatures: dict[str, Signature] = field(default_factory=dict)
    failure: TenderFailure | None = None

    @classmethod
    def new(cls, setup: SessionSetup, created_at: datetime) -> SessionState:
        """The session before its first event; refuses an inconsistent setup with ``InvalidArgument``."""
        validate_setup(setup)
        _check_aware(created_at, "created_at")
        members = {
            m.person_id: MemberState(
                person_id=m.person_id,
                name=m.name,
                venue_id=m.venue_id,
                kind=m.kind,
                status=MemberStatus.RESERVE if m.reserve else MemberStatus.ACTIVE,
                joined_at=None if m.reserve else created_at,
            )
            for m in setup.members
        }
        return cls(
            setup=setup,
            created_at=created_at,
            phase=Phase.CHECK_IN,
            phase_since=created_at,
            last_event_at=created_at,
            members=members,
        )

    # Small read helpers used by decide, apply and the queries.

    def active_members(self) -> list[MemberState]:
        return [m for m in self.members.values() if m.active]

    def valid_bidders(self) -> tuple[str, ...]:
        return self.preliminary_result.valid_bidders if self.preliminary_result else ()


def validate_setup(setup: SessionSetup) -> None:
    """Refuse a setup the workflow cannot run, naming every problem at once."""
    problems: list[str] = []
    rules = setup.method.rules
    if not setup.session_id.strip():
        problems.append("the session id is empty")
    for what, ids in (
        ("venue", [v.id for v in setup.venues]),
        ("bidder", [b.id for b in setup.bidders]),
        ("member", [m.person_id for m in setup.members]),
        ("supervisor", [s.person_id for s in setup.supervisors]),
        ("criterion", [c.id for c in setup.method.criteria]),
    ):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate {what} ids: {', '.join(duplicates)}")
    venues = {v.id for v in setup.venues}
    placed = [(m.person_id, m.venue_id) for m in setup.members]
    placed += [(s.person_id, s.venue_id) for s in setup.supervisors]
    for person_id, venue_id in placed:
        if venue_id not in venues:
            problems.append(f"{person_id} is assigned to the unknown venue {venue_id}")
    overlap = {m.person_id for m in setup.members} & {s.person_id for s in setup.supervisors}
    if overlap:
        problems.append(f"{', '.join(sorted(overlap))} cannot be both committee member and supervisor")
    if not setup.bidders:
        problems.append("there are no bidders")
    if not setup.supervisors:
        problems.append("there is no supervisor (监督人员)")
    committee = setup.committee()
    size = len(committee)
    if size < rules.min_committee_size or size % 2 == 0:
        problems.append(
            f"the committee (评标委员会) has {size} members; it needs an odd number of at least "
            f"{rules.min_committee_size}"
        )
    representatives = sum(1 for m in committee if m.kind is MemberKind.TENDERER_REPRESENTATIVE)
    if 3 * representatives > size:
        problems.append(
            f"{representatives} of {size} members are the tenderer's representatives (招标人代表); "
            "at least two thirds must be drawn experts"
        )
    for c in setup.method.criteria:
        if c.stage is ReviewStage.PRELIMINARY and c.kind is not ItemKind.PASS_FAIL:
            problems.append(f"preliminary item {c.id} must be pass/fail, not {c.kind}")
        if c.kind is ItemKind.PRICE and c.stage is not ReviewStage.DETAILED:
            problems.append(f"price item {c.id} must belong to the detailed review")
        if c.kind in (ItemKind.SCORE, ItemKind.DEDUCT, ItemKind.OBJECTIVE):
            if c.step <= 0:
                problems.append(f"criterion {c.id} has a step (步长) of {c.step}; it must be positive")
            if c.min_points > c.max_points:
                problems.append(f"criterion {c.id} has min {c.min_points} above max {c.max_points}")
    if any(c.kind is ItemKind.PRICE for c in setup.method.criteria) and setup.method.price is None:
        problems.append("the method has a price item but no price formula")
    if sum(1 for c in setup.method.criteria if c.kind is ItemKind.PRICE) > 1:
        problems.append("the method has more than one price item")
    if rules.pledge_countdown_seconds < 0:
        problems.append("the pledge countdown cannot be negative")
    if rules.min_valid_bids < 1 or rules.max_candidates < 1:
        problems.append("min_valid_bids and max_candidates must be at least 1")
    if rules.deviation_threshold_percent < 0:
        problems.append("the deviation threshold cannot be negative")
    if problems:
        raise InvalidArgument(
            f"Session setup {setup.session_id!r} cannot be evaluated: " + "; ".join(problems)
        )


# ==================================================================================================
# decide


_ALLOWED_WHILE_PAUSED = (Resume, SetRecusal, ReplaceMember)


def decide(state: SessionState, actor: Actor, command: Command, now: datetime) -> list[Event]:
    """The events ``command`` by ``actor`` at ``now`` produces, or a ``DomainError``. Never mutates."""
    _check_aware(now, "now")
    if now < state.last_event_at:
        raise InvalidArgument(
            f"The command time {now.isoformat()} is earlier than the session's last event "
            f"({state.last_event_at.isoformat()}); the server clock must not go backwards"
        )
    if state.phase is Phase.CLOSED:
        raise FailedPrecondition(
            f"Session {state.setup.session_id} is closed (评标结束); no further changes are accepted"
        )
    if state.phase is Phase.FAILED_TENDER:
        reason = state.failure.reason if state.failure else ""
        raise FailedPrecondition(
            f"Session {state.setup.session_id} ended in a failed tender (流标): {reason}; "
            "no further changes are accepted"
        )
    if state.paused is not None and not isinstance(command, _ALLOWED_WHILE_PAUSED):
        raise FailedPrecondition(
            f"Session {state.setup.session_id} is paused (暂停评标) by {state.paused.by} since "
            f"{state.paused.since.isoformat()}: “{state.paused.reason}”. Wait until a supervisor resumes it"
        )
    events = _decide(state, actor, command, now)
    return _with_group_steps(state, events, now, actor.person_id)


def execute(state: SessionState, actor: Actor, command: Command, now: datetime) -> list[Event]:
    """Decide, then apply the events to ``state``; returns the events (to store them)."""
    events = decide(state, actor, command, now)
    for event in events:
        apply(state, event)
    return events


def replay(setup: SessionSetup, created_at: datetime, events: Iterable[Event]) -> SessionState:
    """The state after ``events``, rebuilt from ``SessionState.new``."""
    state = SessionState.new(setup, created_at)
    for event in events:
        apply(state, event)
    return state


def _decide(state: SessionState, actor: Actor, command: Command, now: datetime) -> list[Event]:
    match command:
        case CheckIn():
            return _check_in(state, actor, command, now)
        case AcceptPledge():
            return _accept_pledge(state, actor, now)
        case DeclareRecusal():
            return _declare_recusal(state, actor, command, now)
        case SetRecusal():
            return _set_recusal(state, actor, command, now)
        case ReplaceMember():
            return _replace_member(state, actor, command, now)
        case CastLeaderVote():
            return _cast_leader_vote(state, actor, command, now)
        case RequestStart():
            return _request_start(state, actor, now)
        case ApproveStart():
            return _approve_start(state, actor, command, now)
        case RecordPreliminaryVerdict():
            return _record_preliminary_verdict(state, actor, command, now)
        case SubmitPreliminary():
            return _submit_preliminary(state, actor, now)
        case RequestClarification():
            return _request_clarification(state, actor, command, now)
        case ApproveClarification():
            return _approve_clarification(state, actor, command, now)
        case RecordClarificationAnswer():
            return _record_clarification_answer(state, actor, command, now)
        case RecordScore():
            return _record_score(state, actor, command, now)
        case SubmitDetailed():
            return _submit_detailed(state, actor, now)
        case RunSummary():
            return _run_summary(state, actor, now)
        case ExplainDeviation():
            return _explain_deviation(state, actor, command, now)
        case RequestCorrection():
            return _request_correction(state, actor, command, now)
        case RequestRollback():
            return _request_rollback(state, actor, command, now)
        case ApproveRollback():
            return _approve_rollback(state, actor, command, now)
        case FinalizeRanking():
            return _finalize_ranking(state, actor, command, now)
        case SignReport():
            return _sign_report(state, actor, command, now)
        case RefuseToSign():
            return _refuse_to_sign(state, actor, now)
        case Pause():
            return _pause(state, actor, command, now)
        case Resume():
            return _resume(state, actor, command, now)
        case _:
            assert_never(command)


# --------------------------------------------------------------------------------------------------
# Position checks


def _check_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidArgument(f"{name} must be a timezone-aware datetime, got {moment.isoformat()}")


def _ids(ids: Iterable[str]) -> str:
    listed = ", ".join(ids)
    return listed or "none"


def _required(text: str, what: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise InvalidArgument(f"{what} is mandatory")
    return stripped


def _expert(state: SessionState, actor: Actor, action: str) -> MemberState:
    """The actor as an active committee member."""
    if actor.role is not Role.EXPERT:
        raise PermissionDenied(
            f"Only committee experts (评标专家) can {action}; {actor.person_id} is {actor.role}"
        )
    member = state.members.get(actor.person_id)
    if member is None or member.status is MemberStatus.RESERVE:
        raise PermissionDenied(
            f"{actor.person_id} is not a member of the evaluation committee (评标委员会) of session "
            f"{state.setup.session_id}"
        )
    if member.status is MemberStatus.RECUSED:
        raise PermissionDenied(f"{actor.person_id} has been recused (回避) and can no longer {action}")
    if member.status is MemberStatus.REPLACED:
        raise PermissionDenied(
            f"{actor.person_id} has been recused (回避) and replaced by {member.replaced_by}; their work is "
            f"void and they can no longer {action}"
        )
    return member


def _missing_steps(member: MemberState) -> list[str]:
    missing = []
    if member.checked_in_at is None:
        missing.append("check in (签到)")
    if member.pledged_at is None:
        missing.append("accept the pledge (承诺书)")
    if member.declared_at is None:
        missing.append("declare no conflict of interest (回避声明)")
    return missing


def _ready_expert(state: SessionState, actor: Actor, action: str) -> MemberState:
    """The actor as a committee member who has checked in, pledged and declared no conflict."""
    member = _expert(state, actor, action)
    missing = _missing_steps(member)
    if missing:
        raise FailedPrecondition(
            f"{member.person_id} must first {', '.join(missing)} before they can {action}"
        )
    return member


def _leader(state: SessionState, actor: Actor, action: str) -> MemberState:
    member = _ready_expert(state, actor, action)
    if state.leader_id is None:
        raise FailedPrecondition(f"The committee has no leader (组长) yet; elect one before you {action}")
    if member.person_id != state.leader_id:
        raise PermissionDenied(f"Only the committee leader (组长) {state.leader_id} can {action}")
    return member


def _supervisor(state: SessionState, actor: Actor, action: str) -> str:
    if actor.role is not Role.SUPERVISOR or not any(
        s.person_id == actor.person_id for s in state.setup.supervisors
    ):
        raise PermissionDenied(
            f"Only a supervisor (监督人员) of session {state.setup.session_id} can {action}; "
            f"{actor.person_id} ({actor.role}) is not one"
        )
    return actor.person_id


def _require_phase(state: SessionState, allowed: Sequence[Phase], action: str) -> None:
    if state.phase not in allowed:
        raise FailedPrecondition(
            f"Cannot {action} during the {state.phase.label}; this is done during the "
            f"{' or '.join(p.label for p in allowed)}"
        )


def _member(state: SessionState, person_id: str) -> MemberState:
    member = state.members.get(person_id)
    if member is None:
        raise NotFound(
            f"{person_id} is neither a committee member nor a reserve of session {state.setup.session_id}"
        )
    return member


def _venue(state: SessionState, venue_id: str) -> Venue:
    for venue in state.setup.venues:
        if venue.id == venue_id:
            return venue
    raise NotFound(f"Unknown venue {venue_id!r} in session {state.setup.session_id}")


def _bidder(state: SessionState, bidder_id: str) -> Bidder:
    try:
        return state.setup.bidder(bidder_id)
    except KeyError:
        raise NotFound(f"Unknown bidder {bidder_id!r} in session {state.setup.session_id}") from None


def _criterion(state: SessionState, criterion_id: str) -> Criterion:
    try:
        return state.setup.method.criterion(criterion_id)
    except KeyError:
        raise NotFound(f"Unknown criterion {criterion_id!r} in the evaluation method (评标办法)") from None


def _committee_problems(state: SessionState) -> list[str]:
    """Why the committee cannot take a group step now (empty: it can)."""
    problems = [
        f"{m.person_id} was recused (回避) and has not been replaced yet"
        for m in state.members.values()
        if m.status is MemberStatus.RECUSED
    ]
    active = state.active_members()
    minimum = state.setup.method.rules.min_committee_size
    if not problems and (len(active) < minimum or len(active) % 2 == 0):
        problems.append(
            f"the committee has {len(active)} members; it needs an odd number of at least {minimum}"
        )
    return problems


def _readiness_problems(state: SessionState) -> list[str]:
    problems = _committee_problems(state)
    for member in state.active_members():
        missing = _missing_steps(member)
        if missing:
            problems.append(f"{member.person_id} must still {', '.join(missing)}")
    return problems


# --------------------------------------------------------------------------------------------------
# Steps 1-4: check-in, pledge, recusal, replacement, election


def _check_in(state: SessionState, actor: Actor, command: CheckIn, now: datetime) -> list[Event]:
    member = _expert(state, actor, "check in (签到)")
    if member.checked_in_at is not None:
        raise FailedPrecondition(
            f"{member.person_id} already checked in (签到) at {member.checked_in_at.isoformat()}"
        )
    venue = _venue(state, command.venue_id)
    if venue.id != member.venue_id:
        raise PermissionDenied(
            f"{member.person_id} is assigned to venue {member.venue_id} and cannot check in (签到) from "
            f"venue {venue.id} ({venue.name})"
        )
    return [MemberCheckedIn(at=now, actor_id=member.person_id, venue_id=venue.id)]


def _accept_pledge(state: SessionState, actor: Actor, now: datetime) -> list[Event]:
    member = _expert(state, actor, "accept the pledge (承诺书)")
    if member.pledged_at is not None:
        raise FailedPrecondition(f"{member.person_id} already accepted the pledge (承诺书)")
    if member.checked_in_at is None:
        raise FailedPrecondition(
            f"{member.person_id} must check in (签到) before accepting the pledge (承诺书)"
        )
    if member.pledge_shown_at is None:
        waiting = [m.person_id for m in state.active_members() if m.checked_in_at is None]
        raise FailedPrecondition(
            "The pledge (承诺书) opens when every committee member has checked in (签到); still waiting for: "
            + _ids(
                waiting + [m.person_id for m in state.members.values() if m.status is MemberStatus.RECUSED]
            )
        )
    countdown = timedelta(seconds=state.setup.method.rules.pledge_countdown_seconds)
    elapsed = now - member.pledge_shown_at
    if elapsed < countdown:
        left_us = (countdown - elapsed) // timedelta(microseconds=1)
        left_s = -(-left_us // 1_000_000)  # a started second counts
        raise FailedPrecondition(
            f"The pledge (承诺书) must be read for {countdown.seconds} s before it can be accepted; "
            f"{left_s} s remaining"
        )
    return [PledgeAccepted(at=now, actor_id=member.person_id)]


def _grounds(raw: Sequence[RecusalGround | str], note: str) -> tuple[RecusalGround, ...]:
    grounds: list[RecusalGround] = []
    for item in raw:
        try:
            ground = RecusalGround(item)
        except ValueError:
            known = ", ".join(g.value for g in RecusalGround)
            raise InvalidArgument(f"Unknown recusal ground (回避事由) {item!r}; known: {known}") from None
        if ground in grounds:
            raise InvalidArgument(f"Recusal ground (回避事由) {ground} is given twice")
        grounds.append(ground)
    if RecusalGround.OTHER in grounds and not note.strip():
        raise InvalidArgument(
            "The recusal ground 'other' (其他利害关系) needs a note saying what the interest is"
        )
    return tuple(grounds)


def _declare_recusal(
    state: SessionState, actor: Actor, command: DeclareRecusal, now: datetime
) -> list[Event]:
    member = _expert(state, actor, "declare recusal (回避声明)")
    if member.declared_at is not None:
        raise FailedPrecondition(
            f"{member.person_id} already declared no conflict of interest (回避声明) at "
            f"{member.declared_at.isoformat()}; a supervisor can still set a recusal"
        )
    if member.pledged_at is None:
        raise FailedPrecondition(
            f"{member.person_id} must accept the pledge (承诺书) before declaring (回避声明)"
        )
    if state.phase.position < Phase.RECUSAL.position:
        waiting = [m.person_id for m in state.active_members() if m.pledged_at is None]
        raise FailedPrecondition(
            "Recusal declarations (回避声明) open when every committee member has accepted the pledge "
            f"(承诺书); still waiting for: {_ids(waiting)}"
        )
    grounds = _grounds(command.grounds, command.note)
    declared = RecusalDeclared(at=now, actor_id=member.person_id, grounds=grounds, note=command.note.strip())
    if not grounds:
        return [declared]
    return [declared, *_recusal_consequences(state, member.person_id, now, actor.person_id)]


def _set_recusal(state: SessionState, actor: Actor, command: SetRecusal, now: datetime) -> list[Event]:
    supervisor = _supervisor(state, actor, "set a recusal (回避)")
    member = _member(state, command.expert_id)
    if member.status is MemberStatus.RESERVE:
        raise FailedPrecondition(f"{member.person_id} is a reserve (候补专家), not on the committee")
    if member.status is not MemberStatus.ACTIVE:
        raise FailedPrecondition(f"{member.person_id} has already been recused (回避)")
    reason = _required(command.reason, "The reason for the recusal (回避理由)")
    if not command.grounds:
        raise InvalidArgument(
            "Give at least one recusal ground (回避事由); use 'other' with the reason if none fits"
        )
    grounds = _grounds(command.grounds, reason)
    recused = RecusalSet(
        at=now, actor_id=supervisor, expert_id=member.person_id, grounds=grounds, reason=reason
    )
    return [recused, *_recusal_consequences(state, member.person_id, now, supervisor)]


def _recusal_consequences(state: SessionState, expert_id: str, now: datetime, actor_id: str) -> list[Event]:
    """What a recusal does beyond the member leaving (the voiding itself happens in ``apply``)."""
    events: list[Event] = []
    if state.leader_id == expert_id:
        events.append(
            ElectionOpened(
                at=now,
                actor_id=actor_id,
                round=_next_round(state),
                candidates=(),
                reason=f"The leader (组长) {expert_id} was recused (回避); the committee elects a new leader",
            )
        )
    if state.phase in (Phase.DETAILED_REVIEW, Phase.SUMMARY, Phase.REPORT):
        events.append(
            PhaseChanged(
                at=now,
                actor_id=actor_id,
                from_phase=state.phase,
                to=Phase.PRELIMINARY_REVIEW,
                reason=(
                    f"{expert_id} was recused (回避): their verdicts and scores are void (条例 Art. 48); the "
                    "preliminary review is concluded again once the replacement has reviewed"
                ),
            )
        )
    return events


def _next_round(state: SessionState) -> int:
    return state.election.round + 1 if state.election else 1


def _replace_member(state: SessionState, actor: Actor, command: ReplaceMember, now: datetime) -> list[Event]:
    if actor.role is Role.SUPERVISOR:
        _supervisor(state, actor, "replace a member")
    elif actor.role is not Role.OPERATOR:
        raise PermissionDenied(
            "Only an operator (代理机构/交易中心) or a supervisor (监督人员) of the session can replace "
            "a member"
        )
    old = _member(state, command.replaced_id)
    if old.status is MemberStatus.ACTIVE:
        raise FailedPrecondition(
            f"{old.person_id} has not been recused (回避); only a recused member is replaced"
        )
    if old.status is MemberStatus.RESERVE:
        raise FailedPrecondition(f"{old.person_id} is a reserve (候补专家), not a committee member")
    if old.status is MemberStatus.REPLACED:
        raise FailedPrecondition(f"{old.person_id} has already been replaced by {old.replaced_by}")
    new = state.members.get(command.replacement_id)
    if new is None:
        raise NotFound(
            f"{command.replacement_id} is not a reserve (候补专家) of session {state.setup.session_id}"
        )
    if new.status is not MemberStatus.RESERVE:
        if new.replaces is None:
            raise InvalidArgument(f"{new.person_id} is a committee member, not a reserve (候补专家)")
        raise FailedPrecondition(f"Reserve {new.person_id} has already been drawn, to replace {new.replaces}")
    committee_size = len(state.setup.committee())
    representatives = sum(
        1 for m in [*state.active_members(), new] if m.kind is MemberKind.TENDERER_REPRESENTATIVE
    )
    if 3 * representatives > committee_size:
        raise InvalidArgument(
            f"With {new.person_id} the committee would have {representatives} tenderer's representatives "
            f"(招标人代表) out of {committee_size}; at least two thirds must be drawn experts"
        )
    return [
        MemberReplaced(
            at=now, actor_id=actor.person_id, replaced_id=old.person_id, replacement_id=new.person_id
        )
    ]


def _may_lead(state: SessionState, member: MemberState) -> bool:
    return not (
        state.setup.project.project_type is ProjectType.GOVERNMENT_PROCUREMENT
        and member.kind is MemberKind.TENDERER_REPRESENTATIVE
    )


def _cast_leader_vote(
    state: SessionState, actor: Actor, command: CastLeaderVote, now: datetime
) -> list[Event]:
    voter = _ready_expert(state, actor, "vote for the leader (推选组长)")
    election = state.election
    if election is None or not election.open:
        raise FailedPrecondition("No leader election (推选组长) is open")
    if voter.person_id in election.votes:
        raise FailedPrecondition(
            f"{voter.person_id} already voted in round {election.round} "
            f"(for {election.votes[voter.person_id]})"
        )
    candidate = state.members.get(command.candidate_id)
    if candidate is None or candidate.status is MemberStatus.RESERVE:
        raise NotFound(f"{command.candidate_id} is not a member of the evaluation committee (评标委员会)")
    if not candidate.active:
        raise InvalidArgument(f"{candidate.person_id} has been recused (回避) and cannot be leader (组长)")
    if not candidate.ready:
        raise InvalidArgument(
            f"{candidate.person_id} has not yet checked in, pledged and declared no conflict, and cannot be "
            "voted for"
        )
    if not _may_lead(state, candidate):
        raise InvalidArgument(
            f"{candidate.person_id} is the purchaser's representative (采购人代表); in government "
            "procurement they cannot be committee leader (组长)"
        )
    if election.candidates and candidate.person_id not in election.candidates:
        raise InvalidArgument(
            f"Round {election.round} is a run-off between the tied candidates {_ids(election.candidates)}; "
            f"{candidate.person_id} is not one of them"
        )
    return [
        LeaderVoteCast(
            at=now, actor_id=voter.person_id, round=election.round, candidate_id=candidate.person_id
        )
    ]


# --------------------------------------------------------------------------------------------------
# Step 5: start gate


def _request_start(state: SessionState, actor: Actor, now: datetime) -> list[Event]:
    leader = _leader(state, actor, "ask to start the evaluation")
    _require_phase(state, (Phase.AWAITING_START,), "ask to start the evaluation")
    if state.start_request is not None:
        raise FailedPrecondition(
            f"The start was already requested by {state.start_request.by}; waiting for a supervisor's "
            "approval"
        )
    return [StartRequested(at=now, actor_id=leader.person_id)]


def _approve_start(state: SessionState, actor: Actor, command: ApproveStart, now: datetime) -> list[Event]:
    supervisor = _supervisor(state, actor, "approve the start")
    _require_phase(state, (Phase.AWAITING_START,), "approve the start")
    if state.start_request is None:
        raise FailedPrecondition("The committee leader (组长) has not asked to start yet")
    if not command.approved:
        note = _required(command.note, "A note saying why the start is refused")
        return [StartRejected(at=now, actor_id=supervisor, note=note)]
    problems = _readiness_problems(state)
    if problems:
        raise FailedPrecondition("The evaluation cannot start: " + "; ".join(problems))
    return [
        StartApproved(at=now, actor_id=supervisor, note=command.note.strip()),
        PhaseChanged(
            at=now,
            actor_id=supervisor,
            from_phase=state.phase,
            to=Phase.PRELIMINARY_REVIEW,
            reason=f"start approved by supervisor {supervisor}",
        ),
    ]


# --------------------------------------------------------------------------------------------------
# Step 7: preliminary review


def _record_preliminary_verdict(
    state: SessionState, actor: Actor, command: RecordPreliminaryVerdict, now: datetime
) -> list[Event]:
    expert = _ready_expert(state, actor, "record preliminary verdicts (初步评审)")
    _require_phase(state, (Phase.PRELIMINARY_REVIEW,), "record preliminary verdicts")
    sheet = state.preliminary.get(expert.person_id)
    if sheet is not None and sheet.submitted:
        raise FailedPrecondition(
            f"{expert.person_id} has already submitted the preliminary review (初步评审); verdicts can no "
            "longer be changed"
        )
    bidder = _bidder(state, command.bidder_id)
    criterion = _criterion(state, command.criterion_id)
    if criterion.stage is not ReviewStage.PRELIMINARY:
        raise InvalidArgument(
            f"Criterion {criterion.id} ({criterion.title}) belongs to the detailed review (详细评审), not "
            "the preliminary review"
        )
    reason = command.reason.strip()
    if not command.passed and not reason:
        raise InvalidArgument(
            f"Expert {expert.person_id} failed bidder {bidder.id} on item {criterion.id} ({criterion.title}) "
            "without a reason; a reason (不合格理由) is mandatory for every fail"
        )
    return [
        PreliminaryVerdictRecorded(
            at=now,
            actor_id=expert.person_id,
            bidder_id=bidder.id,
            criterion_id=criterion.id,
            passed=command.passed,
            reason=reason,
        )
    ]


def _submit_preliminary(state: SessionState, actor: Actor, now: datetime) -> list[Event]:
    expert = _ready_expert(state, actor, "submit the preliminary review (初步评审)")
    _require_phase(state, (Phase.PRELIMINARY_REVIEW,), "submit the preliminary review")
    sheet = state.preliminary.get(expert.person_id, PreliminarySheet())
    if sheet.submitted:
        raise FailedPrecondition(
            f"{expert.person_id} has already submitted the preliminary review (初步评审)"
        )
    missing = [
        f"{b.id} × {c.id}"
        for b in state.setup.bidders
        for c in state.setup.method.preliminary_items()
        if (b.id, c.id) not in sheet.verdicts
    ]
    if missing:
        raise FailedPrecondition(
            f"{expert.person_id} cannot submit the preliminary review (初步评审): {len(missing)} verdicts "
            f"missing (bidder × item): {_ids(missing[:10])}{' …' if len(missing) > 10 else ''}"
        )
    return [PreliminarySubmitted(at=now, actor_id=expert.person_id)]


# --------------------------------------------------------------------------------------------------
# Step 8: clarification


def _clarification(state: SessionState, clarification_id: str) -> Clarification:
    for item in state.clarifications:
        if item.clarification_id == clarification_id:
            return item
    raise NotFound(f"Unknown clarification (澄清) {clarification_id!r}")


def _request_clarification(
    state: SessionState, actor: Actor, command: RequestClarification, now: datetime
) -> list[Event]:
    leader = _leader(state, actor, "ask a bidder for clarification (澄清)")
    _require_phase(state, (Phase.PRELIMINARY_REVIEW, Phase.DETAILED_REVIEW), "ask for clarification (澄清)")
    bidder = _bidder(state, command.bidder_id)
    if state.phase is Phase.DETAILED_REVIEW and bidder.id not in state.valid_bidders():
        raise FailedPrecondition(
            f"Bidder {bidder.id} was rejected (否决投标) in the preliminary review; clarification is only "
            "asked of bids still under evaluation"
        )
    question = _required(command.question, "The written clarification question (澄清问题)")
    return [
        ClarificationRequested(
            at=now,
            actor_id=leader.person_id,
            clarification_id=f"C{len(state.clarifications) + 1}",
            bidder_id=bidder.id,
            question=question,
            needs_approval=state.setup.method.rules.clarification_needs_approval,
        )
    ]


def _approve_clarification(
    state: SessionState, actor: Actor, command: ApproveClarification, now: datetime
) -> list[Event]:
    supervisor = _supervisor(state, actor, "approve a clarification (澄清)")
    item = _clarification(state, command.clarification_id)
    if item.status is not ClarificationStatus.PENDING_APPROVAL:
        raise FailedPrecondition(
            f"Clarification {item.clarification_id} is {item.status}; only a question awaiting approval "
            "can be approved or refused"
        )
    if command.approved:
        return [
            ClarificationApproved(
                at=now, actor_id=supervisor, clarification_id=item.clarification_id, note=command.note.strip()
            )
        ]
    note = _required(command.note, "A note saying why the question is refused")
    return [
        ClarificationRejected(at=now, actor_id=supervisor, clarification_id=item.clarification_id, note=note)
    ]


def _record_clarification_answer(
    state: SessionState, actor: Actor, command: RecordClarificationAnswer, now: datetime
) -> list[Event]:
    if actor.role is not Role.OPERATOR:
        raise PermissionDenied(
            "Only an operator (代理机构/交易中心) records a bidder's answer received through the trading "
            "platform"
        )
    item = _clarification(state, command.clarification_id)
    if item.status is not ClarificationStatus.SENT:
        why = {
            ClarificationStatus.PENDING_APPROVAL: "has not been approved by a supervisor yet",
            ClarificationStatus.REJECTED: "was refused by a supervisor and never sent",
            ClarificationStatus.ANSWERED: "has already been answered",
        }[item.status]
        raise FailedPrecondition(f"Clarification {item.clarification_id} {why}")
    answer = _required(command.answer, "The bidder's written answer (澄清答复)")
    return [
        ClarificationAnswered(
            at=now, actor_id=actor.person_id, clarification_id=item.clarification_id, answer=answer
        )
    ]


# --------------------------------------------------------------------------------------------------
# Step 9: detailed review


_ENTRY_TYPES: dict[ItemKind, type] = {
    ItemKind.SCORE: ScoreEntry,
    ItemKind.DEDUCT: DeductEntry,
    ItemKind.PASS_FAIL: PassFailEntry,
    ItemKind.VOTE: VoteEntry,
    ItemKind.OBJECTIVE: ObjectiveEntry,
}


def _range(criterion: Criterion) -> str:
    return f"criterion {criterion.id}, range {fmt(criterion.min_points)}–{fmt(criterion.max_points)}"


def _decimal(value: object, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidArgument(f"{what} must be a finite decimal number, got {value!r}")
    return value


def _on_grid(value: Decimal, origin: Decimal, step: Decimal) -> bool:
    return (value - origin) % step == 0


def check_entry(criterion: Criterion, value: Entry, expert_id: str, bidder_id: str) -> None:
    """Refuse a detailed-review value that does not fit ``criterion`` (kind, range, step, reasons)."""
    expected = _ENTRY_TYPES.get(criterion.kind)
    if expected is None:
        raise InvalidArgument(
            f"Criterion {criterion.id} ({criterion.title}) is {criterion.kind}; it is not entered"
        )
    if not isinstance(value, expected):
        raise InvalidArgument(
            f"Criterion {criterion.id} ({criterion.title}) is a {criterion.kind} item; send a "
            f"{expected.__name__}, not a {type(value).__name__}"
        )
    who = f"by expert {expert_id} for bidder {bidder_id}"
    match value:
        case ScoreEntry(points=points) | ObjectiveEntry(points=points):
            label = "Objective value (客观分)" if isinstance(value, ObjectiveEntry) else "Score"
            points = _decimal(points, f"{label} {who}")
            if not criterion.min_points <= points <= criterion.max_points:
                raise InvalidArgument(
                    f"{label} {fmt(points)} {who} is outside the range (分值范围) of {_range(criterion)}"
                )
            if not _on_grid(points, criterion.min_points, criterion.step):
                raise InvalidArgument(
                    f"{label} {fmt(points)} {who} is not on the step grid (步长) {fmt(criterion.step)} "
                    f"({_range(criterion)})"
                )
        case DeductEntry(deductions=deductions):
            total = Decimal(0)
            for number, deduction in enumerate(deductions, start=1):
                points = _decimal(deduction.points, f"Deduction {number} {who} on criterion {criterion.id}")
                if points <= 0:
                    raise InvalidArgument(
                        f"Deduction {number} of {fmt(points)} points {who} on criterion {criterion.id} must "
                        "be positive"
                    )
                if not _on_grid(points, Decimal(0), criterion.step):
                    raise InvalidArgument(
                        f"Deduction {number} of {fmt(points)} points {who} is not on the step grid (步长) "
                        f"{fmt(criterion.step)} ({_range(criterion)})"
                    )
                if not deduction.reason.strip():
                    raise InvalidArgument(
                        f"Deduction {number} of {fmt(points)} points {who} on criterion {criterion.id} has "
                        "no reason; every deduction needs its reason (扣分理由)"
                    )
                total += points
            left = criterion.max_points - total
            if left < criterion.min_points:
                raise InvalidArgument(
                    f"Deductions {who} totalling {fmt(total)} on criterion {criterion.id} (full mark "
                    f"{fmt(criterion.max_points)}) would leave {fmt(left)}, below the minimum "
                    f"{fmt(criterion.min_points)} (扣分超出分值范围)"
                )
        case PassFailEntry(passed=passed, reason=reason):
            if not passed and not reason.strip():
                raise InvalidArgument(
                    f"Expert {expert_id} failed bidder {bidder_id} on criterion {criterion.id} "
                    f"({criterion.title}) without a reason; a reason (不合格理由) is mandatory for every fail"
                )
        case VoteEntry():
            pass


def _record_score(state: SessionState, actor: Actor, command: RecordScore, now: datetime) -> list[Event]:
    expert = _ready_expert(state, actor, "score (详细评审)")
    _require_phase(state, (Phase.DETAILED_REVIEW,), "record scores")
    sheet = state.detailed.get(expert.person_id)
    if sheet is not None and sheet.submitted:
        raise FailedPrecondition(
            f"{expert.person_id}'s detailed review sheet is sealed (已提交); only a correction requested by "
            "the leader (87号令 Art. 64) or an approved roll-back reopens it"
        )
    bidder = _bidder(state, command.bidder_id)
    if bidder.id not in state.valid_bidders():
        raise FailedPrecondition(
            f"Bidder {bidder.id} was rejected (否决投标) in the preliminary review and is not scored"
        )
    criterion = _criterion(state, command.criterion_id)
    if criterion.stage is not ReviewStage.DETAILED:
        raise InvalidArgument(
            f"Criterion {criterion.id} ({criterion.title}) belongs to the preliminary review (初步评审)"
        )
    if criterion.kind is ItemKind.PRICE:
        formula = state.setup.method.price.version if state.setup.method.price else "the price formula"
        raise InvalidArgument(
            f"Criterion {criterion.id} ({criterion.title}) is the price score (价格分); it is computed by "
            f"{formula} from the bid prices and never entered"
        )
    check_entry(criterion, command.value, expert.person_id, bidder.id)
    return [
        ScoreRecorded(
            at=now,
            actor_id=expert.person_id,
            bidder_id=bidder.id,
            criterion_id=criterion.id,
            value=command.value,
        )
    ]


def _submit_detailed(state: SessionState, actor: Actor, now: datetime) -> list[Event]:
    expert = _ready_expert(state, actor, "submit the detailed review (详细评审)")
    _require_phase(state, (Phase.DETAILED_REVIEW,), "submit the detailed review")
    sheet = state.detailed.get(expert.person_id, DetailedSheet())
    if sheet.submitted:
        raise FailedPrecondition(f"{expert.person_id} has already submitted the detailed review (详细评审)")
    missing = [
        f"{b} × {c.id}"
        for b in state.valid_bidders()
        for c in state.setup.method.entered_items()
        if (b, c.id) not in sheet.entries
    ]
    if missing:
        raise FailedPrecondition(
            f"{expert.person_id} cannot submit the detailed review (详细评审): {len(missing)} entries "
            f"missing (bidder × item): {_ids(missing[:10])}{' …' if len(missing) > 10 else ''}"
        )
    return [DetailedSubmitted(at=now, actor_id=expert.person_id)]


# --------------------------------------------------------------------------------------------------
# Steps 10-11: summary, deviation, correction


def _run_summary(state: SessionState, actor: Actor, now: datetime) -> list[Event]:
    leader = _leader(state, actor, "run the group summary (汇总)")
    _require_phase(state, (Phase.DETAILED_REVIEW, Phase.SUMMARY), "run the group summary (汇总)")
    if state.rollback_request is not None:
        raise FailedPrecondition("A roll-back request (评审回退) is waiting for a supervisor's decision")
    problems = _readiness_problems(state)
    if problems:
        raise FailedPrecondition("The group summary (汇总) cannot run: " + "; ".join(problems))
    waiting = [m.person_id for m in state.active_members() if not _detailed_submitted(state, m.person_id)]
    if waiting:
        raise FailedPrecondition(
            "The group summary (汇总) needs every member's sealed detailed review; not yet submitted: "
            + _ids(waiting)
        )
    result = compute_summary(
        state.setup.method,
        [b for b in state.setup.bidders if b.id in state.valid_bidders()],
        {m.person_id: state.detailed[m.person_id].entries for m in state.active_members()},
    )
    events: list[Event] = [SummaryComputed(at=now, actor_id=leader.person_id, result=result)]
    if state.phase is Phase.DETAILED_REVIEW:
        events.append(
            PhaseChanged(
                at=now,
                actor_id=leader.person_id,
                from_phase=state.phase,
                to=Phase.SUMMARY,
                reason=f"group summary (汇总) run by the leader {leader.person_id}",
            )
        )
    return events


def _detailed_submitted(state: SessionState, expert_id: str) -> bool:
    sheet = state.detailed.get(expert_id)
    return sheet is not None and sheet.submitted


def _flag(state: SessionState, expert_id: str, bidder_id: str, criterion_id: str) -> DeviationFlag | None:
    if state.summary is None:
        return None
    for flag in state.summary.deviation_flags:
        if (flag.expert_id, flag.bidder_id, flag.criterion_id) == (expert_id, bidder_id, criterion_id):
            return flag
    return None


def _explain_deviation(
    state: SessionState, actor: Actor, command: ExplainDeviation, now: datetime
) -> list[Event]:
    expert = _ready_expert(state, actor, "explain a deviating score (评分偏离说明)")
    _require_phase(state, (Phase.SUMMARY,), "explain a deviating score")
    flag = _flag(state, expert.person_id, command.bidder_id, command.criterion_id)
    if flag is None:
        raise FailedPrecondition(
            f"There is no deviation flag (评分偏离) for {expert.person_id} on bidder {command.bidder_id}, "
            f"criterion {command.criterion_id}; only flagged scores need an explanation"
        )
    text = _required(command.text, "The written explanation of the deviating score (偏离说明)")
    return [
        DeviationExplained(
            at=now,
            actor_id=expert.person_id,
            bidder_id=flag.bidder_id,
            criterion_id=flag.criterion_id,
            points=flag.points,
            text=text,
        )
    ]


def _request_correction(
    state: SessionState, actor: Actor, command: RequestCorrection, now: datetime
) -> list[Event]:
    leader = _leader(state, actor, "request a correction (87号令 Art. 64)")
    open_corrections = [c for c in state.corrections if c.open]
    if not (state.phase is Phase.SUMMARY or (state.phase is Phase.DETAILED_REVIEW and open_corrections)):
        raise FailedPrecondition(
            f"Corrections (87号令 Art. 64) are requested on the group summary (汇总); the session is in the "
            f"{state.phase.label}"
        )
    try:
        case = CorrectionCase(command.case)
    except ValueError:
        known = ", ".join(c.value for c in CorrectionCase)
        raise InvalidArgument(
            f"{command.case!r} is not a correction case of 87号令 Art. 64; the cases are: {known}"
        ) from None
    expert = _member(state, command.expert_id)
    if not expert.active:
        raise FailedPrecondition(f"{expert.person_id} is not an active committee member")
    for correction in open_corrections:
        if correction.expert_id == expert.person_id:
            raise FailedPrecondition(
                f"{expert.person_id}'s sheet is already reopened by correction {correction.correction_id}"
            )
    if not _detailed_submitted(state, expert.person_id):
        raise FailedPrecondition(
            f"{expert.person_id}'s detailed review sheet is not sealed; there is nothing to reopen"
        )
    reason = _required(command.reason, "The reason for the correction (修正理由)")
    correction_id = f"COR{len(state.corrections) + 1}"
    events: list[Event] = [
        CorrectionRequested(
            at=now,
            actor_id=leader.person_id,
            correction_id=correction_id,
            expert_id=expert.person_id,
            case=case,
            reason=reason,
        )
    ]
    if state.phase is Phase.SUMMARY:
        events.append(
            PhaseChanged(
                at=now,
                actor_id=leader.person_id,
                from_phase=state.phase,
                to=Phase.DETAILED_REVIEW,
                reason=f"correction {correction_id} ({case}) reopened {expert.person_id}'s sheet: {reason}",
            )
        )
    return events


# --------------------------------------------------------------------------------------------------
# Step 12: roll-back


_ROLLBACK_FROM = (Phase.PRELIMINARY_REVIEW, Phase.DETAILED_REVIEW, Phase.SUMMARY, Phase.REPORT)
_ROLLBACK_TO = (Phase.PRELIMINARY_REVIEW, Phase.DETAILED_REVIEW)


def _request_rollback(
    state: SessionState, actor: Actor, command: RequestRollback, now: datetime
) -> list[Event]:
    leader = _leader(state, actor, "request a roll-back (评审回退)")
    _require_phase(state, _ROLLBACK_FROM, "request a roll-back (评审回退)")
    try:
        target = Phase(command.target)
    except ValueError:
        raise InvalidArgument(f"Unknown phase {command.target!r}") from None
    if target not in _ROLLBACK_TO:
        raise InvalidArgument(
            "A roll-back (评审回退) returns to the preliminary or the detailed review, not to the "
            + target.label
        )
    if target.position > state.phase.position:
        raise InvalidArgument(
            f"The session is in the {state.phase.label}; it cannot roll back to the later {target.label}"
        )
    if state.rollback_request is not None:
        raise FailedPrecondition(
            f"A roll-back to the {state.rollback_request.target.label} is already waiting for a "
            "supervisor's decision"
        )
    reason = _required(command.reason, "The reason for the roll-back (回退理由)")
    return [RollbackRequested(at=now, actor_id=leader.person_id, target=target, reason=reason)]


def _approve_rollback(
    state: SessionState, actor: Actor, command: ApproveRollback, now: datetime
) -> list[Event]:
    supervisor = _supervisor(state, actor, "decide on a roll-back (评审回退)")
    request = state.rollback_request
    if request is None:
        raise FailedPrecondition("There is no roll-back request (评审回退) to decide on")
    if not command.approved:
        note = _required(command.note, "A note saying why the roll-back is refused")
        return [RollbackRejected(at=now, actor_id=supervisor, target=request.target, note=note)]
    if request.target.position > state.phase.position:
        raise FailedPrecondition(
            f"The session has meanwhile returned to the {state.phase.label}; the roll-back to the "
            f"{request.target.label} no longer applies: refuse it"
        )
    note = command.note.strip()
    archive = _archive(state, request, supervisor, note, now)
    events: list[Event] = [
        RollbackApproved(
            at=now,
            actor_id=supervisor,
            target=request.target,
            reason=request.reason,
            note=note,
            archive=archive,
        )
    ]
    if request.target is not state.phase:
        events.append(
            PhaseChanged(
                at=now,
                actor_id=supervisor,
                from_phase=state.phase,
                to=request.target,
                reason=f"roll-back (评审回退) approved by {supervisor}: {request.reason}",
            )
        )
    return events


def _snapshot(state: SessionState, expert_id: str) -> SheetSnapshot:
    """The sheet of ``expert_id`` in bidder × criterion order."""
    prelim = state.preliminary.get(expert_id, PreliminarySheet())
    detailed = state.detailed.get(expert_id, DetailedSheet())
    verdicts = tuple(
        SheetVerdict(b.id, c.id, v.passed, v.reason)
        for b in state.setup.bidders
        for c in state.setup.method.criteria
        if (v := prelim.verdicts.get((b.id, c.id))) is not None
    )
    entries = tuple(
        SheetEntry(b.id, c.id, e)
        for b in state.setup.bidders
        for c in state.setup.method.criteria
        if (e := detailed.entries.get((b.id, c.id))) is not None
    )
    return SheetSnapshot(
        expert_id=expert_id,
        void=not state.members[expert_id].active,
        preliminary_submitted=prelim.submitted,
        verdicts=verdicts,
        detailed_submitted=detailed.submitted,
        entries=entries,
    )


def _archive(
    state: SessionState, request: RollbackRequest, supervisor: str, note: str, now: datetime
) -> SheetArchive:
    return SheetArchive(
        archive_id=f"A{len(state.archives) + 1}",
        phase=state.phase,
        target=request.target,
        reason=request.reason,
        requested_by=request.requested_by,
        note=note,
        approved_by=supervisor,
        at=now,
        sheets=tuple(
            _snapshot(state, person_id)
            for person_id in state.members
            if person_id in state.preliminary or person_id in state.detailed
        ),
        preliminary_result=state.preliminary_result,
        summary=state.summary,
        ranking=state.ranking,
    )


# --------------------------------------------------------------------------------------------------
# Steps 13-14: ranking and report


def _finalize_ranking(
    state: SessionState, actor: Actor, command: FinalizeRanking, now: datetime
) -> list[Event]:
    leader = _leader(state, actor, "finalize the ranking (排序)")
    _require_phase(state, (Phase.SUMMARY,), "finalize the ranking")
    result = state.summary
    if result is None:  # pragma: no cover - SUMMARY always has a summary
        raise FailedPrecondition("Run the group summary (汇总) first")
    if state.rollback_request is not None:
        raise FailedPrecondition("A roll-back request (评审回退) is waiting for a supervisor's decision")
    open_corrections = [c.correction_id for c in state.corrections if c.open]
    if open_corrections:
        raise FailedPrecondition(f"Corrections {_ids(open_corrections)} are still open")
    if result.objective_inconsistencies:
        listed = "; ".join(
            f"{i.bidder_id}/{i.criterion_id} ("
            + ", ".join(f"{v.expert_id} {fmt(v.points)}" for v in i.values if v.points is not None)
            + ")"
            for i in result.objective_inconsistencies
        )
        raise FailedPrecondition(
            "Objective items (客观分) must be scored identically by every expert; inconsistent: "
            f"{listed}. Request a correction (INCONSISTENT_OBJECTIVE) for the experts concerned"
        )
    missing = _missing_explanations(state)
    if missing:
        listed = "; ".join(
            f"{f.expert_id} on {f.bidder_id}/{f.criterion_id} "
            f"({fmt(f.points)}, band {_approx(f.low)}–{_approx(f.high)})"
            for f in missing
        )
        raise FailedPrecondition(
            f"Written explanations of deviating scores (评分偏离说明) are missing: {listed}"
        )
    known = {b.id for b in state.setup.bidders}
    unknown = [b for b in command.tie_break_order if b not in known]
    if unknown:
        raise InvalidArgument(f"tie_break_order names unknown bidders: {_ids(unknown)}")
    if len(set(command.tie_break_order)) != len(command.tie_break_order):
        raise InvalidArgument("tie_break_order names a bidder twice")
    rule = command.tie_break_rule.strip()
    if command.tie_break_order and not rule:
        raise InvalidArgument(
            "Name the tender document's tie rule (招标文件规定的排序规则) that tie_break_order follows"
        )
    eligible = [t.bidder_id for t in result.totals if t.eligible]
    rules = state.setup.method.rules
    if len(eligible) < rules.min_valid_bids:
        reason = (
            f"only {len(eligible)} valid bids (有效投标) remain after the detailed review, fewer than the "
            f"{rules.min_valid_bids} required: the tender fails (流标)"
        )
        return [
            TenderFailed(
                at=now,
                actor_id=leader.person_id,
                stage=state.phase,
                reason=reason,
                valid_bidders=tuple(eligible),
            ),
            PhaseChanged(
                at=now,
                actor_id=leader.person_id,
                from_phase=state.phase,
                to=Phase.FAILED_TENDER,
                reason=reason,
            ),
        ]
    ranked = rank_bidders(result.totals, rules.max_candidates, command.tie_break_order, rule)
    return [
        RankingFinalized(at=now, actor_id=leader.person_id, result=ranked),
        PhaseChanged(
            at=now,
            actor_id=leader.person_id,
            from_phase=state.phase,
            to=Phase.REPORT,
            reason=f"ranking finalized; recommended candidates (中标候选人): {_ids(ranked.candidates)}",
        ),
    ]


def _approx(value: Decimal) -> str:
    """A band limit for a message: 2 decimals, marked "≈" when rounded (the flag keeps the exact value)."""
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return fmt(value) if rounded == value else f"≈{fmt(rounded)}"


def _missing_explanations(state: SessionState) -> list[DeviationFlag]:
    if state.summary is None:
        return []
    return [
        flag
        for flag in state.summary.deviation_flags
        if (flag.expert_id, flag.bidder_id, flag.criterion_id) not in state.explanations
    ]


def _signer(state: SessionState, actor: Actor, action: str) -> MemberState:
    expert = _ready_expert(state, actor, action)
    _require_phase(state, (Phase.REPORT,), action)
    if expert.person_id in state.signatures:
        raise FailedPrecondition(f"{expert.person_id} has already answered the evaluation report (评标报告)")
    return expert


def _sign_report(state: SessionState, actor: Actor, command: SignReport, now: datetime) -> list[Event]:
    expert = _signer(state, actor, "sign the evaluation report (评标报告)")
    dissent = command.dissent.strip()
    if not command.agree and not dissent:
        raise InvalidArgument(
            "A member who disagrees must write the dissent (不同意见) with its reasons; refusing to sign "
            "without reasons is recorded as agreement"
        )
    if command.agree and dissent:
        raise InvalidArgument("A dissent (不同意见) is only written when disagreeing with the report")
    return [ReportSigned(at=now, actor_id=expert.person_id, agree=command.agree, dissent=dissent)]


def _refuse_to_sign(state: SessionState, actor: Actor, now: datetime) -> list[Event]:
    expert = _signer(state, actor, "answer the evaluation report (评标报告)")
    return [SigningRefused(at=now, actor_id=expert.person_id)]


# --------------------------------------------------------------------------------------------------
# Supervision


def _pause(state: SessionState, actor: Actor, command: Pause, now: datetime) -> list[Event]:
    supervisor = _supervisor(state, actor, "pause the evaluation (暂停评标)")
    if state.paused is not None:
        raise FailedPrecondition(f"The session is already paused: “{state.paused.reason}”")
    reason = _required(command.reason, "The reason for pausing (暂停理由)")
    return [SessionPaused(at=now, actor_id=supervisor, reason=reason)]


def _resume(state: SessionState, actor: Actor, command: Resume, now: datetime) -> list[Event]:
    supervisor = _supervisor(state, actor, "resume the evaluation")
    if state.paused is None:
        raise FailedPrecondition("The session is not paused")
    reason = _required(command.reason, "The reason for resuming (恢复理由)")
    return [SessionResumed(at=now, actor_id=supervisor, reason=reason)]


# --------------------------------------------------------------------------------------------------
# Group steps: what the committee completes when its last member acts


def _with_group_steps(state: SessionState, events: list[Event], now: datetime, actor_id: str) -> list[Event]:
    """``events`` plus the group steps they complete, found by applying them to a copy of the state."""
    scratch = _clone(state)
    for event in events:
        apply(scratch, event)
    result = list(events)
    for _ in range(10):  # each pass completes at most one step; a session has fewer steps than this
        more = _group_steps(scratch, now, actor_id)
        if not more:
            return result
        for event in more:
            apply(scratch, event)
        result.extend(more)
    raise AssertionError("group steps did not settle")  # pragma: no cover


def _clone(state: SessionState) -> SessionState:
    """A copy ``apply`` can change without touching ``state``: every mutable part is copied, frozen
    values (setup, entries, results, records) are shared. A new mutable field must be copied here."""
    election = state.election
    return replace(
        state,
        members={k: replace(m) for k, m in state.members.items()},
        election=replace(election, votes=dict(election.votes)) if election else None,
        election_history=list(state.election_history),
        preliminary={k: replace(v, verdicts=dict(v.verdicts)) for k, v in state.preliminary.items()},
        detailed={k: replace(v, entries=dict(v.entries)) for k, v in state.detailed.items()},
        clarifications=list(state.clarifications),
        explanations=dict(state.explanations),
        corrections=list(state.corrections),
        archives=list(state.archives),
        signatures=dict(state.signatures),
    )


def _group_steps(state: SessionState, now: datetime, actor_id: str) -> list[Event]:
    if state.paused is not None or state.phase in TERMINAL_PHASES or _committee_problems(state):
        return []
    active = state.active_members()

    def to(phase: Phase, reason: str) -> PhaseChanged:
        return PhaseChanged(at=now, actor_id=actor_id, from_phase=state.phase, to=phase, reason=reason)

    if state.phase is Phase.CHECK_IN and all(m.checked_in_at for m in active):
        return [to(Phase.PLEDGE, "every committee member has checked in (签到)")]
    if state.phase is Phase.PLEDGE and all(m.pledged_at for m in active):
        return [to(Phase.RECUSAL, "every committee member has accepted the pledge (承诺书)")]
    if state.phase is Phase.RECUSAL and all(m.declared_at for m in active):
        return [
            to(
                Phase.LEADER_ELECTION,
                "every committee member has declared no conflict of interest (回避声明)",
            ),
            ElectionOpened(
                at=now,
                actor_id=actor_id,
                round=_next_round(state),
                candidates=(),
                reason="the committee is formed",
            ),
        ]
    election = state.election
    if (
        election is not None
        and election.open
        and all(m.ready for m in active)
        and all(m.person_id in election.votes for m in active)
    ):
        return _close_round(state, election, now, actor_id)
    if (
        state.phase is Phase.PRELIMINARY_REVIEW
        and all(m.ready for m in active)
        and all(state.preliminary.get(m.person_id, PreliminarySheet()).submitted for m in active)
    ):
        return _conclude_preliminary(state, now, actor_id)
    if state.phase is Phase.REPORT and all(m.person_id in state.signatures for m in active):
        return [
            to(Phase.CLOSED, "every committee member has signed or answered the evaluation report (评标报告)")
        ]
    return []


def _close_round(state: SessionState, election: Election, now: datetime, actor_id: str) -> list[Event]:
    counts: dict[str, int] = dict.fromkeys(election.candidates, 0)
    for candidate in election.votes.values():
        counts[candidate] = counts.get(candidate, 0) + 1
    order = list(state.members)
    tally = tuple(VoteCount(c, counts[c]) for c in sorted(counts, key=order.index))
    top = max(counts.values())
    winners = tuple(v.candidate_id for v in tally if v.votes == top)
    if len(winners) == 1:
        events: list[Event] = [
            LeaderElected(at=now, actor_id=actor_id, round=election.round, tally=tally, leader_id=winners[0])
        ]
        if state.phase is Phase.LEADER_ELECTION:
            events.append(
                PhaseChanged(
                    at=now,
                    actor_id=actor_id,
                    from_phase=state.phase,
                    to=Phase.AWAITING_START,
                    reason=f"{winners[0]} elected leader (组长) in round {election.round}",
                )
            )
        return events
    return [
        ElectionTied(at=now, actor_id=actor_id, round=election.round, tally=tally, tied=winners),
        ElectionOpened(
            at=now,
            actor_id=actor_id,
            round=election.round + 1,
            candidates=winners,
            reason=f"round {election.round} tied between {_ids(winners)} with {top} votes each: run-off",
        ),
    ]


def _conclude_preliminary(state: SessionState, now: datetime, actor_id: str) -> list[Event]:
    setup = state.setup
    result = conclude_preliminary(
        [b.id for b in setup.bidders],
        setup.method.preliminary_items(),
        {m.person_id: state.preliminary[m.person_id].verdicts for m in state.active_members()},
    )
    events: list[Event] = [PreliminaryConcluded(at=now, actor_id=actor_id, result=result)]
    minimum = setup.method.rules.min_valid_bids
    valid = result.valid_bidders
    if len(valid) < minimum:
        reason = (
            f"only {len(valid)} bids passed the preliminary review (有效投标), fewer than the {minimum} "
            "required: the tender fails (流标)"
        )
        return [
            *events,
            TenderFailed(at=now, actor_id=actor_id, stage=state.phase, reason=reason, valid_bidders=valid),
            PhaseChanged(
                at=now, actor_id=actor_id, from_phase=state.phase, to=Phase.FAILED_TENDER, reason=reason
            ),
        ]
    previous = state.preliminary_result
    added = [b for b in valid if previous is not None and b not in previous.valid_bidders]
    reopen = tuple(m.person_id for m in state.active_members() if _detailed_submitted(state, m.person_id))
    if added and reopen:
        events.append(
            DetailedSheetsReopened(
                at=now,
                actor_id=actor_id,
                expert_ids=reopen,
                reason=f"bids {_ids(added)} became valid when the preliminary review was concluded again; "
                "every member must score them",
            )
        )
    rejected = _ids(r.bidder_id for r in result.rejected)
    events.append(
        PhaseChanged(
            at=now,
            actor_id=actor_id,
            from_phase=state.phase,
            to=Phase.DETAILED_REVIEW,
            reason=f"preliminary review concluded: {len(valid)} valid bids, rejected (否决投标): {rejected}",
        )
    )
    return events


# ==================================================================================================
# apply


def apply(state: SessionState, event: Event) -> None:
    """Change ``state`` by one event (in place). Events come from ``decide``, so they are trusted."""
    match event:
        case MemberCheckedIn():
            member = state.members[event.actor_id]
            member.checked_in_at = event.at
            if state.phase.position >= Phase.PLEDGE.position:
                member.pledge_shown_at = event.at  # a replacement joining later reads the pledge now
        case PledgeAccepted():
            state.members[event.actor_id].pledged_at = event.at
        case RecusalDeclared():
            if event.grounds:
                _recuse(
                    state, event.actor_id, Recusal(event.grounds, event.note, event.actor_id, True, event.at)
                )
            else:
                state.members[event.actor_id].declared_at = event.at
        case RecusalSet():
            _recuse(
                state, event.expert_id, Recusal(event.grounds, event.reason, event.actor_id, False, event.at)
            )
        case MemberReplaced():
            old = state.members[event.replaced_id]
            new = state.members[event.replacement_id]
            old.status = MemberStatus.REPLACED
            old.replaced_by = new.person_id
            new.status = MemberStatus.ACTIVE
            new.replaces = old.person_id
            new.joined_at = event.at
        case ElectionOpened():
            state.election = Election(event.round, event.candidates, event.reason)
        case LeaderVoteCast():
            assert state.election is not None
            state.election.votes[event.actor_id] = event.candidate_id
        case ElectionTied():
            assert state.election is not None
            state.election.open = False
            state.election_history.append(
                ElectionRound(event.round, state.election.candidates, event.tally, None, event.tied)
            )
        case LeaderElected():
            assert state.election is not None
            state.election.open = False
            state.election_history.append(
                ElectionRound(event.round, state.election.candidates, event.tally, event.leader_id, ())
            )
            state.leader_id = event.leader_id
        case StartRequested():
            state.start_request = StartRequest(event.actor_id, event.at)
        case StartApproved():
            state.started_at = event.at
            state.start_request = None  # granted: no longer pending
        case StartRejected():
            state.start_request = None
        case PhaseChanged():
            state.phase = event.to
            state.phase_since = event.at
            if event.to is Phase.PLEDGE:
                for member in state.active_members():
                    if member.checked_in_at is not None and member.pledge_shown_at is None:
                        member.pledge_shown_at = event.at
        case PreliminaryVerdictRecorded():
            sheet = state.preliminary.setdefault(event.actor_id, PreliminarySheet())
            sheet.verdicts[(event.bidder_id, event.criterion_id)] = PassFailEntry(event.passed, event.reason)
        case PreliminarySubmitted():
            prelim = state.preliminary.setdefault(event.actor_id, PreliminarySheet())
            prelim.submitted = prelim.ever_submitted = True
        case PreliminaryConcluded():
            state.preliminary_result = event.result
            state.preliminary_revealed = True
            valid = set(event.result.valid_bidders)
            for detailed in state.detailed.values():
                detailed.entries = {k: v for k, v in detailed.entries.items() if k[0] in valid}
        case TenderFailed():
            state.failure = TenderFailure(event.stage, event.reason, event.valid_bidders, event.at)
        case DetailedSheetsReopened():
            for expert_id in event.expert_ids:
                state.detailed[expert_id].submitted = False
        case ClarificationRequested():
            status = (
                ClarificationStatus.PENDING_APPROVAL if event.needs_approval else ClarificationStatus.SENT
            )
            state.clarifications.append(
                Clarification(
                    event.clarification_id, event.bidder_id, event.question, status, event.actor_id, event.at
                )
            )
        case ClarificationApproved():
            _update_clarification(
                state, event.clarification_id, status=ClarificationStatus.SENT,
                decided_by=event.actor_id, decision_note=event.note, decided_at=event.at,
            )  # fmt: skip
        case ClarificationRejected():
            _update_clarification(
                state, event.clarification_id, status=ClarificationStatus.REJECTED,
                decided_by=event.actor_id, decision_note=event.note, decided_at=event.at,
            )  # fmt: skip
        case ClarificationAnswered():
            _update_clarification(
                state, event.clarification_id, status=ClarificationStatus.ANSWERED,
                answer=event.answer, answered_by=event.actor_id, answered_at=event.at,
            )  # fmt: skip
        case ScoreRecorded():
            scores = state.detailed.setdefault(event.actor_id, DetailedSheet())
            scores.entries[(event.bidder_id, event.criterion_id)] = event.value
        case DetailedSubmitted():
            scores = state.detailed.setdefault(event.actor_id, DetailedSheet())
            scores.submitted = scores.ever_submitted = True
            _close_corrections(state, event.at, "resubmitted", expert_id=event.actor_id)
            if not _committee_problems(state) and all(
                _detailed_submitted(state, m.person_id) for m in state.active_members()
            ):
                state.detailed_revealed = True
        case SummaryComputed():
            state.summary = event.result
            flagged = {
                (f.expert_id, f.bidder_id, f.criterion_id): f.points for f in event.result.deviation_flags
            }
            # An explanation stays valid while it explains the same score.
            state.explanations = {k: e for k, e in state.explanations.items() if flagged.get(k) == e.points}
        case DeviationExplained():
            key = (event.actor_id, event.bidder_id, event.criterion_id)
            state.explanations[key] = Explanation(*key, event.points, event.text, event.at)
        case CorrectionRequested():
            state.corrections.append(
                Correction(
                    event.correction_id, event.expert_id, event.case, event.reason, event.actor_id, event.at
                )
            )
            state.detailed[event.expert_id].submitted = False
            state.summary = None
            state.ranking = None
        case RollbackRequested():
            state.rollback_request = RollbackRequest(event.target, event.reason, event.actor_id, event.at)
        case RollbackApproved():
            _roll_back(state, event)
        case RollbackRejected():
            state.rollback_request = None
        case RankingFinalized():
            state.ranking = event.result
        case ReportSigned():
            state.signatures[event.actor_id] = Signature(
                event.actor_id, event.agree, event.dissent, False, event.at
            )
        case SigningRefused():
            state.signatures[event.actor_id] = Signature(event.actor_id, True, "", True, event.at)
        case SessionPaused():
            state.paused = PauseRecord(event.reason, event.actor_id, event.at)
        case SessionResumed():
            state.paused = None
        case _:
            assert_never(event)
    state.last_event_at = event.at


def _recuse(state: SessionState, expert_id: str, recusal: Recusal) -> None:
    """The member leaves; everything they contributed stops counting (条例 Art. 48)."""
    member = state.members[expert_id]
    member.status = MemberStatus.RECUSED
    member.recusal = recusal
    if state.leader_id == expert_id:
        state.leader_id = None
        state.start_request = None
        if state.rollback_request is not None and state.rollback_request.requested_by == expert_id:
            state.rollback_request = None
    election = state.election
    if election is not None and election.open:
        election.votes = {v: c for v, c in election.votes.items() if expert_id not in (v, c)}
        election.candidates = tuple(c for c in election.candidates if c != expert_id)
    _close_corrections(state, recusal.at, "void: the expert was recused (回避)", expert_id=expert_id)
    state.explanations = {k: e for k, e in state.explanations.items() if e.expert_id != expert_id}
    state.summary = None  # it counted the recused member's scores
    state.ranking = None
    state.signatures.clear()


def _close_corrections(state: SessionState, at: datetime, outcome: str, expert_id: str | None = None) -> None:
    state.corrections = [
        replace(c, closed_at=at, outcome=outcome) if c.open and expert_id in (None, c.expert_id) else c
        for c in state.corrections
    ]


def _update_clarification(state: SessionState, clarification_id: str, **changes: object) -> None:
    state.clarifications = [
        replace(c, **changes) if c.clarification_id == clarification_id else c  # type: ignore[arg-type]
        for c in state.clarifications
    ]


def _roll_back(state: SessionState, event: RollbackApproved) -> None:
    state.archives.append(event.archive)
    state.rollback_request = None
    if event.target is Phase.PRELIMINARY_REVIEW:
        for prelim in state.preliminary.values():
            prelim.submitted = prelim.ever_submitted = False
        state.preliminary_result = None
        state.preliminary_revealed = False
        state.detailed = {}  # scored again once the valid bids are known again
    else:
        for detailed in state.detailed.values():
            detailed.submitted = detailed.ever_submitted = False
    state.detailed_revealed = False
    state.summary = None
    state.explanations = {}
    _close_corrections(state, event.at, f"superseded by roll-back {event.archive.archive_id}")
    state.ranking = None
    state.signatures.clear()


# ==================================================================================================
# Queries


@dataclass(frozen=True, slots=True)
class MemberProgress:
    """One person's progress through the workflow (every person of ``setup.members``)."""

    person_id: str
    name: str
    venue_id: str
    kind: MemberKind
    status: MemberStatus
    is_leader: bool
    checked_in: bool
    pledged: bool
    declared: bool  # declared no conflict of interest
    voted_this_round: bool
    preliminary_submitted: bool
    detailed_submitted: bool
    signed: bool  # signed, dissented or refused
    recusal: Recusal | None
    replaces: str | None
    replaced_by: str | None


def member_progress(state: SessionState) -> tuple[MemberProgress, ...]:
    election = state.election
    return tuple(
        MemberProgress(
            person_id=m.person_id,
            name=m.name,
            venue_id=m.venue_id,
            kind=m.kind,
            status=m.status,
            is_leader=m.person_id == state.leader_id,
            checked_in=m.checked_in_at is not None,
            pledged=m.pledged_at is not None,
            declared=m.declared_at is not None,
            voted_this_round=election is not None and election.open and m.person_id in election.votes,
            preliminary_submitted=state.preliminary.get(m.person_id, PreliminarySheet()).submitted,
            detailed_submitted=_detailed_submitted(state, m.person_id),
            signed=m.person_id in state.signatures,
            recusal=m.recusal,
            replaces=m.replaces,
            replaced_by=m.replaced_by,
        )
        for m in state.members.values()
    )


@dataclass(frozen=True, slots=True)
class SheetsView:
    """The review sheets ``viewer_id`` may see (sealed review, DOMAIN.md step 9)."""

    viewer_id: str
    preliminary_submitted: tuple[str, ...]  # who has sealed the preliminary review (always visible)
    detailed_submitted: tuple[str, ...]  # who has sealed the detailed review (always visible)
    all_detailed_submitted: bool
    preliminary_visible: bool  # the viewer sees the others' verdicts
    detailed_visible: bool  # the viewer sees the others' scores
    sheets: tuple[SheetSnapshot, ...]  # the viewer's own first; others with only what is visible


def visible_sheets(state: SessionState, viewer: Actor) -> SheetsView:
    """Own sheet always; the others' once all have submitted and the viewer has too (sealed review).

    A recused expert sees only their own (void) sheet; supervisors and operators see who has submitted,
    and the sheets once every member has.
    """
    active = state.active_members()
    own_prelim = state.preliminary.get(viewer.person_id, PreliminarySheet())
    own_detailed = state.detailed.get(viewer.person_id, DetailedSheet())
    is_expert = viewer.role is Role.EXPERT
    member = state.members.get(viewer.person_id)
    may_see = not is_expert or (member is not None and member.active)
    prelim_visible = may_see and state.preliminary_revealed and (not is_expert or own_prelim.ever_submitted)
    detailed_visible = may_see and state.detailed_revealed and (not is_expert or own_detailed.ever_submitted)
    sheets: list[SheetSnapshot] = []
    if is_expert and member is not None and member.status is not MemberStatus.RESERVE:
        sheets.append(_snapshot(state, viewer.person_id))
    for other in active:
        if other.person_id == viewer.person_id:
            continue
        full = _snapshot(state, other.person_id)
        show_prelim = (
            prelim_visible and state.preliminary.get(other.person_id, PreliminarySheet()).ever_submitted
        )
        show_detailed = (
            detailed_visible and state.detailed.get(other.person_id, DetailedSheet()).ever_submitted
        )
        sheets.append(
            replace(
                full,
                verdicts=full.verdicts if show_prelim else (),
                entries=full.entries if show_detailed else (),
            )
        )
    return SheetsView(
        viewer_id=viewer.person_id,
        preliminary_submitted=tuple(
            m.person_id for m in active if state.preliminary.get(m.person_id, PreliminarySheet()).submitted
        ),
        detailed_submitted=tuple(m.person_id for m in active if _detailed_submitted(state, m.person_id)),
        all_detailed_submitted=all(_detailed_submitted(state, m.person_id) for m in active),
        preliminary_visible=prelim_visible,
        detailed_visible=detailed_visible,
        sheets=tuple(sheets),
    )


@dataclass(frozen=True, slots=True)
class BidderCredit:
    bidder_id: str
    name: str
    credit: CreditStatus  # red/black list status shown during preliminary review (红黑名单)


@dataclass(frozen=True, slots=True)
class PreliminaryOutcome:
    """The preliminary review as the committee sees it."""

    concluded: bool  # False also while it is being concluded again after a replacement
    result: PreliminaryResult | None  # the last group result (possibly being re-concluded)
    submitted: tuple[str, ...]
    credit: tuple[BidderCredit, ...]


def preliminary_outcome(state: SessionState) -> PreliminaryOutcome:
    return PreliminaryOutcome(
        concluded=state.preliminary_result is not None and state.phase is not Phase.PRELIMINARY_REVIEW,
        result=state.preliminary_result,
        submitted=tuple(
            m.person_id
            for m in state.active_members()
            if state.preliminary.get(m.person_id, PreliminarySheet()).submitted
        ),
        credit=tuple(BidderCredit(b.id, b.name, b.credit) for b in state.setup.bidders),
    )


@dataclass(frozen=True, slots=True)
class FlagStatus:
    flag: DeviationFlag
    explanation: Explanation | None


@dataclass(frozen=True, slots=True)
class SummaryView:
    """The group summary with the state of its follow-up (explanations, corrections, ranking)."""

    result: SummaryResult | None  # None until the leader ran it, and while a correction is open
    flags: tuple[FlagStatus, ...]
    missing_explanations: tuple[DeviationFlag, ...]
    corrections: tuple[Correction, ...]  # every correction, open and closed
    ranking: RankingResult | None


def summary(state: SessionState) -> SummaryView:
    result = state.summary
    flags = result.deviation_flags if result else ()
    return SummaryView(
        result=result,
        flags=tuple(
            FlagStatus(f, state.explanations.get((f.expert_id, f.bidder_id, f.criterion_id))) for f in flags
        ),
        missing_explanations=tuple(_missing_explanations(state)),
        corrections=tuple(state.corrections),
        ranking=state.ranking,
    )


def ranking(state: SessionState) -> RankingResult | None:
    return state.ranking


@dataclass(frozen=True, slots=True)
class ElectionStatus:
    open: bool
    round: int  # 0 before the first round
    candidates: tuple[str, ...]  # who may be voted for now
    voted: tuple[str, ...]  # who has voted in this round (not for whom)
    waiting_for: tuple[str, ...]
    my_vote: str | None  # the viewer's vote in this round
    leader_id: str | None
    rounds: tuple[ElectionRound, ...]  # finished rounds with their tallies


def election_status(state: SessionState, viewer_id: str | None = None) -> ElectionStatus:
    election = state.election
    is_open = election is not None and election.open
    votes = election.votes if election is not None and is_open else {}
    if election is not None and election.candidates:
        candidates = election.candidates
    else:
        candidates = tuple(m.person_id for m in state.active_members() if m.ready and _may_lead(state, m))
    active = state.active_members()
    return ElectionStatus(
        open=is_open,
        round=election.round if election else 0,
        candidates=candidates if is_open else (),
        voted=tuple(m.person_id for m in active if m.person_id in votes),
        waiting_for=tuple(m.person_id for m in active if is_open and m.person_id not in votes),
        my_vote=votes.get(viewer_id) if viewer_id else None,
        leader_id=state.leader_id,
        rounds=tuple(state.election_history),
    )


def clarifications(state: SessionState) -> tuple[Clarification, ...]:
    return tuple(state.clarifications)


def archives(state: SessionState) -> tuple[SheetArchive, ...]:
    return tuple(state.archives)


def signatures(state: SessionState) -> tuple[Signature, ...]:
    return tuple(state.signatures.values())
