"""The client's gRPC connection: mutual TLS with the person's credential, and retry-safe commands.

Every state-changing request gets a fresh operation id and the device's next sequence number, which is
what lets the server answer a retried request with its first answer and refuse reordered ones.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from app.services.witness import LogWitness
from bideval import __version__
from bideval.audit.envelope import envelope_bytes, seal
from bideval.audit.signing import Signer, SoftwareSigner
from bideval.identity.pki import cert_from_pem, key_from_pem
from bideval.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    audit_service_pb2_grpc,
    common_pb2,
    diagnostics_service_pb2_grpc,
    evaluation_service_pb2,
    evaluation_service_pb2_grpc,
    supervision_service_pb2,
    supervision_service_pb2_grpc,
    sync_service_pb2,
    sync_service_pb2_grpc,
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the server is and who we are: PEM bytes from an unlocked credential."""

    address: str
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def signer_from_pem(cert_pem: bytes, key_pem: bytes) -> SoftwareSigner:
    """The software signer of an unlocked credential (the key stays in this object, in memory)."""
    return SoftwareSigner(cert_from_pem(cert_pem), key_from_pem(key_pem, None))


# Sent on every call so the server can refuse a client older than its configured minimum (docs/protocol.md).
CLIENT_VERSION_HEADER = "x-bideval-client-version"


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


