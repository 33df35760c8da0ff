"""The client's gRPC connection: mutual TLS with the person's credential, and retry-safe commands.

Every state-changing request gets a fresh operation id and the device's next sequence number, which is
what lets the server answer a retried request with its first answer and refuse reordered ones.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from bideval.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    common_pb2,
    diagnostics_service_pb2_grpc,
    evaluation_service_pb2,
    evaluation_service_pb2_grpc,
    supervision_service_pb2,
    supervision_service_pb2_grpc,
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the server is and who we are: PEM bytes from an unlocked credential."""

    address: str
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def open_channel(endpoint: Endpoint) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=endpoint.ca_pem, private_key=endpoint.key_pem, certificate_chain=endpoint.cert_pem
    )
    return grpc.secure_channel(
        endpoint.address,
        credentials,
        options=[("grpc.keepalive_time_ms", 20_000), ("grpc.keepalive_permit_without_calls", 1)],
    )


_MODULES = (evaluation_service_pb2, supervision_service_pb2, admin_service_pb2)


def _request_type(rpc: str) -> type[Message]:
    for module in _MODULES:
        request_type = getattr(module, f"{rpc}Request", None)
        if request_type is not None:
            return request_type  # type: ignore[no-any-return]
    raise KeyError(f"no request type for RPC {rpc}")


class Sequencer:
    """Hands out the device's sequence numbers in order (thread-safe)."""

    def __init__(self, device_id: str, last_sequence: int = 0) -> None:
        self.device_id = device_id
        self._last = last_sequence
        self._lock = threading.Lock()

    def next_meta(self, session_id: str, client_time: datetime | None = None) -> common_pb2.CommandMeta:
        with self._lock:
            self._last += 1
            sequence = self._last
        stamp = Timestamp()
        stamp.FromDatetime(client_time or datetime.now(UTC))
        return common_pb2.CommandMeta(
            session_id=session_id,
            operation_id=str(uuid.uuid4()),
            device_id=self.device_id,
            client_sequence=sequence,
            client_time=stamp,
        )


class ApiClient:
    """Stubs of every service plus ``command()``, which fills in the retry metadata."""

    def __init__(self, channel: grpc.Channel, sequencer: Sequencer, timeout: float = 10.0) -> None:
        self.channel = channel
        self.sequencer = sequencer
        self.timeout = timeout
        self.evaluation = evaluation_service_pb2_grpc.EvaluationServiceStub(channel)
        self.supervision = supervision_service_pb2_grpc.SupervisionServiceStub(channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        self.diagnostics = diagnostics_service_pb2_grpc.DiagnosticsServiceStub(channel)

    def build(self, rpc: str, session_id: str, **fields: Any) -> Message:
        """A request for a state-changing RPC with fresh metadata (send it with ``send``)."""
        return _request_type(rpc)(meta=self.sequencer.next_meta(session_id), **fields)

    def send(self, rpc: str, request: Message) -> Any:
        return self._method(rpc)(request, timeout=self.timeout)

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
