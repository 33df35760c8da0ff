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

from bideval.audit.entries import TreeHead, canonical_json
from bideval.domain.codec import from_jsonable, to_jsonable
from bideval.domain.errors import Conflict, NotFound
from bideval.domain.setup import SessionSetup
from server.storage.database import make_engine, migrate
from server.storage.schema import (
    AuditEntryRow,
    Base,
    CertificateRow,
    CosignatureRow,
    DocumentRow,
    EventRow,
    OperationRow,
    RevocationRow,
    SessionRow,
    TreeHeadRow,
)


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
    envelope_sha256: bytes = b""  # the device's signature chain continues from here


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
    # The audit log hashes event rows as stored: one canonical form for both (bideval.audit.entries).
    return canonical_json(data).decode("utf-8")


_EVENTS_TABLE = Base.metadata.tables[EventRow.__tablename__]
_OPERATIONS_TABLE = Base.metadata.tables[OperationRow.__tablename__]
_AUDIT_TABLE = Base.metadata.tables[AuditEntryRow.__tablename__]
_HEADS_TABLE = Base.metadata.tables[TreeHeadRow.__tablename__]
_CERTIFICATES_TABLE = Base.metadata.tables[CertificateRow.__tablename__]
_COSIGNATURES_TABLE = Base.metadata.tables[CosignatureRow.__tablename__]
# The order rows are written in one commit (certificates before the cosignatures that reference them).
_WRITE_ORDER = (
    _EVENTS_TABLE,
    _OPERATIONS_TABLE,
    _CERTIFICATES_TABLE,
    _AUDIT_TABLE,
    _HEADS_TABLE,
    _COSIGNATURES_TABLE,
)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Audit rows that commit with the change they vouch for: the entry, the head covering it, any
    certificate seen for the first time, and a supervisor's co-signature."""

    leaf_index: int
    leaf: bytes
    tree_head: TreeHead
    certificates: tuple[tuple[str, bytes, str], ...] = ()  # (sha256 hex, DER, person id)
    cosignature: tuple[int, str, bytes, str] | None = None  # (tree size, certificate sha256, signature, alg)

    def rows(self) -> dict[Table, list[dict[str, Any]]]:
        head = self.tree_head
        rows: dict[Table, list[dict[str, Any]]] = {
            _CERTIFICATES_TABLE: [
                {"sha256": sha, "der": der, "person_id": person} for sha, der, person in self.certificates
            ],
            _AUDIT_TABLE: [{"leaf_index": self.leaf_index, "leaf": self.leaf}],
            _HEADS_TABLE: [
                {
                    "tree_size": head.tree_size,
                    "root_hash": head.root_hash,
                    "timestamp": head.timestamp,
                    "signature": head.signature,
                    "algorithm": head.algorithm,
                }
            ],
        }
        if self.cosignature is not None:
            size, certificate_sha256, signature, algorithm = self.cosignature
            rows[_COSIGNATURES_TABLE] = [
                {
                    "tree_size": size,
                    "certificate_sha256": certificate_sha256,
                    "signature": signature,
                    "algorithm": algorithm,
                }
            ]
        return rows


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
        self._inserts = {table: _CompiledInsert(table, engine.dialect) for table in _WRITE_ORDER}

    def insert(self, batches: Mapping[Table, list[dict[str, Any]]]) -> None:
        connection = self._dbapi_connection
        try:
            cursor = connection.cursor()
            try:
                for table in _WRITE_ORDER:
                    rows = batches.get(table)
                    if rows:
                        compiled = self._inserts[table]
                        cursor.executemany(compiled.sql, [compiled.parameters(row) for row in rows])
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
        self,
        setups: Sequence[tuple[SessionSetup, Mapping[str, Path]]],
        now: datetime,
        audits: Sequence[AuditRecord] = (),
    ) -> None:
        """Store sessions with their documents and the audit entries vouching for them, all or nothing.

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
            db.flush()
            for audit in audits:
                _write_audit(db, audit)

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

    def commit(
        self,
        events: Sequence[StoredEvent],
        operation: OperationRecord | None,
        audit: AuditRecord | None = None,
    ) -> None:
        """Append events, the operation's first answer and the audit rows in one transaction.

        The primary key (session_id, sequence) makes a second writer with a stale sequence fail instead of
        interleaving; the unique constraints on operations do the same for a device's numbering and
        operation ids, and the audit tables' keys for the log's positions. Plain inserts of prepared rows:
        the ORM's unit of work cost more than the fsync.
        """
        batches: dict[Table, list[dict[str, Any]]] = {
            _EVENTS_TABLE: [
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
        }
        if operation is not None:
            batches[_OPERATIONS_TABLE] = [
                {
                    "device_key": operation.device_key,
                    "operation_id": operation.operation_id,
                    "client_sequence": operation.client_sequence,
                    "session_id": operation.session_id,
                    "method": operation.method,
                    "request_digest": operation.request_digest,
                    "outcome_json": _dumps(operation.outcome),
                    "client_time": operation.client_time,
                    "received_at": operation.received_at,
                    "envelope_sha256": operation.envelope_sha256,
                }
            ]
        if audit is not None:
            batches.update(audit.rows())
        try:
            if self._sqlite:
                with self._writer_lock:
                    if self._writer is None:
                        self._writer = _SqliteWriter(self._engine)
                    self._writer.insert(batches)
            else:
                with self._engine.connect() as connection, connection.begin():
                    for table in _WRITE_ORDER:
                        if batches.get(table):
                            connection.execute(insert(table), batches[table])
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
                envelope_sha256=row.envelope_sha256 or b"",
            )

    def device_positions(self) -> dict[str, tuple[int, bytes]]:
        """Each device's last client sequence number and the SHA-256 of its last signed envelope."""
        last = (
            select(OperationRow.device_key, func.max(OperationRow.client_sequence).label("sequence"))
            .group_by(OperationRow.device_key)
            .subquery()
        )
        query = select(
            OperationRow.device_key, OperationRow.client_sequence, OperationRow.envelope_sha256
        ).join(
            last,
            (OperationRow.device_key == last.c.device_key)
            & (OperationRow.client_sequence == last.c.sequence),
        )
        with self._engine.connect() as connection:
            return {
                device_key: (int(sequence), bytes(envelope or b""))
                for device_key, sequence, envelope in connection.execute(query)
            }

    # -- audit log ------------------------------------------------------------------------------------

    def audit_leaves(self, start: int = 0, stop: int | None = None) -> list[bytes]:
        query = (
            select(AuditEntryRow.leaf)
            .where(AuditEntryRow.leaf_index >= start)
            .order_by(AuditEntryRow.leaf_index)
        )
        if stop is not None:
            query = query.where(AuditEntryRow.leaf_index < stop)
        with self._engine.connect() as connection:
            return [bytes(leaf) for (leaf,) in connection.execute(query)]

    def audit_leaf(self, index: int) -> bytes:
        with self._engine.connect() as connection:
            leaf = connection.execute(
                select(AuditEntryRow.leaf).where(AuditEntryRow.leaf_index == index)
            ).scalar()
        if leaf is None:
            raise NotFound(f"audit entry {index} does not exist")
        return bytes(leaf)

    def tree_heads(self, sizes: Iterable[int] | None = None) -> list[TreeHead]:
        query = select(TreeHeadRow).order_by(TreeHeadRow.tree_size)
        if sizes is not None:
            query = query.where(TreeHeadRow.tree_size.in_(list(sizes)))
        with DbSession(self._engine) as db:
            return [
                TreeHead(
                    row.tree_size,
                    bytes(row.root_hash),
                    _utc(row.timestamp),
                    bytes(row.signature),
                    row.algorithm,
                )
                for row in db.scalars(query)
            ]

    def latest_tree_head(self) -> TreeHead | None:
        with DbSession(self._engine) as db:
            row = db.scalars(select(TreeHeadRow).order_by(TreeHeadRow.tree_size.desc()).limit(1)).first()
            if row is None:
                return None
            return TreeHead(
                row.tree_size, bytes(row.root_hash), _utc(row.timestamp), bytes(row.signature), row.algorithm
            )

    def certificates(self) -> dict[str, bytes]:
        """SHA-256 (hex) of DER -> DER of every certificate that signed something in the log."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(CertificateRow.sha256, CertificateRow.der))
            return {sha: bytes(der) for sha, der in rows}

    def cosignatures(self) -> list[tuple[int, str, bytes, str]]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(
                    CosignatureRow.tree_size,
                    CosignatureRow.certificate_sha256,
                    CosignatureRow.signature,
                    CosignatureRow.algorithm,
                ).order_by(CosignatureRow.id)
            )
            return [(int(size), sha, bytes(signature), algorithm) for size, sha, signature, algorithm in rows]

    def session_rows(self) -> dict[str, str]:
        """session id -> setup JSON exactly as stored (what the log's import entries vouch for)."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(SessionRow.session_id, SessionRow.setup_json))
            return {session_id: setup_json for session_id, setup_json in rows}

    def event_rows(self, session_id: str) -> list[tuple[int, str, str, datetime, str]]:
        """(sequence, kind, actor, time, payload JSON) exactly as stored, for verification."""
        query = (
            select(
                EventRow.sequence,
                EventRow.kind,
                EventRow.actor_id,
                EventRow.occurred_at,
                EventRow.payload_json,
            )
            .where(EventRow.session_id == session_id)
            .order_by(EventRow.sequence)
        )
        with self._engine.connect() as connection:
            return [
                (int(sequence), kind, actor, _utc(at), payload)
                for sequence, kind, actor, at, payload in connection.execute(query)
            ]

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

    def revoke(
        self, serial: str, reason: str, revoked_by: str, now: datetime, audit: AuditRecord | None = None
    ) -> None:
        with DbSession(self._engine) as db, db.begin():
            if db.get(RevocationRow, serial) is None:
                db.add(RevocationRow(serial=serial, reason=reason, revoked_by=revoked_by, revoked_at=now))
                db.flush()
            if audit is not None:
                _write_audit(db, audit)

    def count_cosignatures(self, tree_size: int) -> int:
        with self._engine.connect() as connection:
            query = (
                select(func.count()).select_from(CosignatureRow).where(CosignatureRow.tree_size == tree_size)
            )
            return int(connection.execute(query).scalar() or 0)

    def revoked_serials(self) -> frozenset[str]:
        with DbSession(self._engine) as db:
            return frozenset(db.scalars(select(RevocationRow.serial)).all())


def _write_audit(db: DbSession, audit: AuditRecord) -> None:
    rows = audit.rows()
    for table in _WRITE_ORDER:
        if rows.get(table):
            db.execute(insert(table), rows[table])
