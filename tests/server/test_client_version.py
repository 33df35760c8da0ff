"""Client version check: the client reports its version on every call; a server with a minimum refuses an
older or silent client with FAILED_PRECONDITION and a message staff can act on, audited like any denial."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from app.errors import describe
from app.services.connection import CLIENT_VERSION_HEADER
from bideval import __version__
from bideval.audit.entries import Entry, EntryKind
from bideval.identity.pki import Role
from bideval.v1 import diagnostics_service_pb2, diagnostics_service_pb2_grpc, evaluation_service_pb2
from server.application import EvaluationApp
from server.main import main as server_main
from server.packages.manifest import LoadedPackage
from server.rpc.auth import version_key, version_refusal
from server.rpc.server import create_server
from server.storage.store import Store
from tests.conftest import without_pledge_wait
from tests.support import Pki, RunningServer


@contextmanager
def server_requiring(
    store: Store, pki: Pki, package: LoadedPackage, minimum: str | None
) -> Iterator[RunningServer]:
    app = EvaluationApp(store, pki.log_signer())
    setup = without_pledge_wait(package.setups[0])
    app.import_sessions([(setup, {d.id: package.files[(setup.session_id, d.id)] for d in setup.documents})])
    grpc_server, port, _health = create_server(
        app, "127.0.0.1:0", pki.tls(), max_workers=8, min_client_version=minimum
    )
    running = RunningServer(f"127.0.0.1:{port}", app, pki, setup.session_id)
    try:
        yield running
    finally:
        running.close_clients()
        grpc_server.stop(grace=None).wait()


def raw_channel(server: RunningServer, person: str) -> grpc.Channel:
    """A channel without the client's interceptor: a client too old to send its version at all."""
    cert_pem, key_pem = server.pki.person(person, Role.EXPERT)
    credentials = grpc.ssl_channel_credentials(server.pki.directory.ca_path.read_bytes(), key_pem, cert_pem)
    return grpc.secure_channel(server.address, credentials)


def last_audit_entry(server: RunningServer) -> Entry:
    head = server.app.tree_head()
    assert head is not None
    return Entry.from_bytes(server.app.store.audit_leaf(head.tree_size - 1))


def test_an_older_client_is_refused_with_what_to_install(
    sqlite_store: Store, pki: Pki, demo_package: LoadedPackage
) -> None:
    with server_requiring(sqlite_store, pki, demo_package, "99.0") as server:
        client = server.client("E01")
        with pytest.raises(grpc.RpcError) as refused:
            client.evaluation.ListMySessions(evaluation_service_pb2.ListMySessionsRequest(), timeout=10)
        error = refused.value
        assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
        details = error.details() or ""
        assert f"客户端版本 {__version__} 低于服务器要求的最低版本 99.0" in details
        assert "install the new version" in details
        # The user reads the server's sentence itself, not "not allowed at this step".
        shown = describe(error)
        assert "请联系考场工作人员安装新版本" in shown
        assert "当前步骤" not in shown
        # Refused like any other denial: on the audit record, with the caller and the method.
        denied = last_audit_entry(server)
        assert denied.kind is EntryKind.DENIED
        assert denied.method.endswith("/ListMySessions")
        assert denied.error["kind"] == "FAILED_PRECONDITION"
        assert "99.0" in denied.error["message"]


def test_a_client_that_sends_no_version_is_refused(
    sqlite_store: Store, pki: Pki, demo_package: LoadedPackage
) -> None:
    with server_requiring(sqlite_store, pki, demo_package, __version__) as server:
        channel = raw_channel(server, "E02")
        try:
            stub = diagnostics_service_pb2_grpc.DiagnosticsServiceStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetServerInfo(diagnostics_service_pb2.GetServerInfoRequest(), timeout=10)
            assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
            assert "客户端未报告版本" in (refused.value.details() or "")
            # Health stays open to any TLS peer: load balancers and the installer's self-test use it.
            health = health_pb2_grpc.HealthStub(channel)
            answer = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            # Sending the header by hand is enough: the check reads the version, nothing else.
            info = stub.GetServerInfo(
                diagnostics_service_pb2.GetServerInfoRequest(),
                timeout=10,
                metadata=[(CLIENT_VERSION_HEADER, __version__)],
            )
            assert info.caller_name
        finally:
            channel.close()


def test_a_current_client_is_served(sqlite_store: Store, pki: Pki, demo_package: LoadedPackage) -> None:
    with server_requiring(sqlite_store, pki, demo_package, __version__) as server:
        client = server.client("E03")
        listed = client.evaluation.ListMySessions(evaluation_service_pb2.ListMySessionsRequest(), timeout=10)
        assert [s.session_id for s in listed.sessions] == [server.session_id]
        # Streams carry the header too (the interceptor covers every kind of call).
        documents = client.evaluation.ListDocuments(
            evaluation_service_pb2.ListDocumentsRequest(session_id=server.session_id), timeout=10
        ).documents
        chunks = client.evaluation.DownloadDocument(
            evaluation_service_pb2.DownloadDocumentRequest(
                session_id=server.session_id, document_id=documents[0].id
            ),
            timeout=10,
        )
        assert next(iter(chunks)).offset == 0
        chunks.cancel()


def test_without_a_minimum_old_clients_still_work(server: RunningServer) -> None:
    channel = raw_channel(server, "E04")
    try:
        stub = diagnostics_service_pb2_grpc.DiagnosticsServiceStub(channel)
        assert stub.GetServerInfo(diagnostics_service_pb2.GetServerInfoRequest(), timeout=10).caller_name
    finally:
        channel.close()


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0.1.0", "0.2.0"),
        ("0.9", "0.10"),
        ("1.0.dev1", "1.0a1"),
        ("1.0a1", "1.0b2"),
        ("1.0rc1", "1.0"),
        ("1.0", "1.0.post1"),
        ("1.0", "1.0.1"),
    ],
)
def test_versions_compare_in_release_order(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)
    assert version_refusal(older, newer) is not None
    assert version_refusal(newer, older) is None


def test_equal_versions_and_unreadable_ones() -> None:
    assert version_key("1.2") == version_key("1.2.0")
    assert version_refusal("1.2.0+local", "1.2") is None
    assert version_refusal("banana", "0.1.0") is not None  # a version we cannot read is not vouched for
    with pytest.raises(ValueError, match="not a version"):
        version_key("latest")


def test_the_server_refuses_to_start_with_an_unreadable_minimum(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        server_main(["--data-dir", str(tmp_path), "--min-client-version", "newest"])
    assert exited.value.code == 2
    assert "--min-client-version" in capsys.readouterr().err
