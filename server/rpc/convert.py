"""Conversions between generated protobuf types and the domain. The only server module that builds
``*_pb2`` messages besides the servicers' response wrappers.

Request validation that is about the *wire* (text too long, a decimal that does not parse, an unknown enum
value) happens here and raises InvalidArgument; validation about the *rules* is the domain's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from bideval.audit.wire import tree_head_to_proto
from bideval.domain import commands as cmd
from bideval.domain import workflow
from bideval.domain.codec import to_jsonable
from bideval.domain.errors import InvalidArgument
from bideval.domain.method import Criterion, EvaluationMethod
from bideval.domain.pricing import PriceScoreResult
from bideval.domain.setup import Document, Project
from bideval.domain.summary import RejectedBid, entry_points
from bideval.identity.pki import Identity, Role
from bideval.v1 import admin_service_pb2 as ad
from bideval.v1 import common_pb2, session_pb2
from bideval.v1 import evaluation_service_pb2 as ev
from bideval.v1 import supervision_service_pb2 as sv
from server.application import CommandMeta, Outcome, SessionRuntime, actor_for
from server.storage.store import StoredEvent

MAX_TEXT = 4000  # characters of a reason, note, question, answer or explanation
MAX_ID = 64
MAX_LIST = 64
MAX_DECIMAL_PLACES = 6  # of a score, objective value or deduction
MAX_INTEGER_DIGITS = 12


# -- scalars ------------------------------------------------------------------------------------------


def bounded_text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise InvalidArgument(f"{field} is {len(value)} characters long; at most {limit} are allowed")
    return value


def identifier(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(f"{field} is required")
    return bounded_text(value, field, MAX_ID)


def decimal_from_text(value: str, field: str) -> Decimal:
    try:
        number = Decimal(bounded_text(value, field, 32))
    except InvalidOperation:
        raise InvalidArgument(f"{field} {value!r} is not a decimal number") from None
    if not number.is_finite():
        raise InvalidArgument(f"{field} must be a finite number")
    # Bounded precision keeps the domain's arithmetic exact: with more digits than the decimal context holds
    # (28), an off-grid value rounds onto the step grid, and a huge exponent makes ``%`` raise.
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise InvalidArgument(f"{field} {value!r} has more than {MAX_DECIMAL_PLACES} decimal places")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidArgument(
            f"{field} {value!r} is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point"
        )
    return number


def decimal_text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def serial_from_text(value: str) -> int:
    if not value.isdigit() or len(value) > 60:
        raise InvalidArgument(f"serial {value!r} must be a decimal certificate serial number")
    return int(value)


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def phase_to_proto(phase: cmd.Phase) -> common_pb2.Phase.ValueType:
    return common_pb2.Phase.Value(f"PHASE_{phase.name}")


def phase_from_proto(value: common_pb2.Phase.ValueType, field: str) -> cmd.Phase:
    name = common_pb2.Phase.Name(value) if value in common_pb2.Phase.values() else ""
    if not name.startswith("PHASE_") or name == "PHASE_UNSPECIFIED":
        raise InvalidArgument(f"{field} must name a phase")
    return cmd.Phase[name.removeprefix("PHASE_")]


def role_to_proto(role: Role) -> common_pb2.Role.ValueType:
    return common_pb2.Role.Value(f"ROLE_{role.name}")


def struct(data: dict[str, Any]) -> Struct:
    message = Struct()
    message.update(data)
    return message


# -- command envelope ---------------------------------------------------------------------------------


def meta_from_proto(meta: common_pb2.CommandMeta) -> CommandMeta:
    return CommandMeta(
        session_id=identifier(meta.session_id, "meta.session_id"),
        operation_id=meta.operation_id,
        device_id=meta.device_id,
        client_sequence=meta.client_sequence,
        client_time=meta.client_time.ToDatetime(tzinfo=UTC) if meta.HasField("client_time") else None,
    )


def outcome_to_proto(outcome: Outcome) -> common_pb2.CommandOutcome:
    message = common_pb2.CommandOutcome(
        first_sequence=outcome.first_sequence,
        last_sequence=outcome.last_sequence,
        phase=phase_to_proto(cmd.Phase(outcome.phase)),
        accepted_at=timestamp(outcome.accepted_at),
        created_id=outcome.created_id,
    )
    if outcome.receipt is not None:
        receipt = outcome.receipt
        message.receipt.CopyFrom(
            common_pb2.AuditReceipt(
                leaf_index=receipt.leaf_index,
                leaf=receipt.leaf,
                tree_head=tree_head_to_proto(receipt.tree_head),
                inclusion_proof=list(receipt.inclusion_proof),
            )
        )
    return message


# -- requests to commands -----------------------------------------------------------------------------


def _grounds(values: Iterable[str]) -> tuple[cmd.RecusalGround, ...]:
    values = list(values)
    if len(values) > MAX_LIST:
        raise InvalidArgument("too many recusal grounds")
    try:
        return tuple(cmd.RecusalGround(value) for value in values)
    except ValueError:
        known = ", ".join(ground.value for ground in cmd.RecusalGround)
        raise InvalidArgument(f"unknown recusal ground in {values}; known grounds: {known}") from None


def check_in(request: ev.CheckInRequest) -> cmd.CheckIn:
    return cmd.CheckIn(venue_id=identifier(request.venue_id, "venue_id"))


def accept_pledge(request: ev.AcceptPledgeRequest) -> cmd.AcceptPledge:
    return cmd.AcceptPledge()


def declare_recusal(request: ev.DeclareRecusalRequest) -> cmd.DeclareRecusal:
    return cmd.DeclareRecusal(grounds=_grounds(request.grounds), note=bounded_text(request.note, "note"))


def cast_leader_vote(request: ev.CastLeaderVoteRequest) -> cmd.CastLeaderVote:
    return cmd.CastLeaderVote(candidate_id=identifier(request.candidate_id, "candidate_id"))


def request_start(request: ev.RequestStartRequest) -> cmd.RequestStart:
    return cmd.RequestStart()


def record_preliminary_verdict(request: ev.RecordPreliminaryVerdictRequest) -> cmd.RecordPreliminaryVerdict:
    return cmd.RecordPreliminaryVerdict(
        bidder_id=identifier(request.bidder_id, "bidder_id"),
        criterion_id=identifier(request.criterion_id, "criterion_id"),
        passed=request.passed,
        reason=bounded_text(request.reason, "reason"),
    )


def submit_preliminary(request: ev.SubmitPreliminaryRequest) -> cmd.SubmitPreliminary:
    return cmd.SubmitPreliminary()


def request_clarification(request: ev.RequestClarificationRequest) -> cmd.RequestClarification:
    return cmd.RequestClarification(
        bidder_id=identifier(request.bidder_id, "bidder_id"),
        question=bounded_text(request.question, "question"),
    )


def entry_from_proto(entry: Any) -> cmd.Entry:
    kind = entry.WhichOneof("value")
    if kind == "points":
        return cmd.ScoreEntry(points=decimal_from_text(entry.points, "points"))
    if kind == "deductions":
        items = list(entry.deductions.deductions)
        if len(items) > MAX_LIST:
            raise InvalidArgument(f"at most {MAX_LIST} deductions per item")
        return cmd.DeductEntry(
            deductions=tuple(
                cmd.Deduction(
                    points=decimal_from_text(item.points, f"deductions[{index}].points"),
                    reason=bounded_text(item.reason, f"deductions[{index}].reason"),
                )
                for index, item in enumerate(items)
            )
        )
    if kind == "pass_fail":
        return cmd.PassFailEntry(
            passed=entry.pass_fail.passed, reason=bounded_text(entry.pass_fail.reason, "reason")
        )
    if kind == "vote":
        return cmd.VoteEntry(yes=entry.vote)
    if kind == "objective":
        return cmd.ObjectiveEntry(points=decimal_from_text(entry.objective, "objective"))
    raise InvalidArgument("entry.value is required (points, deductions, pass_fail, vote or objective)")


def record_score(request: ev.RecordScoreRequest) -> cmd.RecordScore:
    return cmd.RecordScore(
        bidder_id=identifier(request.entry.bidder_id, "entry.bidder_id"),
        criterion_id=identifier(request.entry.criterion_id, "entry.criterion_id"),
        value=entry_from_proto(request.entry),
    )


def submit_detailed(request: ev.SubmitDetailedRequest) -> cmd.SubmitDetailed:
    return cmd.SubmitDetailed()


def run_summary(request: ev.RunSummaryRequest) -> cmd.RunSummary:
    return cmd.RunSummary()


def explain_deviation(request: ev.ExplainDeviationRequest) -> cmd.ExplainDeviation:
    return cmd.ExplainDeviation(
        bidder_id=identifier(request.bidder_id, "bidder_id"),
        criterion_id=identifier(request.criterion_id, "criterion_id"),
        text=bounded_text(request.text, "text"),
    )


def request_correction(request: ev.RequestCorrectionRequest) -> cmd.RequestCorrection:
    name = (
        ev.CorrectionCase.Name(request.correction_case)
        if request.correction_case in ev.CorrectionCase.values()
        else ""
    )
    if not name or name == "CORRECTION_CASE_UNSPECIFIED":
        raise InvalidArgument("correction_case must be one of the four cases of 87号令 Art. 64")
    return cmd.RequestCorrection(
        expert_id=identifier(request.expert_id, "expert_id"),
        case=cmd.CorrectionCase[name.removeprefix("CORRECTION_CASE_")],
        reason=bounded_text(request.reason, "reason"),
    )


def request_rollback(request: ev.RequestRollbackRequest) -> cmd.RequestRollback:
    return cmd.RequestRollback(
        target=phase_from_proto(request.target_phase, "target_phase"),
        reason=bounded_text(request.reason, "reason"),
    )


def finalize_ranking(request: ev.FinalizeRankingRequest) -> cmd.FinalizeRanking:
    order = [identifier(bidder, "tie_break_order[]") for bidder in request.tie_break_order]
    if len(order) > MAX_LIST:
        raise InvalidArgument("tie_break_order is too long")
    return cmd.FinalizeRanking(
        tie_break_order=tuple(order), tie_break_rule=bounded_text(request.tie_break_rule, "tie_break_rule")
    )


def sign_report(request: ev.SignReportRequest) -> cmd.SignReport | cmd.RefuseToSign:
    dissent = bounded_text(request.dissent, "dissent")
    if request.decision == ev.SIGN_DECISION_AGREE:
        return cmd.SignReport(agree=True, dissent=dissent)
    if request.decision == ev.SIGN_DECISION_DISAGREE:
        return cmd.SignReport(agree=False, dissent=dissent)
    if request.decision == ev.SIGN_DECISION_REFUSE:
        return cmd.RefuseToSign()
    raise InvalidArgument("decision must be agree, disagree or refuse")


def set_recusal(request: sv.SetRecusalRequest) -> cmd.SetRecusal:
    return cmd.SetRecusal(
        expert_id=identifier(request.expert_id, "expert_id"),
        grounds=_grounds(request.grounds),
        reason=bounded_text(request.reason, "reason"),
    )


def replace_member(request: sv.ReplaceMemberRequest) -> cmd.ReplaceMember:
    return cmd.ReplaceMember(
        replaced_id=identifier(request.replaced_id, "replaced_id"),
        replacement_id=identifier(request.replacement_id, "replacement_id"),
    )


def approve_start(request: sv.ApproveStartRequest) -> cmd.ApproveStart:
    return cmd.ApproveStart(approved=request.approved, note=bounded_text(request.note, "note"))


def approve_clarification(request: sv.ApproveClarificationRequest) -> cmd.ApproveClarification:
    return cmd.ApproveClarification(
        clarification_id=identifier(request.clarification_id, "clarification_id"),
        approved=request.approved,
        note=bounded_text(request.note, "note"),
    )


def approve_rollback(request: sv.ApproveRollbackRequest) -> cmd.ApproveRollback:
    return cmd.ApproveRollback(approved=request.approved, note=bounded_text(request.note, "note"))


def pause_session(request: sv.PauseSessionRequest) -> cmd.Pause:
    return cmd.Pause(reason=bounded_text(request.reason, "reason"))


def resume_session(request: sv.ResumeSessionRequest) -> cmd.Resume:
    return cmd.Resume(reason=bounded_text(request.reason, "reason"))


def record_clarification_answer(
    request: ad.RecordClarificationAnswerRequest,
) -> cmd.RecordClarificationAnswer:
    return cmd.RecordClarificationAnswer(
        clarification_id=identifier(request.clarification_id, "clarification_id"),
        answer=bounded_text(request.answer, "answer"),
    )


# -- state to views -----------------------------------------------------------------------------------


def session_summary(runtime: SessionRuntime) -> session_pb2.SessionSummary:
    state = runtime.state
    return session_pb2.SessionSummary(
        session_id=runtime.setup.session_id,
        project_name=runtime.setup.project.name,
        lot_name=runtime.setup.project.lot_name,
        phase=phase_to_proto(state.phase),
        paused=state.paused is not None,
    )


def _project(project: Project) -> session_pb2.Project:
    return session_pb2.Project(
        code=project.code,
        name=project.name,
        region=project.region,
        project_type=project.project_type.value,
        tenderer=project.tenderer,
        agency=project.agency,
        lot_code=project.lot_code,
        lot_name=project.lot_name,
        price_cap=decimal_text(project.price_cap),
    )


def _criterion(criterion: Criterion) -> session_pb2.Criterion:
    return session_pb2.Criterion(
        id=criterion.id,
        title=criterion.title,
        stage=criterion.stage.value,
        kind=criterion.kind.value,
        category=criterion.category.value if criterion.category else "",
        min_points=str(criterion.min_points),
        max_points=str(criterion.max_points),
        step=str(criterion.step),
        guidance=criterion.guidance,
        page_refs=list(criterion.page_refs),
        group=criterion.group,
    )


def _method(method: EvaluationMethod) -> session_pb2.EvaluationMethod:
    message = session_pb2.EvaluationMethod(
        name=method.name, criteria=[_criterion(c) for c in method.criteria]
    )
    if method.price is not None:
        message.price_formula.update(to_jsonable(method.price))
    rules = to_jsonable(method.rules)
    message.rules.update(rules)
    return message


def _members(state: workflow.SessionState) -> list[session_pb2.Member]:
    return [
        session_pb2.Member(
            person_id=p.person_id,
            name=p.name,
            venue_id=p.venue_id,
            kind=p.kind.value,
            status=p.status.value,
            checked_in=p.checked_in,
            pledged=p.pledged,
            declared=p.declared,
            voted=p.voted_this_round,
            preliminary_submitted=p.preliminary_submitted,
            detailed_submitted=p.detailed_submitted,
            signed=p.signed,
            replaced_by=p.replaced_by or "",
            recusal_grounds=[g.value for g in p.recusal.grounds] if p.recusal else [],
        )
        for p in workflow.member_progress(state)
    ]


def _election(state: workflow.SessionState, viewer_id: str) -> session_pb2.Election:
    status = workflow.election_status(state, viewer_id)
    return session_pb2.Election(
        round=status.round,
        candidates=list(status.candidates),
        votes_cast=len(status.voted),
        my_vote=status.my_vote or "",
        previous_rounds=[
            session_pb2.ElectionRound(round=r.round, tally={c.candidate_id: c.votes for c in r.tally})
            for r in status.rounds
        ],
    )


def _rejection(rejected: RejectedBid) -> session_pb2.BidRejection:
    return session_pb2.BidRejection(
        bidder_id=rejected.bidder_id,
        criterion_ids=[v.criterion_id for v in rejected.failed],
        reasons=[f"{r.expert_id}: {r.reason}" for v in rejected.failed for r in v.fail_reasons],
    )


def _preliminary(state: workflow.SessionState) -> session_pb2.PreliminaryOutcome:
    outcome = workflow.preliminary_outcome(state)
    if outcome.result is None:
        return session_pb2.PreliminaryOutcome(concluded=False)
    return session_pb2.PreliminaryOutcome(
        concluded=outcome.concluded,
        valid_bidder_ids=list(outcome.result.valid_bidders),
        rejections=[_rejection(r) for r in outcome.result.rejected],
    )


def session_view(runtime: SessionRuntime, caller: Identity) -> session_pb2.SessionView:
    state = runtime.state
    setup = runtime.setup
    view = session_pb2.SessionView(
        session_id=setup.session_id,
        project=_project(setup.project),
        phase=phase_to_proto(state.phase),
        paused=state.paused is not None,
        pause_reason=state.paused.reason if state.paused else "",
        leader_id=state.leader_id or "",
        caller_role=role_to_proto(caller.role),
        caller_id=caller.person_id,
        venues=[
            session_pb2.Venue(id=v.id, name=v.name, city=v.city, is_main=v.is_main) for v in setup.venues
        ],
        bidders=[
            session_pb2.Bidder(
                id=b.id,
                name=b.name,
                price=str(b.price),
                bid_file_sha256=b.bid_file_sha256,
                credit=b.credit.value,
            )
            for b in setup.bidders
        ],
        members=_members(state),
        supervisors=[
            session_pb2.Supervisor(person_id=s.person_id, name=s.name, venue_id=s.venue_id)
            for s in setup.supervisors
        ],
        method=_method(setup.method),
        election=_election(state, caller.person_id),
        clarifications=[
            session_pb2.Clarification(
                id=c.clarification_id,
                bidder_id=c.bidder_id,
                question=c.question,
                status=c.status.value,
                answer=c.answer,
                supervisor_note=c.decision_note,
            )
            for c in workflow.clarifications(state)
        ],
        preliminary=_preliminary(state),
        last_sequence=runtime.last_sequence,
        phase_started_at=timestamp(state.phase_since),
        failed_tender_reason=state.failure.reason if state.failure else "",
        start_requested=state.start_request is not None,
        archive_count=len(state.archives),
    )
    if state.rollback_request is not None:
        view.pending_rollback.CopyFrom(
            session_pb2.RollbackRequest(
                target_phase=phase_to_proto(state.rollback_request.target),
                reason=state.rollback_request.reason,
            )
        )
    return view


def _entry_to_proto(
    bidder_id: str, criterion_id: str, value: cmd.Entry, criterion: Criterion
) -> session_pb2.ScoreEntry:
    entry = session_pb2.ScoreEntry(bidder_id=bidder_id, criterion_id=criterion_id)
    if isinstance(value, cmd.ScoreEntry):
        entry.points = str(value.points)
    elif isinstance(value, cmd.DeductEntry):
        entry.deductions.SetInParent()
        for deduction in value.deductions:
            entry.deductions.deductions.add(points=str(deduction.points), reason=deduction.reason)
    elif isinstance(value, cmd.PassFailEntry):
        entry.pass_fail.CopyFrom(session_pb2.PassFail(passed=value.passed, reason=value.reason))
    elif isinstance(value, cmd.VoteEntry):
        entry.vote = value.yes
    else:
        entry.objective = str(value.points)
    entry.effective_points = decimal_text(entry_points(criterion, value))
    return entry


def sheets(runtime: SessionRuntime, caller: Identity) -> ev.GetSheetsResponse:
    state = runtime.state
    visible = workflow.visible_sheets(state, actor_for(caller))
    method = runtime.setup.method
    explanations = [e for e in state.explanations.values()]
    return ev.GetSheetsResponse(
        sheets=[
            session_pb2.Sheet(
                expert_id=sheet.expert_id,
                preliminary_submitted=sheet.preliminary_submitted,
                detailed_submitted=sheet.detailed_submitted,
                verdicts=[
                    session_pb2.Verdict(
                        bidder_id=v.bidder_id, criterion_id=v.criterion_id, passed=v.passed, reason=v.reason
                    )
                    for v in sheet.verdicts
                ],
                scores=[
                    _entry_to_proto(e.bidder_id, e.criterion_id, e.value, method.criterion(e.criterion_id))
                    for e in sheet.entries
                ],
                explanations=[
                    session_pb2.DeviationExplanation(
                        bidder_id=x.bidder_id, criterion_id=x.criterion_id, text=x.text
                    )
                    for x in explanations
                    if x.expert_id == sheet.expert_id
                ],
            )
            for sheet in visible.sheets
        ],
        all_submitted=visible.all_detailed_submitted,
    )


def _price(result: PriceScoreResult) -> session_pb2.PriceScoreDetail:
    return session_pb2.PriceScoreDetail(
        formula_version=result.formula_version,
        base_kind=result.base_kind.value,
        window_low=decimal_text(result.window_low),
        window_high=decimal_text(result.window_high),
        trimmed_out=list(result.trimmed_out),
        base_before_float=str(result.base_before_float),
        float_point_percent=decimal_text(result.float_point_percent),
        base=str(result.base),
        scores=[
            session_pb2.PriceScoreLine(
                bidder_id=s.bidder_id,
                price=str(s.price),
                in_window=s.in_window,
                entered_base=s.entered_base,
                deviation_percent=decimal_text(s.deviation_percent),
                deviation_used=decimal_text(s.deviation_used),
                deduction=decimal_text(s.deduction),
                score=decimal_text(s.score),
                rejected=s.rejected,
                explanation=s.explanation,
            )
            for s in result.scores
        ],
        steps=list(result.steps),
    )


def group_summary(runtime: SessionRuntime, caller: Identity) -> session_pb2.GroupSummary:
    view = workflow.summary(runtime.state)
    message = session_pb2.GroupSummary(available=view.result is not None)
    if view.result is not None:
        result = view.result
        message.items.extend(
            session_pb2.GroupItemScore(
                bidder_id=item.bidder_id,
                criterion_id=item.criterion_id,
                group_points=decimal_text(item.points),
                expert_points={
                    e.expert_id: decimal_text(e.points)
                    if e.points is not None
                    else ("yes" if e.yes else "no")
                    for e in item.experts
                },
            )
            for item in result.items
        )
        if result.price is not None:
            message.price.CopyFrom(_price(result.price))
        message.deviation_flags.extend(
            session_pb2.DeviationFlag(
                expert_id=f.flag.expert_id,
                bidder_id=f.flag.bidder_id,
                criterion_id=f.flag.criterion_id,
                points=str(f.flag.points),
                mean=str(f.flag.mean),
                explained=f.explanation is not None,
            )
            for f in view.flags
        )
        message.objective_inconsistencies.extend(
            session_pb2.ObjectiveInconsistency(
                bidder_id=o.bidder_id,
                criterion_id=o.criterion_id,
                expert_points={v.expert_id: decimal_text(v.points) for v in o.values},
            )
            for o in result.objective_inconsistencies
        )
        message.totals.extend(
            session_pb2.BidderTotal(
                bidder_id=t.bidder_id, total=decimal_text(t.total), price_score=decimal_text(t.price_score)
            )
            for t in result.totals
        )
        message.detailed_rejections.extend(_rejection(r) for r in result.rejected)
    if view.ranking is not None:
        message.ranking.extend(
            session_pb2.RankedBidder(
                rank=r.rank,
                bidder_id=r.bidder_id,
                total=str(r.total),
                candidate=r.candidate,
                tie_note=r.tie_note,
            )
            for r in view.ranking.ranked
        )
    return message


def document(doc: Document) -> session_pb2.Document:
    return session_pb2.Document(
        id=doc.id,
        kind=doc.kind.value,
        title=doc.title,
        sha256=doc.sha256,
        size=doc.size,
        bidder_id=doc.bidder_id or "",
        pages=doc.pages,
    )


# Values an expert entered stay sealed in the event stream: others learn that someone recorded a value,
# never which value (the sheets become visible through GetSheets once everyone has submitted).
SEALED_FIELDS = {
    "PreliminaryVerdictRecorded": ("passed", "reason"),
    "ScoreRecorded": ("value",),
}


class _PhaseAfter:
    """``SessionEvent.phase``: the phase right after each event (not the phase when it is read), for events
    visited in increasing order. Only ``PhaseChanged`` moves the phase; a session starts at check-in."""

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self._events = events  # sequences are 1..n without gaps: event s is at index s - 1
        self._sequence = 0
        self._phase = cmd.Phase.CHECK_IN

    def __call__(self, event: StoredEvent) -> cmd.Phase:
        if event.sequence != self._sequence + 1:
            self._phase = self._before(event.sequence)
        if event.kind == "PhaseChanged":
            self._phase = cmd.Phase(event.payload["to"])
        self._sequence = event.sequence
        return self._phase

    def _before(self, sequence: int) -> cmd.Phase:
        for index in range(min(sequence - 1, len(self._events)) - 1, -1, -1):
            earlier = self._events[index]
            if earlier.kind == "PhaseChanged":
                return cmd.Phase(earlier.payload["to"])
        return cmd.Phase.CHECK_IN


def event_redactor(
    runtime: SessionRuntime, caller: Identity
) -> Callable[[StoredEvent], session_pb2.SessionEvent]:
    phase_after = _PhaseAfter(runtime.events)

    def to_proto(event: StoredEvent) -> session_pb2.SessionEvent:
        details = dict(event.payload)
        if event.actor_id != caller.person_id:
            for name in SEALED_FIELDS.get(event.kind, ()):
                details.pop(name, None)
        return session_pb2.SessionEvent(
            sequence=event.sequence,
            kind=event.kind,
            occurred_at=timestamp(event.occurred_at),
            actor_id=event.actor_id,
            phase=phase_to_proto(phase_after(event)),
            details=struct(details),
        )

    return to_proto
