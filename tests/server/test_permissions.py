"""Every RPC × every role, over real mTLS: the policy table decides, and nothing else slips through."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.message import Message

from bideval.identity.pki import Role
from bideval.v1 import (
    admin_service_pb2,
    audit_service_pb2,
    diagnostics_service_pb2,
    evaluation_service_pb2,
    supervision_service_pb2,
    sync_service_pb2,
)
from server.rpc.policy import POLICY
from tests.support import RunningServer

SERVICE_MODULES = (
    evaluation_service_pb2,
    supervision_service_pb2,
    admin_service_pb2,
    audit_service_pb2,
    diagnostics_service_pb2,
    sync_service_pb2,
)
ALL_METHODS = sorted(
    (service.full_name, method.name, module)
    for module in SERVICE_MODULES
    for service in module.DESCRIPTOR.services_by_name.values()
    for method in service.methods
)
# A committee member, a supervisor of the demo session and an operator.
PEOPLE = {Role.EXPERT: "E01", Role.SUPERVISOR: "S01", Role.OPERATOR: "OP01"}


def test_policy_covers_exactly_the_api() -> None:
    api = {f"/{service}/{method}" for service, method, _module in ALL_METHODS}
    assert api == set(POLICY), "every RPC needs a policy rule, and every rule an RPC"


def _request(module: object, method: str, session_id: str, sequence: int) -> Message:
    request_type = getattr(module, f"{method}Request")
    request: Message = request_type()
    fields = request.DESCRIPTOR.fields_by_name
    if "meta" in fields:
        meta = request.meta  # type: ignore[attr-defined]
        meta.session_id = session_id
        meta.operation_id = f"op-{method}-{sequence}"
        meta.device_id = "matrix"
        meta.client_sequence = sequence
    elif "session_id" in fields:
        request.session_id = session_id  # type: ignore[attr-defined]
    return request


def _call(
    server: RunningServer, role: Role, service: str, method: str, request: Message
) -> grpc.RpcError | None:
    client = server.client(PEOPLE[role], role, device="matrix")
    service_name = service.rsplit(".", 1)[1]
    stub = {
        "EvaluationService": client.evaluation,
        "SupervisionService": client.supervision,
        "AdminService": client.admin,
        "AuditService": client.audit,
        "DiagnosticsService": client.diagnostics,
        "SyncService": client.sync,
    }[service_name]
    try:
        answer = getattr(stub, method)(request, timeout=2)
        if hasattr(answer, "__next__"):
            next(answer, None)
    except grpc.RpcError as error:
        return error
    return None


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_every_rpc_allows_exactly_the_roles_in_the_policy(server: RunningServer, role: Role) -> None:
    mismatches = []
    for sequence, (service, method, module) in enumerate(ALL_METHODS, start=1):
        rule = POLICY[f"/{service}/{method}"]
        error = _call(server, role, service, method, _request(module, method, server.session_id, sequence))
        denied_by_policy = (
            error is not None
            and error.code() is grpc.StatusCode.PERMISSION_DENIED
            and "may not call" in (error.details() or "")
        )
        if denied_by_policy == (role in rule.roles):
            mismatches.append(f"{method}: allowed={role in rule.roles} but got {error}")
    assert mismatches == []


def test_outsiders_are_refused_for_session_rpcs(server: RunningServer) -> None:
    # Valid certificates of the same platform, but not on this session's committee / supervision.
    for person, role in (("E99", Role.EXPERT), ("S99", Role.SUPERVISOR)):
        client = server.client(person, role)
        with pytest.raises(grpc.RpcError) as refused:
            client.evaluation.GetSession(
                evaluation_service_pb2.GetSessionRequest(session_id=server.session_id)
            )
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert "not" in (refused.value.details() or "")
        listed = client.evaluation.ListMySessions(evaluation_service_pb2.ListMySessionsRequest())
        assert list(listed.sessions) == []


def test_unknown_session_is_not_found(server: RunningServer) -> None:
    client = server.client("E01")
    with pytest.raises(grpc.RpcError) as missing:
        client.evaluation.GetSession(evaluation_service_pb2.GetSessionRequest(session_id="nope"))
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
