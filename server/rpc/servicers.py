"""Thin servicers: convert the request, call the application, convert the answer.

Authorization and the mapping of domain errors to statuses happen in the interceptor (server/rpc/auth.py);
protobuf conversions live in server/rpc/convert.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from bideval import __version__
from bideval.audit.entries import EntryKind, TreeHead
from bideval.audit.envelope import open_envelope
from bideval.audit.signing import certificate_der
from bideval.audit.wire import tree_head_from_proto, tree_head_to_proto
from bideval.domain.commands import Command
from bideval.domain.errors import DomainError
from bideval.identity.pki import Identity
from bideval.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    audit_service_pb2,
    audit_service_pb2_grpc,
    diagnostics_service_pb2,
    diagnostics_service_pb2_grpc,
    evaluation_service_pb2,
    evaluation_service_pb2_grpc,
    supervision_service_pb2,
    supervision_service_pb2_grpc,
    sync_service_pb2,
    sync_service_pb2_grpc,
)
from server.application import EvaluationApp
from server.rpc import convert
from server.rpc.auth import Authorizer, caller_of, certificate_of

log = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT", bound=Message)

DOCUMENT_CHUNK_BYTES = 256 * 1024
# A subscriber with nothing new still wakes this often to notice a cancelled call.
EVENT_POLL_SECONDS = 1.0


def _run_command(
    app: EvaluationApp,
    request: Any,
    context: grpc.ServicerContext,
    response_type: Callable[..., ResponseT],
    to_command: Callable[[Any], Command],
) -> ResponseT:
    certificate = certificate_of(context)
    change = open_envelope(request, certificate)  # nothing is looked at before the signature checks out
    outcome = app.execute(
        caller_of(context),
        certificate,
        convert.meta_from_proto(request.meta),
        type(request).DESCRIPTOR.full_name,
        change,
        lambda: to_command(request),
    )
    return response_type(outcome=convert.outcome_to_proto(outcome))


# RPC name -> (response type, request-to-command converter): the state-changing RPCs of one service.
CommandTable = dict[str, tuple[type[Message], Callable[[Any], Command]]]


def _commands(table: CommandTable) -> dict[str, Any]:
    """Build servicer methods from a table: RPC name -> (response type, request-to-command converter)."""
    methods: dict[str, Any] = {}
    for name, (response_type, to_command) in table.items():

        def method(
            self: Any,
            request: Any,
            context: grpc.ServicerContext,
            _response: type[Message] = response_type,
            _to_command: Callable[[Any], Command] = to_command,
        ) -> Message:
            return _run_command(self.app, request, context, _response, _to_command)

        method.__name__ = name
        methods[name] = method
    return methods


ev = evaluation_service_pb2
sv = supervision_service_pb2


class _EvaluationQueries(evaluation_service_pb2_grpc.EvaluationServiceServicer):
    def __init__(self, app: EvaluationApp) -> None:
        self.app = app

    def ListMySessions(
        self, request: ev.ListMySessionsRequest, context: grpc.ServicerContext
    ) -> ev.ListMySessionsResponse:
        runtimes = self.app.sessions_of(caller_of(context))
        return ev.ListMySessionsResponse(sessions=[convert.session_summary(r) for r in runtimes])

    def GetSession(
        self, request: ev.GetSessionRequest, context: grpc.ServicerContext
    ) -> ev.GetSessionResponse:
        caller = caller_of(context)
        view = self.app.read(request.session_id, lambda runtime: convert.session_view(runtime, caller))
        return ev.GetSessionResponse(session=view)

    def GetSheets(self, request: ev.GetSheetsRequest, context: grpc.ServicerContext) -> ev.GetSheetsResponse:
        caller = caller_of(context)
        response: ev.GetSheetsResponse = self.app.read(
            request.session_id, lambda runtime: convert.sheets(runtime, caller)
        )
        return response

    def GetSummary(
        self, request: ev.GetSummaryRequest, context: grpc.ServicerContext
    ) -> ev.GetSummaryResponse:
        caller = caller_of(context)
        summary = self.app.read(request.session_id, lambda runtime: convert.group_summary(runtime, caller))
        return ev.GetSummaryResponse(summary=summary)

    def ListDocuments(
        self, request: ev.ListDocumentsRequest, context: grpc.ServicerContext
    ) -> ev.ListDocumentsResponse:
        runtime = self.app.runtime(request.session_id)
        return ev.ListDocumentsResponse(documents=[convert.document(d) for d in runtime.setup.documents])

    def DownloadDocument(
        self, request: ev.DownloadDocumentRequest, context: grpc.ServicerContext
    ) -> Iterator[ev.DownloadDocumentResponse]:
        stored = self.app.store.document(request.session_id, request.document_id)
        if request.offset > stored.size:
            context.abort(grpc.StatusCode.OUT_OF_RANGE, f"offset {request.offset} beyond size {stored.size}")
        with stored.path.open("rb") as blob:
            blob.seek(request.offset)
            offset = request.offset
            while chunk := blob.read(DOCUMENT_CHUNK_BYTES):
                yield ev.DownloadDocumentResponse(
                    offset=offset, data=chunk, total_size=stored.size, sha256=stored.sha256
                )
                offset += len(chunk)

    def SubscribeEvents(
        self, request: ev.SubscribeEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[ev.SubscribeEventsResponse]:
        caller = caller_of(context)
        after = request.after_sequence
        runtime = self.app.runtime(request.session_id)
        if after > runtime.last_sequence:
            context.abort(
                grpc.StatusCode.OUT_OF_RANGE,
                f"after_sequence {after} is beyond the session's last event {runtime.last_sequence}",
            )
        while context.is_active():
            events = self.app.events_after(request.session_id, after, EVENT_POLL_SECONDS)
            # The interceptor checks revocation when a call starts; a stream outlives that check.
            if self.app.is_revoked(caller.serial):
                context.abort(
                    grpc.StatusCode.UNAUTHENTICATED,
                    f"certificate {caller.serial} of {caller.person_id} has been revoked; stream closed",
                )
            if not events:
                continue
            view = self.app.read(request.session_id, lambda r: convert.event_redactor(r, caller))
            for event in events:
                yield ev.SubscribeEventsResponse(event=view(event))
                after = event.sequence


EVALUATION_COMMANDS: CommandTable = {
    "CheckIn": (ev.CheckInResponse, convert.check_in),
    "AcceptPledge": (ev.AcceptPledgeResponse, convert.accept_pledge),
    "DeclareRecusal": (ev.DeclareRecusalResponse, convert.declare_recusal),
    "CastLeaderVote": (ev.CastLeaderVoteResponse, convert.cast_leader_vote),
    "RequestStart": (ev.RequestStartResponse, convert.request_start),
    "RecordPreliminaryVerdict": (
        ev.RecordPreliminaryVerdictResponse,
        convert.record_preliminary_verdict,
    ),
    "SubmitPreliminary": (ev.SubmitPreliminaryResponse, convert.submit_preliminary),
    "RequestClarification": (ev.RequestClarificationResponse, convert.request_clarification),
    "RecordScore": (ev.RecordScoreResponse, convert.record_score),
    "SubmitDetailed": (ev.SubmitDetailedResponse, convert.submit_detailed),
    "RunSummary": (ev.RunSummaryResponse, convert.run_summary),
    "ExplainDeviation": (ev.ExplainDeviationResponse, convert.explain_deviation),
    "RequestCorrection": (ev.RequestCorrectionResponse, convert.request_correction),
    "RequestRollback": (ev.RequestRollbackResponse, convert.request_rollback),
    "FinalizeRanking": (ev.FinalizeRankingResponse, convert.finalize_ranking),
    "SignReport": (ev.SignReportResponse, convert.sign_report),
}


EvaluationServicer = type("EvaluationServicer", (_EvaluationQueries,), _commands(EVALUATION_COMMANDS))


class _SupervisionBase(supervision_service_pb2_grpc.SupervisionServiceServicer):
    def __init__(self, app: EvaluationApp) -> None:
        self.app = app


SUPERVISION_COMMANDS: CommandTable = {
    "SetRecusal": (sv.SetRecusalResponse, convert.set_recusal),
    "ReplaceMember": (sv.ReplaceMemberResponse, convert.replace_member),
    "ApproveStart": (sv.ApproveStartResponse, convert.approve_start),
    "ApproveClarification": (sv.ApproveClarificationResponse, convert.approve_clarification),
    "ApproveRollback": (sv.ApproveRollbackResponse, convert.approve_rollback),
    "PauseSession": (sv.PauseSessionResponse, convert.pause_session),
    "ResumeSession": (sv.ResumeSessionResponse, convert.resume_session),
}


SupervisionServicer = type("SupervisionServicer", (_SupervisionBase,), _commands(SUPERVISION_COMMANDS))


class _AdminBase(admin_service_pb2_grpc.AdminServiceServicer):
    def __init__(self, app: EvaluationApp) -> None:
        self.app = app

    def ListSessions(
        self, request: admin_service_pb2.ListSessionsRequest, context: grpc.ServicerContext
    ) -> admin_service_pb2.ListSessionsResponse:
        runtimes = self.app.sessions_of(caller_of(context))
        return admin_service_pb2.ListSessionsResponse(sessions=[convert.session_summary(r) for r in runtimes])

    def RevokeCredential(
        self, request: admin_service_pb2.RevokeCredentialRequest, context: grpc.ServicerContext
    ) -> admin_service_pb2.RevokeCredentialResponse:
        serial = convert.serial_from_text(request.serial)
        self.app.revoke(caller_of(context), str(serial), convert.bounded_text(request.reason, "reason"))
        return admin_service_pb2.RevokeCredentialResponse(revoked_serial=str(serial))


ADMIN_COMMANDS: CommandTable = {
    "RecordClarificationAnswer": (
        admin_service_pb2.RecordClarificationAnswerResponse,
        convert.record_clarification_answer,
    ),
}


AdminServicer = type("AdminServicer", (_AdminBase,), _commands(ADMIN_COMMANDS))


class AuditServicer(audit_service_pb2_grpc.AuditServiceServicer):
    def __init__(self, app: EvaluationApp) -> None:
        self.app = app

    def GetTreeHead(
        self, request: audit_service_pb2.GetTreeHeadRequest, context: grpc.ServicerContext
    ) -> audit_service_pb2.GetTreeHeadResponse:
        head = self.app.tree_head()
        response = audit_service_pb2.GetTreeHeadResponse(
            log_certificate=certificate_der(self.app.log_certificate)
        )
        if head is not None:
            response.tree_head.CopyFrom(tree_head_to_proto(head))
        return response

    def GetConsistencyProof(
        self, request: audit_service_pb2.GetConsistencyProofRequest, context: grpc.ServicerContext
    ) -> audit_service_pb2.GetConsistencyProofResponse:
        proof = self.app.consistency_proof(request.first_size, request.second_size)
        return audit_service_pb2.GetConsistencyProofResponse(proof=proof)

    def GetInclusionProof(
        self, request: audit_service_pb2.GetInclusionProofRequest, context: grpc.ServicerContext
    ) -> audit_service_pb2.GetInclusionProofResponse:
        leaf, proof = self.app.inclusion_proof(request.leaf_index, request.tree_size)
        return audit_service_pb2.GetInclusionProofResponse(leaf=leaf, proof=proof)

    def CosignTreeHead(
        self, request: audit_service_pb2.CosignTreeHeadRequest, context: grpc.ServicerContext
    ) -> audit_service_pb2.CosignTreeHeadResponse:
        head: TreeHead = tree_head_from_proto(request.tree_head)
        count = self.app.cosign(
            caller_of(context), certificate_of(context), head, request.signature, request.signature_algorithm
        )
        return audit_service_pb2.CosignTreeHeadResponse(cosignatures=count)


@dataclass(frozen=True, slots=True)
class _Batchable:
    """A state-changing RPC as SendChanges runs it: the same converter and answer as the unary servicer."""

    request_type: type[Message]
    response_type: type[Message]
    to_command: Callable[[Any], Command]


def _batchable(module: Any, service: str, table: CommandTable) -> dict[str, _Batchable]:
    return {
        f"/bideval.v1.{service}/{name}": _Batchable(getattr(module, f"{name}Request"), response, to_command)
        for name, (response, to_command) in table.items()
    }


# Full method name -> how to run it: exactly the command tables above, so no query ever runs in a batch.
BATCHABLE: dict[str, _Batchable] = {
    **_batchable(ev, "EvaluationService", EVALUATION_COMMANDS),
    **_batchable(sv, "SupervisionService", SUPERVISION_COMMANDS),
    **_batchable(admin_service_pb2, "AdminService", ADMIN_COMMANDS),
}
# A backlog is drained 100 changes per call: few round trips, and an answer list far below the 4 MiB cap.
MAX_BATCH_CHANGES = 100


def _refused(code: grpc.StatusCode, message: str) -> sync_service_pb2.ChangeAnswer:
    return sync_service_pb2.ChangeAnswer(
        refusal=sync_service_pb2.ChangeRefusal(code=code.name, message=message)
    )


class SyncServicer(sync_service_pb2_grpc.SyncServiceServicer):
    """SendChanges: each change in order through the unary path (policy, envelope, ``execute``), answered.

    The interceptor has checked the outer call (version, revocation, the SendChanges rule); each change is
    then authorized by its own method's rule with the same :class:`Authorizer`, and refusals and denials go
    on the record exactly as for a unary call. An unexpected exception aborts the whole call (INTERNAL via
    the interceptor): the client resends the batch, and operation ids make that safe.
    """

    def __init__(self, app: EvaluationApp) -> None:
        self.app = app
        self._authorizer = Authorizer(app)

    def SendChanges(
        self, request: sync_service_pb2.SendChangesRequest, context: grpc.ServicerContext
    ) -> sync_service_pb2.SendChangesResponse:
        if len(request.changes) > MAX_BATCH_CHANGES:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"at most {MAX_BATCH_CHANGES} changes per call, got {len(request.changes)}",
            )
        caller = caller_of(context)
        answers = [self._answer(change, caller, context) for change in request.changes]
        if any(answer.HasField("refusal") for answer in answers):
            log.info("SendChanges from %s: %d changes, some refused", caller.person_id, len(answers))
        return sync_service_pb2.SendChangesResponse(answers=answers)

    def _answer(
        self, change: sync_service_pb2.QueuedChange, caller: Identity, context: grpc.ServicerContext
    ) -> sync_service_pb2.ChangeAnswer:
        method = change.method
        batchable = BATCHABLE.get(method)
        if batchable is None:
            message = f"{method or '(no method)'} is not a state-changing RPC: it cannot be sent in a batch"
            self.app.record_denial(caller, method, grpc.StatusCode.INVALID_ARGUMENT.name, message)
            return _refused(grpc.StatusCode.INVALID_ARGUMENT, message)
        try:
            inner = batchable.request_type.FromString(change.request)
        except DecodeError:
            name = batchable.request_type.DESCRIPTOR.full_name
            return _refused(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid {name}")
        denial = self._authorizer.authorize(method, inner, caller)
        if denial is None:
            try:
                response = _run_command(
                    self.app, inner, context, batchable.response_type, batchable.to_command
                )
            except DomainError as error:
                denial = self._authorizer.refusal(method, caller, error)
            else:
                return sync_service_pb2.ChangeAnswer(response=response.SerializeToString(deterministic=True))
        log.warning(
            "refused %s in a batch from %s: %s %s", method, context.peer(), denial.code.name, denial.message
        )
        return _refused(denial.code, denial.message)


class DiagnosticsServicer(diagnostics_service_pb2_grpc.DiagnosticsServiceServicer):
    def __init__(self, app: EvaluationApp) -> None:
        self.app = app

    def Ping(
        self, request: diagnostics_service_pb2.PingRequest, context: grpc.ServicerContext
    ) -> diagnostics_service_pb2.PingResponse:
        return diagnostics_service_pb2.PingResponse(payload=request.payload)

    def GetServerInfo(
        self, request: diagnostics_service_pb2.GetServerInfoRequest, context: grpc.ServicerContext
    ) -> diagnostics_service_pb2.GetServerInfoResponse:
        caller = caller_of(context)
        # A client identifies itself with this call when it connects: that is its login.
        self.app.record(
            EntryKind.LOGIN, caller, type(request).DESCRIPTOR.full_name, detail={"peer": context.peer()}
        )
        return diagnostics_service_pb2.GetServerInfoResponse(
            server_version=__version__,
            caller_id=caller.person_id,
            caller_role=convert.role_to_proto(caller.role),
            caller_name=caller.display_name,
        )


__all__ = [
    "AdminServicer",
    "AuditServicer",
    "DiagnosticsServicer",
    "EvaluationServicer",
    "SupervisionServicer",
    "SyncServicer",
]
