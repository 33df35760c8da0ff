"""The event store: sessions, their events, the first answers to client operations, documents, revocations.

Every acknowledged write is one database transaction: the session's new events and the operation record
that lets a retry find its first answer commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Dialect, Engine, Table, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session as DbSession

from bideval.domain.codec import from_jsonable, to_jsonable
from bideval.domain.errors import Conflict, NotFound
from bideval.domain.setup import SessionSetup
from server.storage.database import make_engine, migrate
from server.storage.schema import Base, DocumentRow, EventRow, OperationRow, RevocationRow, SessionRow


@dataclass(frozen=True, slots=True)
class StoredEvent:
    session_id: str
    sequence: int
    kind: str
    actor_id: str
    occurred_at: datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OperationRecord:
    device_key: str
    operation_id: str
    client_sequence: int
    session_id: str
    method: str
    request_digest: bytes
    outcome: Mapping[str, Any]
    client_time: datetime | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDocument:
    session_id: str
    document_id: str
    sha256: str
    size: int
    path: Path


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_EVENTS_TABLE = Base.metadata.tables[EventRow.__tablename__]
_OPERATIONS_TABLE = Base.metadata.tables[OperationRow.__tablename__]
_INSERT_EVENTS = insert(_EVENTS_TABLE)
_INSERT_OPERATION = insert(_OPERATIONS_TABLE)


class _CompiledInsert:
    """An INSERT of every column (but an autoincrement key) compiled once by SQLAlchemy for the dialect,
    with the columns' own bind conversions (e.g. datetimes as SQLite stores them)."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        keys = [column.key for column in table.columns if column.autoincrement is not True]
        compiled = insert(table).compile(dialect=dialect, column_keys=keys)
        self.sql = str(compiled)
        names = compiled.positiontup or []
        self._converters = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        ]

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[name] if convert is None else convert(row[name]) for name, convert in self._converters
        )


class _SqliteWriter:
    """The one connection that commits on SQLite: the compiled inserts run on its DBAPI connection.

    SQLite has one writer anyway. Keeping its connection saves a pool checkout and reset per command, and
    running the inserts directly saves SQLAlchemy's per-statement execution machinery, which cost about
    half an fsync per command (bench/ingest.py). The connection comes from the engine's pool, so it has
    the same pragmas as every other: WAL, and synchronous=FULL (the commit fsyncs the WAL).
    """

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.connect()
        dbapi_connection = self._connection.connection.driver_connection
        assert dbapi_connection is not None
        self._dbapi_connection: Any = dbapi_connection
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._events = _CompiledInsert(_EVENTS_TABLE, engine.dialect)
        self._operation = _CompiledInsert(_OPERATIONS_TABLE, engine.dialect)

    def insert(self, event_rows: list[dict[str, Any]], operation_row: dict[str, Any] | None) -> None:
        connection = self._dbapi_connection
        try:
            cursor = connection.cursor()
            try:
                if event_rows:
                    cursor.executemany(self._events.sql, [self._events.parameters(r) for r in event_rows])
                if operation_row is not None:
                    cursor.execute(self._operation.sql, self._operation.parameters(operation_row))
            finally:
                cursor.close()
            connection.commit()
        except BaseException as error:
            connection.rollback()
            if isinstance(error, self._dbapi_error):
                # Raised as SQLAlchemy would (IntegrityError, OperationalError, ...), like every other path.
                raise DBAPIError.instance(None, None, error, self._dbapi_error) from error
            raise

    def close(self) -> None:
        self._connection.close()