class _ClientVersion(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds the client version header to every call, whichever stub makes it."""

    def _details(self, details: Any) -> _CallDetails:
        metadata = [*(details.metadata or ()), (CLIENT_VERSION_HEADER, __version__)]
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def open_channel(endpoint: Endpoint) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=endpoint.ca_pem, private_key=endpoint.key_pem, certificate_chain=endpoint.cert_pem
    )
    channel = grpc.secure_channel(
        endpoint.address,
        credentials,
        options=[
            ("grpc.keepalive_time_ms", 20_000),
            ("grpc.keepalive_permit_without_calls", 1),
            # A room PC whose link came back should use it within seconds, not after gRPC's 2-minute cap.
            ("grpc.initial_reconnect_backoff_ms", 500),
            ("grpc.max_reconnect_backoff_ms", 5_000),
        ],
    )
    return grpc.intercept_channel(channel, _ClientVersion())


_MODULES = (evaluation_service_pb2, supervision_service_pb2, admin_service_pb2)


def request_type(rpc: str) -> type[Message]:
    for module in _MODULES:
        request_type = getattr(module, f"{rpc}Request", None)
        if request_type is not None:
            return request_type  # type: ignore[no-any-return]
    raise KeyError(f"no request type for RPC {rpc}")


def response_type(rpc: str) -> type[Message]:
    for module in _MODULES:
        response_type = getattr(module, f"{rpc}Response", None)
        if response_type is not None:
            return response_type  # type: ignore[no-any-return]
    raise KeyError(f"no response type for RPC {rpc}")


def full_method(rpc: str) -> str:
    """The gRPC method name of a state-changing RPC, e.g. ``/bideval.v1.EvaluationService/RecordScore``."""
    for module in _MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            if rpc in service.methods_by_name:
                return f"/{service.full_name}/{rpc}"
    raise KeyError(f"unknown RPC {rpc}")


class Sequencer:
    """Numbers, stamps and signs the device's changes, strictly in order (thread-safe).

    Sequence number and signature chain advance together under one lock: change N is signed over the
    hash of change N-1's envelope, which is what lets the server (and any later verifier) see a missing or
    reordered change.
    """

    def __init__(
        self,
        device_id: str,
        signer: Signer,
        last_sequence: int = 0,
        last_envelope_sha256: bytes = b"",
    ) -> None:
        self.device_id = device_id
        self.signer = signer
        self._last = last_sequence
        self._last_envelope = last_envelope_sha256
        self._lock = threading.Lock()

    @property
    def last_sequence(self) -> int:
        return self._last

    @property
    def last_envelope_sha256(self) -> bytes:
        return self._last_envelope

    def stamp(self, request: Message, session_id: str, client_time: datetime | None = None) -> None:
        """Fill ``request.meta`` with a new operation id and the next sequence number, then sign it."""
        stamp = Timestamp()
        stamp.FromDatetime(client_time or datetime.now(UTC))
        meta = request.meta  # type: ignore[attr-defined]
        with self._lock:
            meta.CopyFrom(
                common_pb2.CommandMeta(
                    session_id=session_id,
                    operation_id=str(uuid.uuid4()),
                    device_id=self.device_id,
                    client_sequence=self._last + 1,
                    client_time=stamp,
                )
            )
            self._last_envelope = seal(request, self.signer, self._last_envelope)
            self._last += 1


class ApiClient:
    """Stubs of every service plus ``command()``, which fills in the retry metadata."""

    def __init__(
        self,
        channel: grpc.Channel,
        sequencer: Sequencer,
        timeout: float = 10.0,
        witness: LogWitness | None = None,
    ) -> None:
        """``witness`` checks the audit receipt of every answer (raising AuditLogError on a bad one)."""
        self.channel = channel
        self.witness = witness
        self.sequencer = sequencer
        self.timeout = timeout
        self.evaluation = evaluation_service_pb2_grpc.EvaluationServiceStub(channel)
        self.supervision = supervision_service_pb2_grpc.SupervisionServiceStub(channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        self.audit = audit_service_pb2_grpc.AuditServiceStub(channel)
        self.diagnostics = diagnostics_service_pb2_grpc.DiagnosticsServiceStub(channel)
        self.sync = sync_service_pb2_grpc.SyncServiceStub(channel)

    def build(self, rpc: str, session_id: str, **fields: Any) -> Message:
        """A signed request for a state-changing RPC with fresh metadata (send it with ``send``)."""
        request = request_type(rpc)(**fields)
        self.sequencer.stamp(request, session_id)
        return request

    def send(self, rpc: str, request: Message) -> Any:
        response = self._method(rpc)(request, timeout=self.timeout)
        self.check_receipt(request, response)
        return response

    def check_receipt(self, request: Message, response: Any) -> None:
        """Raise AuditLogError unless the answer's audit receipt proves the request's change is logged."""
        if self.witness is not None and response.outcome.HasField("receipt"):
            envelope = envelope_bytes(request.meta.envelope)  # type: ignore[attr-defined]
            self.witness.check_receipt(response.outcome.receipt, envelope)

    def send_changes(self, changes: Sequence[tuple[str, bytes]]) -> list[sync_service_pb2.ChangeAnswer]:
        """One ``SyncService.SendChanges`` call with (rpc, exact stored request bytes) pairs, in order.

        Returns the answers as they came, one per change the server processed: the receipts are NOT checked
        here, the caller checks each with :meth:`check_receipt` in order, so that the answers before a bad
        one are kept exactly as a sequence of unary sends would have kept them."""
        response: sync_service_pb2.SendChangesResponse = self.start_changes(changes).result()
        return list(response.answers)

    def start_changes(self, changes: Sequence[tuple[str, bytes]]) -> Any:
        """:meth:`send_changes` without waiting: a ``grpc.Future`` of the ``SendChangesResponse``."""
        request = sync_service_pb2.SendChangesRequest(
            changes=[
                sync_service_pb2.QueuedChange(method=full_method(rpc), request=data) for rpc, data in changes
            ]
        )
        return self.sync.SendChanges.future(request, timeout=self.timeout)

    def command(self, rpc: str, session_id: str, **fields: Any) -> Any:
        return self.send(rpc, self.build(rpc, session_id, **fields))

    def _method(self, rpc: str) -> Callable[..., Any]:
        for stub in (self.evaluation, self.supervision, self.admin):
            method = getattr(stub, rpc, None)
            if method is not None:
                return method  # type: ignore[no-any-return]
        raise KeyError(f"unknown RPC {rpc}")

    def close(self) -> None:
        self.channel.close()
