"""Signed changes: tampered, wrong key, foreign signer, replayed envelope, broken chain — each refused,
logged as a denied audit entry, and nothing else stored."""

from __future__ import annotations

import grpc
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from app.services.connection import ApiClient
from bideval.audit.entries import Entry, EntryKind
from bideval.audit.envelope import seal
from bideval.audit.signing import SoftwareSigner
from bideval.v1 import common_pb2, evaluation_service_pb2
from tests.support import RunningServer


def check_in(client: ApiClient, server: RunningServer) -> evaluation_service_pb2.CheckInRequest:
    request: evaluation_service_pb2.CheckInRequest = client.build(
        "CheckIn", server.session_id, venue_id="V01"
    )
    return request


def refused(
    client: ApiClient, request: object, code: grpc.StatusCode, fragment: str, server: RunningServer
) -> None:
    before_events = server.app.runtime(server.session_id).last_sequence
    before_ops = server.app.store.count_operations()
    before_log = server.app.tree_head()
    with pytest.raises(grpc.RpcError) as info:
        client.evaluation.CheckIn(request, timeout=10)
    assert info.value.code() is code
    assert fragment in (info.value.details() or "")
    assert server.app.runtime(server.session_id).last_sequence == before_events
    assert server.app.store.count_operations() == before_ops
    # The refusal itself is on the record: one new entry, of kind "denied", naming the method.
    head = server.app.tree_head()
    assert head is not None
    assert head.tree_size == (before_log.tree_size if before_log else 0) + 1
    denied = Entry.from_bytes(server.app.store.audit_leaf(head.tree_size - 1))
    assert denied.kind is EntryKind.DENIED
    assert denied.method.endswith("/CheckIn")
    assert fragment in denied.error["message"]


def test_an_unsigned_change_is_refused(server: RunningServer) -> None:
    client = server.client("E01")
    request = check_in(client, server)
    request.meta.ClearField("envelope")
    refused(client, request, grpc.StatusCode.INVALID_ARGUMENT, "not signed", server)


def test_a_tampered_payload_is_refused(server: RunningServer) -> None:
    client = server.client("E01")
    request = check_in(client, server)
    request.venue_id = "V02"
    refused(client, request, grpc.StatusCode.INVALID_ARGUMENT, "payload differ", server)


def test_a_signature_by_another_key_is_refused(server: RunningServer) -> None:
    client = server.client("E01")
    request = check_in(client, server)
    header = request.meta.envelope.header
    request.meta.envelope.signature = ec.generate_private_key(ec.SECP256R1()).sign(
        header, ec.ECDSA(hashes.SHA256())
    )
    refused(client, request, grpc.StatusCode.PERMISSION_DENIED, "signature rejected", server)


def test_a_change_signed_by_someone_else_than_the_caller_is_refused(server: RunningServer) -> None:
    e02 = server.client("E02")
    request = check_in(e02, server)  # signed by E02 ...
    refused(server.client("E01"), request, grpc.StatusCode.PERMISSION_DENIED, "another certificate", server)


def test_a_replayed_envelope_on_another_request_is_refused(server: RunningServer) -> None:
    client = server.client("E01")
    first = check_in(client, server)
    client.send("CheckIn", first)
    second = check_in(client, server)
    second.meta.envelope.CopyFrom(first.meta.envelope)  # the old signature on the next change
    refused(client, second, grpc.StatusCode.INVALID_ARGUMENT, "differ", server)


def test_a_missing_link_in_the_chain_is_refused(server: RunningServer) -> None:
    client = server.client("E01")
    signer: SoftwareSigner = client.sequencer.signer  # type: ignore[assignment]
    request = check_in(client, server)
    request.meta.ClearField("envelope")
    seal(request, signer, b"\x01" * 32)  # claims to follow a change the server never received
    refused(client, request, grpc.StatusCode.FAILED_PRECONDITION, "does not follow", server)
    # The honest request goes through.
    honest = evaluation_service_pb2.CheckInRequest()
    honest.CopyFrom(request)
    honest.meta.ClearField("envelope")
    seal(honest, signer, b"")
    assert client.evaluation.CheckIn(honest, timeout=10).outcome.HasField("receipt")


def test_receipts_name_the_signed_change(server: RunningServer) -> None:
    client = server.client("E03")
    request = check_in(client, server)
    response = client.send("CheckIn", request)
    entry = Entry.from_bytes(response.outcome.receipt.leaf)
    assert entry.kind is EntryKind.CHANGE
    assert entry.envelope == request.meta.envelope.SerializeToString(deterministic=True)
    assert entry.client_sequence == request.meta.client_sequence
    assert entry.client_time is not None
    assert isinstance(response.outcome.receipt, common_pb2.AuditReceipt)