class Store:
    """Persistence for the evaluation server. Thread-safe: each read uses its own database session, and
    ``commit`` (the hot path: one call per acknowledged command) serialises on the writer."""

    def __init__(self, engine: Engine, blob_dir: Path) -> None:
        self._engine = engine
        self._blob_dir = blob_dir
        blob_dir.mkdir(parents=True, exist_ok=True)
        # SQLite commits through one kept writer (opened on first use); a networked database keeps the
        # pool per commit, whose pre-ping survives a restarted database server.
        self._writer_lock = threading.Lock()
        self._writer: _SqliteWriter | None = None
        self._sqlite = engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str, blob_dir: Path) -> Store:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine, blob_dir)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        with self._writer_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self._engine.dispose()

    # -- sessions -------------------------------------------------------------------------------------

    def import_sessions(
        self, setups: Sequence[tuple[SessionSetup, Mapping[str, Path]]], now: datetime
    ) -> None:
        """Store sessions with their documents, all or nothing.

        Blobs are content-addressed and written first: a failed import leaves at most unreferenced files,
        never a half-imported session.
        """
        blob_paths: list[tuple[str, str, str, int]] = []
        for setup, files in setups:
            for document in setup.documents:
                source = files[document.id]
                digest, size = self._put_blob(source)
                if digest != document.sha256:
                    raise Conflict(f"document {document.id} changed while importing (sha256 {digest})")
                blob_paths.append((setup.session_id, document.id, digest, size))
        with DbSession(self._engine) as db, db.begin():
            for setup, _files in setups:
                if db.get(SessionRow, setup.session_id) is not None:
                    raise Conflict(f"session {setup.session_id} already exists; import refused")
                db.add(
                    SessionRow(
                        session_id=setup.session_id,
                        project_name=setup.project.name,
                        lot_name=setup.project.lot_name,
                        setup_json=_dumps(to_jsonable(setup)),
                        created_at=now,
                    )
                )
            db.flush()
            for session_id, document_id, digest, size in blob_paths:
                db.add(DocumentRow(session_id=session_id, document_id=document_id, sha256=digest, size=size))

    def load_sessions(self) -> list[tuple[SessionSetup, datetime, list[StoredEvent]]]:
        with DbSession(self._engine) as db:
            rows = db.scalars(select(SessionRow).order_by(SessionRow.created_at, SessionRow.session_id)).all()
            loaded = []
            for row in rows:
                setup = from_jsonable(SessionSetup, json.loads(row.setup_json))
                loaded.append((setup, _utc(row.created_at), self.events_after(row.session_id, 0, db=db)))
            return loaded

    def events_after(
        self, session_id: str, after_sequence: int, limit: int | None = None, db: DbSession | None = None
    ) -> list[StoredEvent]:
        query = (
            select(EventRow)
            .where(EventRow.session_id == session_id, EventRow.sequence > after_sequence)
            .order_by(EventRow.sequence)
        )
        if limit is not None:
            query = query.limit(limit)
        if db is None:
            with DbSession(self._engine) as own:
                return [self._event(row) for row in own.scalars(query)]
        return [self._event(row) for row in db.scalars(query)]

    @staticmethod
    def _event(row: EventRow) -> StoredEvent:
        return StoredEvent(
            session_id=row.session_id,
            sequence=row.sequence,
            kind=row.kind,
            actor_id=row.actor_id,
            occurred_at=_utc(row.occurred_at),
            payload=json.loads(row.payload_json),
        )

    # -- writes ---------------------------------------------------------------------------------------

    def commit(self, events: Sequence[StoredEvent], operation: OperationRecord | None) -> None:
        """Append events and record the operation's first answer in one transaction.

        The primary key (session_id, sequence) makes a second writer with a stale sequence fail instead of
        interleaving; the unique constraints on operations do the same for a device's numbering and
        operation ids. Plain inserts of prepared rows: the ORM's unit of work cost more than the fsync.
        """
        event_rows = [
            {
                "session_id": event.session_id,
                "sequence": event.sequence,
                "kind": event.kind,
                "actor_id": event.actor_id,
                "occurred_at": event.occurred_at,
                "payload_json": _dumps(event.payload),
            }
            for event in events
        ]
        operation_row = (
            None
            if operation is None
            else {
                "device_key": operation.device_key,
                "operation_id": operation.operation_id,
                "client_sequence": operation.client_sequence,
                "session_id": operation.session_id,
                "method": operation.method,
                "request_digest": operation.request_digest,
                "outcome_json": _dumps(operation.outcome),
                "client_time": operation.client_time,
                "received_at": operation.received_at,
            }
        )
        try:
            if self._sqlite:
                with self._writer_lock:
                    if self._writer is None:
                        self._writer = _SqliteWriter(self._engine)
                    self._writer.insert(event_rows, operation_row)
            else:
                with self._engine.connect() as connection, connection.begin():
                    if event_rows:
                        connection.execute(_INSERT_EVENTS, event_rows)
                    if operation_row is not None:
                        connection.execute(_INSERT_OPERATION, operation_row)
        except IntegrityError as error:
            raise Conflict(f"concurrent write refused: {error.orig}") from error

    # -- operations -----------------------------------------------------------------------------------

    def find_operation(self, device_key: str, operation_id: str) -> OperationRecord | None:
        with DbSession(self._engine) as db:
            row = db.scalars(
                select(OperationRow).where(
                    OperationRow.device_key == device_key, OperationRow.operation_id == operation_id
                )
            ).first()
            if row is None:
                return None
            return OperationRecord(
                device_key=row.device_key,
                operation_id=row.operation_id,
                client_sequence=row.client_sequence,
                session_id=row.session_id,
                method=row.method,
                request_digest=row.request_digest,
                outcome=json.loads(row.outcome_json),
                client_time=_utc(row.client_time) if row.client_time else None,
                received_at=_utc(row.received_at),
            )

    def last_client_sequences(self) -> dict[str, int]:
        with DbSession(self._engine) as db:
            rows = db.execute(
                select(OperationRow.device_key, func.max(OperationRow.client_sequence)).group_by(
                    OperationRow.device_key
                )
            ).all()
            return {device_key: int(sequence) for device_key, sequence in rows}

    def operation_ids(self) -> list[tuple[str, str]]:
        """(device_key, operation_id) of every recorded operation."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(OperationRow.device_key, OperationRow.operation_id))
            return [(device_key, operation_id) for device_key, operation_id in rows]

    def count_operations(self) -> int:
        with DbSession(self._engine) as db:
            return int(db.scalar(select(func.count()).select_from(OperationRow)) or 0)

    # -- documents ------------------------------------------------------------------------------------

    def documents(self, session_id: str) -> list[StoredDocument]:
        with DbSession(self._engine) as db:
            rows = db.scalars(
                select(DocumentRow)
                .where(DocumentRow.session_id == session_id)
                .order_by(DocumentRow.document_id)
            ).all()
            return [self._document(row) for row in rows]

    def document(self, session_id: str, document_id: str) -> StoredDocument:
        with DbSession(self._engine) as db:
            row = db.get(DocumentRow, (session_id, document_id))
            if row is None:
                raise NotFound(f"document {document_id} not found in session {session_id}")
            return self._document(row)

    def _document(self, row: DocumentRow) -> StoredDocument:
        return StoredDocument(
            row.session_id, row.document_id, row.sha256, row.size, self._blob_path(row.sha256)
        )

    def _blob_path(self, digest: str) -> Path:
        return self._blob_dir / digest[:2] / digest

    def _put_blob(self, source: Path) -> tuple[str, int]:
        hasher = hashlib.sha256()
        size = 0
        self._blob_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._blob_dir, delete=False) as tmp, source.open("rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                hasher.update(chunk)
                size += len(chunk)
                tmp.write(chunk)
            tmp.flush()
            os.fsync(tmp.fileno())
        digest = hasher.hexdigest()
        target = self._blob_path(digest)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(tmp.name)
        else:
            shutil.move(tmp.name, target)
        return digest, size

    # -- revocations ----------------------------------------------------------------------------------

    def revoke(self, serial: str, reason: str, revoked_by: str, now: datetime) -> None:
        with DbSession(self._engine) as db, db.begin():
            if db.get(RevocationRow, serial) is None:
                db.add(RevocationRow(serial=serial, reason=reason, revoked_by=revoked_by, revoked_at=now))

    def revoked_serials(self) -> frozenset[str]:
        with DbSession(self._engine) as db:
            return frozenset(db.scalars(select(RevocationRow.serial)).all())

    def session_ids(self) -> Iterable[str]:
        with DbSession(self._engine) as db:
            return list(db.scalars(select(SessionRow.session_id)).all())
