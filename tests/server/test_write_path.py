"""The command write path: a new change skips the operation lookup, and stays exactly as safe.

``EvaluationApp.execute`` looks an operation id up in the database only when it may have a first answer:
for a sequence that is not the device's next one, or for an id it has seen (hashes in memory). Should an
id used again still slip through, the unique constraint at commit refuses it. These tests pin down that
the answers are the same as with a lookup for every command, and that neither the session state nor the
device's numbering is touched by a refused reuse.
"""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from cryptography import x509

from bideval.audit.envelope import SignedChange, seal, sha256
from bideval.domain.errors import Conflict, FailedPrecondition
from bideval.identity.pki import Identity, Role, identity_from_certificate
from bideval.v1 import common_pb2, evaluation_service_pb2
from server.application import CommandMeta, OutOfOrder
from server.rpc import convert
from server.storage.store import OperationRecord, Store
from tests.support import RunningServer

VENUES = {"E01": "V01", "E02": "V01", "E03": "V01", "E04": "V02", "E05": "V02"}


def _check_in(
    server: RunningServer, person_id: str, operation_id: str, sequence: int, venue: str | None = None
) -> evaluation_service_pb2.CheckInResponse:
    client = server.client(person_id)
    meta = common_pb2.CommandMeta(
        session_id=server.session_id, operation_id=operation_id, device_id="dev", client_sequence=sequence
    )
    request = evaluation_service_pb2.CheckInRequest(meta=meta, venue_id=venue or VENUES[person_id])
    # Signed onto the device's chain as the server holds it: these tests are about ids and numbers.
    seal(request, client.sequencer.signer, server.app._device_envelopes.get(f"{person_id}/dev", b""))
    response: evaluation_service_pb2.CheckInResponse = client.evaluation.CheckIn(request, timeout=10)
    return response


def _refused(code: grpc.StatusCode, send: object) -> str:
    assert callable(send)
    with pytest.raises(grpc.RpcError) as refusal:
        send()
    assert refusal.value.code() is code, refusal.value.details()
    return refusal.value.details() or ""


def _last_sequence(server: RunningServer) -> int:
    return server.app.runtime(server.session_id).last_sequence


def _checked_in(server: RunningServer, person_id: str) -> bool:
    checked_in_at = server.app.read(
        server.session_id, lambda runtime: runtime.state.members[person_id].checked_in_at
    )
    return checked_in_at is not None


def test_an_operation_id_reused_with_the_next_sequence_is_already_exists(server: RunningServer) -> None:
    first = _check_in(server, "E01", "op-1", 1)
    events = _last_sequence(server)
    # The retry (the same request) gets its first answer; the same id on a new request is refused although
    # its sequence is the next one, and the refusal neither stores anything nor uses up the sequence.
    assert _check_in(server, "E01", "op-1", 1) == first
    details = _refused(grpc.StatusCode.ALREADY_EXISTS, lambda: _check_in(server, "E01", "op-1", 2))
    assert "operation id op-1 was already used for a different request" in details
    assert _last_sequence(server) == events
    assert server.app.store.count_operations() == 1
    # Sequence 2 is still free for a new operation (refused by the domain: E01 is already checked in) ...
    again = _refused(grpc.StatusCode.FAILED_PRECONDITION, lambda: _check_in(server, "E01", "op-2", 2))
    assert server.app.store.count_operations() == 2
    # ... whose retry is the same refusal, and whose id on the next sequence is again a conflict.
    assert _refused(grpc.StatusCode.FAILED_PRECONDITION, lambda: _check_in(server, "E01", "op-2", 2)) == again
    _refused(grpc.StatusCode.ALREADY_EXISTS, lambda: _check_in(server, "E01", "op-2", 3))
    assert _last_sequence(server) == events
    assert server.app.store.count_operations() == 2


@pytest.mark.parametrize("seen", [True, False], ids=["id-seen", "id-caught-at-commit"])
def test_a_reused_id_on_an_accepted_change_leaves_the_state_as_stored(
    server: RunningServer, seen: bool
) -> None:
    # A refusal takes op-1 (the wrong venue); the valid check-in under the same id passes the domain. Caught
    # before the decision (the id is known), or, should the memory miss it, by the unique constraint at
    # commit: then the in-memory state already had E01 checked in and must be rebuilt.
    _refused(grpc.StatusCode.PERMISSION_DENIED, lambda: _check_in(server, "E01", "op-1", 1, venue="V02"))
    events = _last_sequence(server)
    if not seen:
        server.app._operation_hashes.clear()
    details = _refused(grpc.StatusCode.ALREADY_EXISTS, lambda: _check_in(server, "E01", "op-1", 2))
    assert "operation id op-1 was already used for a different request" in details
    assert not _checked_in(server, "E01")
    assert _last_sequence(server) == events
    response = _check_in(server, "E01", "op-2", 2)
    assert _checked_in(server, "E01")
    assert response.outcome.first_sequence == events + 1
    assert [e.sequence for e in server.app.store.events_after(server.session_id, 0)] == list(
        range(1, _last_sequence(server) + 1)
    )


