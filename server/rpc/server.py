"""Assemble the gRPC server: mutual TLS, the authorization interceptor, health and reflection."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

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
from server.rpc.auth import AuthorizationInterceptor
from server.rpc.servicers import (
    AdminServicer,
    AuditServicer,
    DiagnosticsServicer,
    EvaluationServicer,
    SupervisionServicer,
    SyncServicer,
)

# Requests are small (a score, a reason); anything bigger is a mistake or an attack.
MAX_REQUEST_BYTES = 1 << 20
# Document chunks are 256 KiB; leave room for framing.
MAX_RESPONSE_BYTES = 4 << 20

SERVICE_NAMES = (
    evaluation_service_pb2.DESCRIPTOR.services_by_name["EvaluationService"].full_name,
    supervision_service_pb2.DESCRIPTOR.services_by_name["SupervisionService"].full_name,
    admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name,
    audit_service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    diagnostics_service_pb2.DESCRIPTOR.services_by_name["DiagnosticsService"].full_name,
    sync_service_pb2.DESCRIPTOR.services_by_name["SyncService"].full_name,
)


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """PEM bytes; the key only ever exists unencrypted in memory."""

    certificate: bytes
    private_key: bytes
    ca_certificate: bytes


def create_server(
    app: EvaluationApp,
    address: str,
    tls: TlsMaterial,
    max_workers: int = 32,
    min_client_version: str | None = None,
    interceptors: Sequence[grpc.ServerInterceptor] = (),
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """Build and start a server on ``address`` (port 0 picks a free port); returns the bound port.

    ``min_client_version`` refuses clients that report an older version (or none); health and reflection
    stay open to any TLS peer. ``interceptors`` run after the authorization interceptor (tests count
    calls with them)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
        interceptors=[AuthorizationInterceptor(app, min_client_version), *interceptors],
        options=[
            ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
            ("grpc.max_send_message_length", MAX_RESPONSE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
        # Event streams hold a worker each; cap them so command RPCs always find a thread.
        maximum_concurrent_rpcs=max_workers * 4,
    )
    evaluation_service_pb2_grpc.add_EvaluationServiceServicer_to_server(EvaluationServicer(app), server)
    supervision_service_pb2_grpc.add_SupervisionServiceServicer_to_server(SupervisionServicer(app), server)
    admin_service_pb2_grpc.add_AdminServiceServicer_to_server(AdminServicer(app), server)
    audit_service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(app), server)
    diagnostics_service_pb2_grpc.add_DiagnosticsServiceServicer_to_server(DiagnosticsServicer(app), server)
    sync_service_pb2_grpc.add_SyncServiceServicer_to_server(SyncServicer(app), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in (*SERVICE_NAMES, ""):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    credentials = grpc.ssl_server_credentials(
        [(tls.private_key, tls.certificate)], root_certificates=tls.ca_certificate, require_client_auth=True
    )
    port = server.add_secure_port(address, credentials)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    server.start()
    return server, port, health_servicer
