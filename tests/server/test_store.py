"""The event store on SQLite and on PostgreSQL: atomic commits, all-or-nothing import, idempotency records."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bideval.domain.errors import Conflict, NotFound
from server.packages.manifest import LoadedPackage
from server.storage.store import OperationRecord, Store, StoredEvent

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _files(package: LoadedPackage, session_id: str) -> dict[str, object]:
    setup = next(s for s in package.setups if s.session_id == session_id)
    return {d.id: package.files[(session_id, d.id)] for d in setup.documents}


def _import(store: Store, package: LoadedPackage) -> str:
    setup = package.setups[0]
    store.import_sessions([(setup, _files(package, setup.session_id))], NOW)  # type: ignore[list-item]
    return setup.session_id


def _event(session_id: str, sequence: int) -> StoredEvent:
    return StoredEvent(session_id, sequence, "MemberCheckedIn", "E01", NOW, {"n": sequence, "text": "签到"})


def _operation(session_id: str, operation_id: str, sequence: int) -> OperationRecord:
    return OperationRecord(
        device_key="E01/dev",
        operation_id=operation_id,
        client_sequence=sequence,
        session_id=session_id,
        method="bideval.v1.CheckInRequest",
        request_digest=bytes(32),
        outcome={"ok": {"first_sequence": sequence}},
        client_time=NOW,
        received_at=NOW,
    )


def test_import_stores_setup_exactly_and_documents(store: Store, demo_package: LoadedPackage) -> None:
    session_id = _import(store, demo_package)
    [(setup, created_at, events)] = store.load_sessions()
    assert setup == demo_package.setups[0]
    assert created_at == NOW
    assert events == []
    documents = store.documents(session_id)
    assert {d.document_id for d in documents} == {d.id for d in setup.documents}
    for stored in documents:
        expected = next(d for d in setup.documents if d.id == stored.document_id)
        assert stored.sha256 == expected.sha256
        assert stored.path.read_bytes()[:5] == b"%PDF-"


def test_import_is_all_or_nothing(store: Store, demo_package: LoadedPackage) -> None:
    setup = demo_package.setups[0]
    twin = dataclasses.replace(setup, session_id="second")
    files = _files(demo_package, setup.session_id)
    # The batch holds a new session and then a duplicate: neither may be stored.
    with pytest.raises(Conflict, match="already exists"):
        store.import_sessions([(twin, files), (twin, files)], NOW)  # type: ignore[list-item]
    assert store.load_sessions() == []


def test_commit_appends_events_with_operation_atomically(store: Store, demo_package: LoadedPackage) -> None:
    session_id = _import(store, demo_package)
    store.commit([_event(session_id, 1), _event(session_id, 2)], _operation(session_id, "op-1", 1))
    assert [e.sequence for e in store.events_after(session_id, 0)] == [1, 2]
    assert store.events_after(session_id, 1)[0].payload == {"n": 2, "text": "签到"}
    record = store.find_operation("E01/dev", "op-1")
    assert record is not None
    assert record.outcome == {"ok": {"first_sequence": 1}}
    assert record.client_time == NOW
    assert store.device_positions() == {"E01/dev": (1, b"")}


def test_a_failed_commit_stores_nothing(store: Store, demo_package: LoadedPackage) -> None:
    session_id = _import(store, demo_package)
    store.commit([_event(session_id, 1)], _operation(session_id, "op-1", 1))
    # Sequence 1 is taken: the new event 2 and the operation record of this batch must not survive.
    with pytest.raises(Conflict):
        store.commit([_event(session_id, 2), _event(session_id, 1)], _operation(session_id, "op-2", 2))
    assert [e.sequence for e in store.events_after(session_id, 0)] == [1]
    assert store.find_operation("E01/dev", "op-2") is None
    # The same device sequence number twice is refused as well.
    with pytest.raises(Conflict):
        store.commit([_event(session_id, 2)], _operation(session_id, "op-3", 1))
    assert [e.sequence for e in store.events_after(session_id, 0)] == [1]


def test_unknown_document_and_revocations(store: Store, demo_package: LoadedPackage) -> None:
    session_id = _import(store, demo_package)
    with pytest.raises(NotFound):
        store.document(session_id, "no-such-document")
    store.revoke("1234", "lost USB key", "OP01", NOW)
    store.revoke("1234", "again", "OP01", NOW)
    assert store.revoked_serials() == frozenset({"1234"})


def test_reopening_runs_migrations_idempotently(database_url: str, tmp_path: object) -> None:
    from pathlib import Path

    blobs = Path(str(tmp_path)) / "blobs"
    Store.open(database_url, blobs).close()
    reopened = Store.open(database_url, blobs)
    assert reopened.load_sessions() == []
    reopened.close()
