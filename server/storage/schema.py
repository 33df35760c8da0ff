"""The database schema. Alembic migrations in ``migrations/versions`` create exactly these tables.

The event table is the source of truth for every session: the in-memory workflow state is rebuilt by
replaying it, so a crash can only lose what was never acknowledged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    """One evaluation session (one lot): its immutable setup as imported."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_name: Mapped[str] = mapped_column(String(400))
    lot_name: Mapped[str] = mapped_column(String(400))
    setup_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventRow(Base):
    """One domain event of a session, numbered 1, 2, 3, ... without gaps."""

    __tablename__ = "events"

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.session_id"), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(80))
    actor_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload_json: Mapped[str] = mapped_column(Text)


class OperationRow(Base):
    """The first answer to a client operation, so that a retry gets the same answer."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("device_key", "operation_id", name="uq_operations_device_operation"),
        UniqueConstraint("device_key", "client_sequence", name="uq_operations_device_sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_key: Mapped[str] = mapped_column(String(200), index=True)
    operation_id: Mapped[str] = mapped_column(String(64))
    client_sequence: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(120))
    request_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    outcome_json: Mapped[str] = mapped_column(Text)
    client_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    envelope_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)


class DocumentRow(Base):
    """A session document; the bytes live content-addressed in the data directory's blob store."""

    __tablename__ = "documents"

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.session_id"), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)


class RevocationRow(Base):
    """A revoked certificate; the server refuses it on every call from then on."""

    __tablename__ = "revocations"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    revoked_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntryRow(Base):
    """One audit log entry: the canonical bytes that are the Merkle leaf (bideval.audit.entries.Entry)."""

    __tablename__ = "audit_entries"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)


class TreeHeadRow(Base):
    """A tree head signed by the log key after the append that made the tree this size."""

    __tablename__ = "tree_heads"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    algorithm: Mapped[str] = mapped_column(String(40))


class CosignatureRow(Base):
    """A supervisor's signature over a tree head their client checked (witnessing)."""

    __tablename__ = "cosignatures"
    __table_args__ = (
        UniqueConstraint("tree_size", "certificate_sha256", name="uq_cosignatures_head_signer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(ForeignKey("tree_heads.tree_size"))
    certificate_sha256: Mapped[str] = mapped_column(ForeignKey("certificates.sha256"))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    algorithm: Mapped[str] = mapped_column(String(40))


class CertificateRow(Base):
    """Every certificate that signed something in the log (people and the log key), for offline checks."""

    __tablename__ = "certificates"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    person_id: Mapped[str] = mapped_column(String(64))