def _certificate(server: RunningServer, person_id: str) -> x509.Certificate:
    cert_pem, _key = server.pki.person(person_id, Role.EXPERT)
    return x509.load_pem_x509_certificate(cert_pem)


def _identity(server: RunningServer, person_id: str) -> Identity:
    return identity_from_certificate(_certificate(server, person_id))


@pytest.mark.parametrize("seen", [True, False], ids=["id-seen", "id-caught-at-commit"])
def test_same_bytes_under_a_taken_id_replay_the_first_answer(server: RunningServer, seen: bool) -> None:
    """Called directly, request bytes need not hold the sequence: the same digest gets the first answer."""
    app = server.app
    caller = _identity(server, "E03")
    certificate = _certificate(server, "E03")
    request = evaluation_service_pb2.CheckInRequest(venue_id=VENUES["E03"])
    method = "bideval.v1.CheckInRequest"

    def meta(operation_id: str, sequence: int) -> CommandMeta:
        return CommandMeta(server.session_id, operation_id, "dev", sequence, None)

    def execute(operation_id: str, sequence: int, payload: bytes) -> object:
        # The envelope was checked by the servicer; here only its chain link and payload matter.
        previous = app._device_envelopes.get(f"{caller.person_id}/dev", b"")
        change = SignedChange(b"env" + payload, sha256(b"env" + payload), previous, payload, b"")
        return app.execute(
            caller,
            certificate,
            meta(operation_id, sequence),
            method,
            change,
            lambda: convert.check_in(request),
        )

    first = execute("op-a", 1, b"same")
    events = _last_sequence(server)
    if not seen:
        app._operation_hashes.clear()
    assert execute("op-a", 2, b"same") == first
    with pytest.raises(Conflict, match="already used for a different request"):
        execute("op-a", 2, b"other")
    assert _last_sequence(server) == events
    # Sequence 2 was used up by neither: a new operation takes it (refused: already checked in).
    with pytest.raises(FailedPrecondition):
        execute("op-b", 2, b"new")
    with pytest.raises(OutOfOrder, match="expected 3"):
        execute("op-c", 4, b"new")
    assert app.store.device_positions()[f"{caller.person_id}/dev"][0] == 2


def test_a_restart_continues_each_device_numbering(server: RunningServer) -> None:
    _check_in(server, "E04", "op-1", 1)
    server.app.reload()
    details = _refused(grpc.StatusCode.FAILED_PRECONDITION, lambda: _check_in(server, "E04", "op-2", 3))
    assert "expected 2" in details


def test_commits_on_the_writer_connection_are_durable_and_released(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def record(operation_id: str, sequence: int) -> OperationRecord:
        return OperationRecord("E01/dev", operation_id, sequence, "s", "m", bytes(32), {}, None, now)

    store = Store.open(url, tmp_path / "blobs")
    store.commit([], record("op-1", 1))
    store.commit([], record("op-2", 2))
    # Refused by the constraints (an operation id, a sequence number used again): rolled back, and the
    # writer goes on committing.
    with pytest.raises(Conflict, match="UNIQUE"):
        store.commit([], record("op-1", 3))
    with pytest.raises(Conflict, match="UNIQUE"):
        store.commit([], record("op-x", 2))
    store.commit([], record("op-3", 3))
    # The held writer is configured like every other connection: WAL, and an fsync per commit.
    writer = store._writer
    assert writer is not None
    assert writer._dbapi_connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert writer._dbapi_connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    # Another connection sees every commit while the writer is held, and nothing of the refused ones.
    other = Store.open(url, tmp_path / "blobs")
    assert other.device_positions() == {"E01/dev": (3, b"")}
    assert sorted(operation_id for _key, operation_id in other.operation_ids()) == ["op-1", "op-2", "op-3"]
    store.close()
    other.commit([], record("op-4", 4))
    other.close()
    reopened = Store.open(url, tmp_path / "blobs")
    assert reopened.count_operations() == 4
    reopened.close()
