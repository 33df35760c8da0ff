"""Mutual TLS and identity: who may connect at all, revocation, and the public health/reflection services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from bideval import __version__
from bideval.identity.pki import (
    Role,
    cert_to_pem,
    create_ca,
    issue_person_certificate,
    key_to_plain_pem,
)
from bideval.v1 import admin_service_pb2, common_pb2, diagnostics_service_pb2, evaluation_service_pb2
from server.rpc.server import SERVICE_NAMES
from tests.support import PASSPHRASE, RunningServer

ev = evaluation_service_pb2
BIDEVAL_SERVICES = {
    "bideval.v1.EvaluationService",
    "bideval.v1.SupervisionService",
    "bideval.v1.AdminService",
    "bideval.v1.AuditService",
    "bideval.v1.DiagnosticsService",
    "bideval.v1.SyncService",
}


def connect(
    server: RunningServer, cert_pem: bytes, key_pem: bytes, ca_pem: bytes | None = None, device: str = "tls"
) -> ApiClient:
    ca = ca_pem if ca_pem is not None else server.pki.directory.ca_path.read_bytes()
    return ApiClient(
        open_channel(Endpoint(server.address, ca, cert_pem, key_pem)),
        Sequencer(device, signer_from_pem(cert_pem, key_pem)),
        timeout=5,
    )


def platform_client(server: RunningServer, person: str, role: Role, device: str = "tls") -> ApiClient:
    cert_pem, key_pem = server.pki.person(person, role)
    return connect(server, cert_pem, key_pem, device=device)


def last_sequence(server: RunningServer) -> int:
    client = server.client("S02", Role.SUPERVISOR, device="observer")
    view = client.evaluation.GetSession(ev.GetSessionRequest(session_id=server.session_id), timeout=5)
    return int(view.session.last_sequence)


def refused_at_handshake(client: ApiClient, session_id: str, fragment: str) -> grpc.RpcError:
    """A command that must never reach the application: the connection itself fails.

    The server refusing the client's certificate shows as a closed socket ("failed to connect"); the
    client refusing the server's as a failed certificate verification.
    """
    try:
        with pytest.raises(grpc.RpcError) as info:
            client.command("CheckIn", session_id, venue_id="V01")
        assert info.value.code() is grpc.StatusCode.UNAVAILABLE, info.value.details()
        assert fragment in (info.value.details() or "")
        with pytest.raises(grpc.RpcError) as again:
            client.diagnostics.Ping(diagnostics_service_pb2.PingRequest(payload=b"x"), timeout=5)
        assert again.value.code() is grpc.StatusCode.UNAVAILABLE
        return info.value
    finally:
        client.close()


def test_a_certificate_from_a_foreign_ca_is_refused_at_the_handshake(server: RunningServer) -> None:
    before = last_sequence(server)
    foreign_ca, foreign_key = create_ca("rogue CA", 30)
    # Same subject as a real committee member: only the issuer differs.
    cert, key = issue_person_certificate(foreign_ca, foreign_key, "E01", "E01", Role.EXPERT, 30)
    client = connect(server, cert_to_pem(cert), key_to_plain_pem(key), device="E01-rogue")
    refused_at_handshake(client, server.session_id, "failed to connect")
    assert last_sequence(server) == before
    # The member's real credential on the same device id still starts at sequence 1: nothing was recorded.
    real = platform_client(server, "E01", Role.EXPERT, device="E01-rogue")
    try:
        assert real.command("CheckIn", server.session_id, venue_id="V01").outcome.last_sequence == before + 1
    finally:
        real.close()


def test_an_expired_certificate_is_refused(server: RunningServer) -> None:
    before = last_sequence(server)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    cert, key = server.pki.directory.issue("E02", "E02", Role.EXPERT, PASSPHRASE, 30, now=long_ago)
    assert cert.not_valid_after_utc < datetime.now(UTC) - timedelta(days=300)
    client = connect(server, cert_to_pem(cert), key_to_plain_pem(key), device="E02-expired")
    refused_at_handshake(client, server.session_id, "failed to connect")
    assert last_sequence(server) == before


def test_a_client_that_trusts_another_ca_refuses_the_server(server: RunningServer) -> None:
    before = last_sequence(server)
    other_ca, _other_key = create_ca("another platform", 30)
    cert_pem, key_pem = server.pki.person("E03", Role.EXPERT)
    client = connect(server, cert_pem, key_pem, ca_pem=cert_to_pem(other_ca), device="E03-wrong-ca")
    refused_at_handshake(client, server.session_id, "CERTIFICATE_VERIFY_FAILED")
    assert last_sequence(server) == before
    # Nothing reached the server: the same device's sequence 1 is still free.
    real = platform_client(server, "E03", Role.EXPERT, device="E03-wrong-ca")
    try:
        assert real.command("CheckIn", server.session_id, venue_id="V01").outcome.last_sequence == before + 1
    finally:
        real.close()


def test_a_revoked_certificate_is_refused_from_the_next_call(server: RunningServer) -> None:
    cert, key = server.pki.directory.issue("E04", "E04", Role.EXPERT, PASSPHRASE, 30)
    victim = connect(server, cert_to_pem(cert), key_to_plain_pem(key), device="E04-lost-token")
    operator = platform_client(server, "OP01", Role.OPERATOR)
    try:
        victim.command("CheckIn", server.session_id, venue_id="V02")
        serial = str(cert.serial_number)

        for reason, fragment in (("", "a reason is required"), ("   ", "a reason is required")):
            with pytest.raises(grpc.RpcError) as no_reason:
                operator.admin.RevokeCredential(
                    admin_service_pb2.RevokeCredentialRequest(serial=serial, reason=reason), timeout=5
                )
            assert no_reason.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert fragment in (no_reason.value.details() or "")
        with pytest.raises(grpc.RpcError) as bad_serial:
            operator.admin.RevokeCredential(
                admin_service_pb2.RevokeCredentialRequest(serial="0x1F", reason="U盾遗失"), timeout=5
            )
        assert bad_serial.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "serial '0x1F' must be a decimal certificate serial number" in (
            bad_serial.value.details() or ""
        )
        # The refused revocations changed nothing: the victim still works.
        view = victim.evaluation.GetSession(ev.GetSessionRequest(session_id=server.session_id), timeout=5)
        before = view.session.last_sequence

        answer = operator.admin.RevokeCredential(
            admin_service_pb2.RevokeCredentialRequest(serial=serial, reason="U盾遗失 (token lost)"), timeout=5
        )
        assert answer.revoked_serial == serial
        calls: list[Callable[[], object]] = [
            lambda: victim.evaluation.GetSession(
                ev.GetSessionRequest(session_id=server.session_id), timeout=5
            ),
            lambda: victim.command("AcceptPledge", server.session_id),
            lambda: victim.diagnostics.GetServerInfo(
                diagnostics_service_pb2.GetServerInfoRequest(), timeout=5
            ),
        ]
        for call in calls:
            with pytest.raises(grpc.RpcError) as revoked:
                call()
            assert revoked.value.code() is grpc.StatusCode.UNAUTHENTICATED
            assert f"certificate {serial} of E04 has been revoked" in (revoked.value.details() or "")
        assert last_sequence(server) == before
        # Revocations are stored: a restart keeps refusing; the person's other certificate is unaffected.
        server.app.reload()
        with pytest.raises(grpc.RpcError) as after_restart:
            victim.diagnostics.GetServerInfo(diagnostics_service_pb2.GetServerInfoRequest(), timeout=5)
        assert after_restart.value.code() is grpc.StatusCode.UNAUTHENTICATED
        replacement = platform_client(server, "E04", Role.EXPERT, device="E04-new-token")
        try:
            info = replacement.diagnostics.GetServerInfo(
                diagnostics_service_pb2.GetServerInfoRequest(), timeout=5
            )
            assert info.caller_id == "E04"
        finally:
            replacement.close()
    finally:
        victim.close()
        operator.close()


def test_health_answers_serving_over_mtls(server: RunningServer) -> None:
    client = platform_client(server, "E05", Role.EXPERT)
    try:
        health = health_pb2_grpc.HealthStub(client.channel)
        for service in ("", *SERVICE_NAMES):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING, service
        with pytest.raises(grpc.RpcError) as unknown:
            health.Check(health_pb2.HealthCheckRequest(service="bideval.v1.NoSuchService"), timeout=5)
        assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
    finally:
        client.close()


def test_reflection_lists_the_bideval_services(server: RunningServer) -> None:
    client = platform_client(server, "S01", Role.SUPERVISOR)
    try:
        stub = reflection_pb2_grpc.ServerReflectionStub(client.channel)
        responses = list(
            stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
            )
        )
        assert len(responses) == 1
        listed = {service.name for service in responses[0].list_services_response.service}
        assert listed >= BIDEVAL_SERVICES
        assert set(SERVICE_NAMES) == BIDEVAL_SERVICES
        assert "grpc.health.v1.Health" in listed
    finally:
        client.close()


@pytest.mark.parametrize(
    ("person", "role", "proto_role"),
    [
        ("E01", Role.EXPERT, common_pb2.ROLE_EXPERT),
        ("S01", Role.SUPERVISOR, common_pb2.ROLE_SUPERVISOR),
        ("OP01", Role.OPERATOR, common_pb2.ROLE_OPERATOR),
    ],
)
def test_server_info_reports_the_caller_from_the_certificate(
    server: RunningServer, person: str, role: Role, proto_role: int
) -> None:
    client = platform_client(server, person, role)
    try:
        info = client.diagnostics.GetServerInfo(diagnostics_service_pb2.GetServerInfoRequest(), timeout=5)
        assert (info.caller_id, info.caller_role, info.caller_name) == (person, proto_role, person)
        assert info.server_version == __version__
    finally:
        client.close()


def test_server_info_shows_the_display_name_in_chinese(server: RunningServer) -> None:
    cert, key = server.pki.directory.issue("E05", "王建国", Role.EXPERT, PASSPHRASE, 30)
    client = connect(server, cert_to_pem(cert), key_to_plain_pem(key))
    try:
        info = client.diagnostics.GetServerInfo(diagnostics_service_pb2.GetServerInfoRequest(), timeout=5)
        assert (info.caller_id, info.caller_name, info.caller_role) == (
            "E05",
            "王建国",
            common_pb2.ROLE_EXPERT,
        )
    finally:
        client.close()


def test_revocation_ends_an_open_event_stream(server: RunningServer) -> None:
    """A revoked credential must not keep receiving the session's events on a stream opened before."""
    cert, key = server.pki.directory.issue("E05", "E05", Role.EXPERT, PASSPHRASE, 30)
    victim = connect(server, cert_to_pem(cert), key_to_plain_pem(key), device="E05-stolen-pc")
    operator = platform_client(server, "OP01", Role.OPERATOR)
    supervisor = platform_client(server, "S01", Role.SUPERVISOR, device="S01-console")
    try:
        victim.command("CheckIn", server.session_id, venue_id="V02")
        last = last_sequence(server)
        stream = victim.evaluation.SubscribeEvents(
            ev.SubscribeEventsRequest(session_id=server.session_id, after_sequence=last - 1), timeout=20
        )
        assert next(stream).event.kind == "MemberCheckedIn"  # the stream is open and live
        operator.admin.RevokeCredential(
            admin_service_pb2.RevokeCredentialRequest(
                serial=str(cert.serial_number), reason="评标室电脑失窃"
            ),
            timeout=5,
        )
        supervisor.command("PauseSession", server.session_id, reason="核查身份")
        with pytest.raises(grpc.RpcError) as ended:
            next(stream)
        assert ended.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert "revoked" in (ended.value.details() or "")
    finally:
        for client in (victim, operator, supervisor):
            client.close()
