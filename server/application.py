"""The evaluation server's application layer: sessions in memory, signed commands made safe to retry,
events, and the audit log.

Knows nothing of gRPC. Each session's state is rebuilt at start-up by replaying its stored events. A signed
command (its envelope already verified at the edge) is checked against the device's order and signature
chain, decided by the pure domain, and its events, the operation's first answer and its audit entry (with
a newly signed tree head) are committed in one transaction; only then are subscribers woken. A failed
commit rebuilds the state and the audit tree from the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from bideval.audit.bundle import SETUP_SHA256_KEY
from bideval.audit.entries import (
    Entry,
    EntryKind,
    TreeHead,
    b64,
    canonical_json,
    event_digest,
    tree_head_bytes,
    unb64,
)
from bideval.audit.envelope import ChainBroken, SignedChange
from bideval.audit.merkle import leaf_hash
from bideval.audit.signing import SignatureError, Signer, certificate_der, verify_signature
from bideval.domain import workflow
from bideval.domain.codec import to_jsonable
from bideval.domain.commands import Actor, Command
from bideval.domain.commands import Role as DomainRole
from bideval.domain.errors import (
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from bideval.domain.events import event_from_dict, event_to_dict
from bideval.domain.setup import SessionSetup
from bideval.identity.pki import Identity, Role
from server.audit_log import AuditLog, Receipt
from server.rpc.errors import error_from_name
from server.storage.store import AuditRecord, OperationRecord, Store, StoredEvent

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ADMIN_TOOL = "bideval-admin"  # who made an admin change with no person's certificate (the data-dir owner)


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutOfOrder(FailedPrecondition):
    """A client sequence number that is not the next one expected for the device."""


@dataclass(frozen=True, slots=True)
class CommandMeta:
    session_id: str
    operation_id: str
    device_id: str
    client_sequence: int
    client_time: datetime | None


@dataclass(frozen=True, slots=True)
class Outcome:
    first_sequence: int
    last_sequence: int
    phase: str
    accepted_at: datetime
    created_id: str = ""
    receipt: Receipt | None = None

    def to_record(self) -> dict[str, Any]:
        ok: dict[str, Any] = {
            "first_sequence": self.first_sequence,
            "last_sequence": self.last_sequence,
            "phase": self.phase,
            "accepted_at": self.accepted_at.isoformat(),
            "created_id": self.created_id,
        }
        if self.receipt is not None:
            # A retry gets the very receipt of the first answer, so it is stored with it.
            head = self.receipt.tree_head
            ok["receipt"] = {
                "leaf_index": self.receipt.leaf_index,
                "leaf": b64(self.receipt.leaf),
                "proof": [node.hex() for node in self.receipt.inclusion_proof],
                "head": {
                    "tree_size": head.tree_size,
                    "root_hash": head.root_hash.hex(),
                    "timestamp": head.timestamp.isoformat(),
                    "signature": b64(head.signature),
                    "algorithm": head.algorithm,
                },
            }
        return {"ok": ok}

    @staticmethod
    def from_record(record: dict[str, Any]) -> Outcome:
        ok = record["ok"]
        receipt = None
        if "receipt" in ok:
            raw, head = ok["receipt"], ok["receipt"]["head"]
            receipt = Receipt(
                leaf_index=raw["leaf_index"],
                leaf=unb64(raw["leaf"]),
                tree_head=TreeHead(
                    tree_size=head["tree_size"],
                    root_hash=bytes.fromhex(head["root_hash"]),
                    timestamp=datetime.fromisoformat(head["timestamp"]),
                    signature=unb64(head["signature"]),
                    algorithm=head["algorithm"],
                ),
                inclusion_proof=tuple(bytes.fromhex(node) for node in raw["proof"]),
            )
        return Outcome(
            first_sequence=ok["first_sequence"],
            last_sequence=ok["last_sequence"],
            phase=ok["phase"],
            accepted_at=datetime.fromisoformat(ok["accepted_at"]),
            created_id=ok["created_id"],
            receipt=receipt,
        )


@dataclass
class SessionRuntime:
    """One session in memory: its setup, its replayed state and its events for subscribers."""

    setup: SessionSetup
    state: workflow.SessionState
    events: list[StoredEvent] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def last_sequence(self) -> int:
        return self.events[-1].sequence if self.events else 0


def operation_digest(method: str, payload: bytes) -> bytes:
    """Identifies the content of a request so a reused operation id with other content is caught."""
    return hashlib.sha256(method.encode() + b"\0" + payload).digest()


def actor_for(caller: Identity) -> Actor:
    return Actor(person_id=caller.person_id, role=DomainRole(caller.role.value))


class EvaluationApp:
    """Sessions, commands and queries; one instance per server process."""

    def __init__(self, store: Store, log_signer: Signer, clock: Clock = utc_now) -> None:
        self._store = store
        self._log_signer = log_signer
        self._clock = clock
        # One writer at a time: the database has one writer anyway (SQLite), and serial decisions keep
        # each session's event numbering and each device's sequence numbering trivially gap-free.
        self._lock = threading.RLock()
        self._sessions: dict[str, SessionRuntime] = {}
        self._device_sequences: dict[str, int] = {}
        self._device_envelopes: dict[str, bytes] = {}  # SHA-256 of each device's last signed envelope
        self._known_certificates: set[str] = set()
        self._log = AuditLog(log_signer, [], None)
        # Hashes of (device key, operation id) of every stored operation: a new operation id (the usual
        # case) needs no database lookup, a hit (a retry, or a hash collision) looks the record up.
        self._operation_hashes: set[int] = set()
        self._revoked: frozenset[str] = frozenset()
        self.reload()

    @property
    def store(self) -> Store:
        return self._store

    def reload(self) -> None:
        """Rebuild every session from the store (start-up, and after an admin import)."""
        with self._lock:
            sessions: dict[str, SessionRuntime] = {}
            for setup, created_at, events in self._store.load_sessions():
                state = workflow.replay(setup, created_at, (event_from_dict(e.payload) for e in events))
                sessions[setup.session_id] = SessionRuntime(setup, state, list(events))
            self._sessions = sessions
            positions = self._store.device_positions()
            self._device_sequences = {device: sequence for device, (sequence, _env) in positions.items()}
            self._device_envelopes = {device: envelope for device, (_seq, envelope) in positions.items()}
            self._known_certificates = set(self._store.certificates())
            self._log = AuditLog(
                self._log_signer,
                [leaf_hash(leaf) for leaf in self._store.audit_leaves()],
                self._store.latest_tree_head(),
            )
            self._operation_hashes = {hash(key) for key in self._store.operation_ids()}
            self._revoked = self._store.revoked_serials()
            log.info("loaded %d sessions", len(sessions))

    # -- membership and revocation (the interceptor's Gatekeeper) ------------------------------------

    def is_revoked(self, serial: int) -> bool:
        return str(serial) in self._revoked

    def revoke(self, caller: Identity | None, serial: str, reason: str) -> None:
        """Revoke a certificate; ``caller`` is None for the admin tool run on the server's data directory."""
        if not reason.strip():
            raise InvalidArgument("a reason is required to revoke a certificate")
        with self._lock:
            now = self._clock()
            detail = {"serial": serial, "reason": reason}
            audit = self._append(
                _plain_entry(self._log.size, EntryKind.REVOCATION, now, caller, detail=detail), now
            )
            try:
                self._store.revoke(
                    serial, reason, caller.person_id if caller else ADMIN_TOOL, now, audit.record()
                )
            except Exception:
                self.reload()
                raise
            self._revoked = self._store.revoked_serials()
        log.warning(
            "certificate %s revoked by %s: %s", serial, caller.person_id if caller else ADMIN_TOOL, reason
        )

    def check_participant(self, session_id: str, caller: Identity) -> None:
        runtime = self.runtime(session_id)
        if caller.role is Role.OPERATOR:
            return
        if caller.role is Role.SUPERVISOR:
            if any(s.person_id == caller.person_id for s in runtime.setup.supervisors):
                return
            raise PermissionDenied(f"{caller.person_id} is not a supervisor of session {session_id}")
        if any(m.person_id == caller.person_id for m in runtime.setup.members):
            return
        raise PermissionDenied(f"{caller.person_id} is not on the committee of session {session_id}")

    # -- queries --------------------------------------------------------------------------------------

    def runtime(self, session_id: str) -> SessionRuntime:
        runtime = self._sessions.get(session_id)
        if runtime is None:
            raise NotFound(f"session {session_id!r} not found")
        return runtime

    def sessions_of(self, caller: Identity) -> list[SessionRuntime]:
        with self._lock:
            runtimes = list(self._sessions.values())
        if caller.role is Role.OPERATOR:
            return runtimes
        visible = []
        for runtime in runtimes:
            try:
                self.check_participant(runtime.setup.session_id, caller)
            except PermissionDenied:
                continue
            visible.append(runtime)
        return visible

    def read(self, session_id: str, reader: Callable[[SessionRuntime], Any]) -> Any:
        """Run a read-only function on a session's state while no command mutates it."""
        runtime = self.runtime(session_id)
        with self._lock:
            return reader(runtime)

    def events_after(self, session_id: str, after_sequence: int, timeout: float) -> list[StoredEvent]:
        """Events after ``after_sequence``; waits up to ``timeout`` seconds when there are none yet."""
        runtime = self.runtime(session_id)
        with runtime.changed:
            if runtime.last_sequence <= after_sequence:
                runtime.changed.wait(timeout)
            # Sequences are 1..n without gaps, so the list index is sequence - 1.
            return runtime.events[after_sequence:]

    # -- commands -------------------------------------------------------------------------------------

    def execute(
        self,
        caller: Identity,
        certificate: x509.Certificate,
        meta: CommandMeta,
        method: str,
        change: SignedChange,
        to_command: Callable[[], Command],
    ) -> Outcome:
        """Run one signed state-changing request exactly once per operation id, in device order.

        ``change`` is the request's verified envelope; ``to_command`` converts the request and may refuse
        it (InvalidArgument), which counts as a refusal like any the rules make: recorded, logged, and its
        sequence number used up so that an offline client's queue moves on.
        """
        if not meta.operation_id or len(meta.operation_id) > 64:
            raise InvalidArgument("meta.operation_id must be 1-64 characters (a UUID)")
        if not meta.device_id or len(meta.device_id) > 64:
            raise InvalidArgument("meta.device_id must be 1-64 characters")
        if meta.client_sequence < 1:
            raise InvalidArgument("meta.client_sequence starts at 1")
        device_key = f"{caller.person_id}/{meta.device_id}"
        digest = operation_digest(method, change.payload)
        operation_hash = hash((device_key, meta.operation_id))
        with self._lock:
            expected = self._device_sequences.get(device_key, 0) + 1
            if meta.client_sequence != expected or operation_hash in self._operation_hashes:
                # A retry, or an operation id used again (a client bug): the first answer, or a conflict.
                # The next sequence with a new operation id, every change's first send, skips this lookup.
                first = self._store.find_operation(device_key, meta.operation_id)
                if first is not None:
                    return self._answer_again(first, digest, meta.operation_id)
            if meta.client_sequence != expected:
                raise OutOfOrder(
                    f"client_sequence {meta.client_sequence} out of order for device {meta.device_id}: "
                    f"expected {expected}"
                )
            if change.previous_envelope_sha256 != self._device_envelopes.get(device_key, b""):
                raise ChainBroken(
                    f"change {meta.client_sequence} of device {meta.device_id} does not follow the device's "
                    "previous signed change: a change is missing or was reordered"
                )
            runtime = self.runtime(meta.session_id)
            now = self._clock()
            record = OperationRecord(
                device_key=device_key,
                operation_id=meta.operation_id,
                client_sequence=meta.client_sequence,
                session_id=meta.session_id,
                method=method,
                request_digest=digest,
                outcome={},
                client_time=meta.client_time,
                received_at=now,
                envelope_sha256=change.envelope_sha256,
            )
            signed = _SignedEntry(caller, certificate, meta, method, change)
            try:
                events = workflow.decide(runtime.state, actor_for(caller), to_command(), now)
            except DomainError as error:
                refusal = {"kind": type(error).__name__, "message": str(error)}
                audit = self._append(signed.entry(self._log.size, EntryKind.REFUSAL, now, error=refusal), now)
                again = self._commit(record, {"error": refusal}, [], audit, signed.certificates(self))
                if again is not None:
                    return again
                log.info("refused %s from %s: %s", method, caller.person_id, error)
                raise
            last = runtime.last_sequence
            stored = [
                StoredEvent(
                    session_id=meta.session_id,
                    sequence=last + index,
                    kind=type(event).__name__,
                    actor_id=caller.person_id,
                    occurred_at=now,
                    payload=event_to_dict(event),
                )
                for index, event in enumerate(events, start=1)
            ]
            for event in events:
                workflow.apply(runtime.state, event)
            digests = tuple((e.sequence, stored_event_digest(e)) for e in stored)
            audit = self._append(signed.entry(self._log.size, EntryKind.CHANGE, now, events=digests), now)
            outcome = Outcome(
                first_sequence=stored[0].sequence if stored else last,
                last_sequence=stored[-1].sequence if stored else last,
                phase=str(runtime.state.phase.value),
                accepted_at=now,
                created_id=_created_id(events),
                receipt=audit.receipt,
            )
            again = self._commit(record, outcome.to_record(), stored, audit, signed.certificates(self))
            if again is not None:
                return again
            with runtime.changed:
                runtime.events.extend(stored)
                runtime.changed.notify_all()
            return outcome

    def _append(self, entry: Entry, now: datetime) -> _Appended:
        """Add an entry to the in-memory log (committed by the caller; a failed commit reloads)."""
        appended = self._log.append(entry, now)
        return _Appended(appended.leaf, appended.tree_head, appended.receipt)

    def _commit(
        self,
        record: OperationRecord,
        outcome: dict[str, Any],
        stored: list[StoredEvent],
        audit: _Appended,
        certificates: tuple[tuple[str, bytes, str], ...],
    ) -> Outcome | None:
        """Store the events, the operation's first answer and the audit entry together.

        The session state and the audit tree already hold the change, so a failed commit rebuilds both
        from what the store really holds. An operation id that turns out to be taken is answered as if it
        had been looked up first: its first answer for the same request, a conflict for another one.
        """
        try:
            self._store.commit(
                stored,
                dataclasses.replace(record, outcome=outcome),
                AuditRecord(audit.receipt.leaf_index, audit.leaf, audit.tree_head, certificates),
            )
        except Conflict:
            self.reload()
            first = self._store.find_operation(record.device_key, record.operation_id)
            if first is None:
                raise
            return self._answer_again(first, record.request_digest, record.operation_id)
        except Exception:
            self.reload()
            raise
        self._device_sequences[record.device_key] = record.client_sequence
        self._device_envelopes[record.device_key] = record.envelope_sha256
        self._operation_hashes.add(hash((record.device_key, record.operation_id)))
        self._known_certificates.update(sha for sha, _der, _person in certificates)
        return None

    def _answer_again(self, first: OperationRecord, digest: bytes, operation_id: str) -> Outcome:
        """The first answer to a retried operation (its refusal, for a refused one)."""
        if first.request_digest != digest:
            raise Conflict(
                f"operation id {operation_id} was already used for a different request; "
                "generate a new operation id for a new change"
            )
        return self._replay(first)

    def _replay(self, first: OperationRecord) -> Outcome:
        outcome = dict(first.outcome)
        if "error" in outcome:
            raise error_from_name(outcome["error"]["kind"], outcome["error"]["message"])
        return Outcome.from_record(outcome)

    # -- import ---------------------------------------------------------------------------------------

    def import_sessions(
        self, setups: Sequence[tuple[SessionSetup, Mapping[str, Path]]], operator: Identity | None = None
    ) -> None:
        """Store sessions all or nothing, each with an audit entry vouching for its stored setup."""
        with self._lock:
            now = self._clock()
            audits = []
            for setup, _files in setups:
                digest = hashlib.sha256(setup_json(setup).encode("utf-8")).hexdigest()
                entry = dataclasses.replace(
                    _plain_entry(
                        self._log.size, EntryKind.IMPORT, now, operator, detail={SETUP_SHA256_KEY: digest}
                    ),
                    session_id=setup.session_id,
                )
                audits.append(self._append(entry, now).record())
            try:
                self._store.import_sessions(setups, now, audits)
            finally:
                self.reload()

    # -- the audit log --------------------------------------------------------------------------------

    def record(
        self,
        kind: EntryKind,
        caller: Identity | None,
        method: str = "",
        detail: Mapping[str, Any] | None = None,
        error: Mapping[str, str] | None = None,
    ) -> Receipt:
        """Append an entry that changes nothing else: a login, a refused call."""
        with self._lock:
            now = self._clock()
            entry = _plain_entry(self._log.size, kind, now, caller, method, detail or {}, error or {})
            audit = self._append(entry, now)
            try:
                self._store.commit([], None, audit.record())
            except Exception:
                self.reload()
                raise
            return audit.receipt

    def record_denial(self, caller: Identity | None, method: str, code: str, message: str) -> None:
        self.record(EntryKind.DENIED, caller, method, error={"kind": code, "message": message})

    def knows_certificate(self, sha256_hex: str) -> bool:
        return sha256_hex in self._known_certificates

    def tree_head(self) -> TreeHead | None:
        return self._log.latest_head

    @property
    def log_certificate(self) -> x509.Certificate:
        return self._log.certificate

    def consistency_proof(self, first_size: int, second_size: int) -> list[bytes]:
        with self._lock:
            size = self._log.size
            if not 0 <= first_size <= second_size <= size:
                raise InvalidArgument(f"need 0 <= first_size <= second_size <= {size} (the log's size)")
            return self._log.consistency_proof(first_size, second_size)

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        with self._lock:
            size = self._log.size
            if not 0 <= leaf_index < tree_size <= size:
                raise InvalidArgument(f"need 0 <= leaf_index < tree_size <= {size} (the log's size)")
            return self._store.audit_leaf(leaf_index), self._log.inclusion_proof(leaf_index, tree_size)

    def cosign(
        self,
        caller: Identity,
        certificate: x509.Certificate,
        head: TreeHead,
        signature: bytes,
        algorithm: str,
    ) -> int:
        """Record a supervisor's signature over a tree head their client has checked."""
        stored = self._store.tree_heads([head.tree_size])
        if not stored or (stored[0].root_hash, stored[0].timestamp) != (head.root_hash, head.timestamp):
            raise NotFound(f"no tree head of size {head.tree_size} with that root and time was ever signed")
        try:
            verify_signature(
                certificate,
                algorithm,
                tree_head_bytes(head.tree_size, head.root_hash, head.timestamp),
                signature,
            )
        except SignatureError as error:
            raise PermissionDenied(f"co-signature rejected: {error}") from None
        sha = hashlib.sha256(certificate_der(certificate)).hexdigest()
        with self._lock:
            now = self._clock()
            detail = {"tree_size": head.tree_size, "root_hash": head.root_hash.hex(), "certificate": sha}
            audit = self._append(
                _plain_entry(self._log.size, EntryKind.COSIGNATURE, now, caller, detail=detail), now
            )
            certificates = (
                ()
                if sha in self._known_certificates
                else ((sha, certificate_der(certificate), caller.person_id),)
            )
            try:
                self._store.commit(
                    [], None, audit.record(certificates, (head.tree_size, sha, signature, algorithm))
                )
            except Conflict:
                self.reload()
                raise Conflict(
                    f"{caller.person_id} has already co-signed the head of size {head.tree_size}"
                ) from None
            except Exception:
                self.reload()
                raise
            self._known_certificates.add(sha)
            return self._store.count_cosignatures(head.tree_size)


def _created_id(events: Sequence[object]) -> str:
    for event in events:
        created = getattr(event, "clarification_id", None)
        if isinstance(created, str):
            return created
    return ""


def setup_json(setup: SessionSetup) -> str:
    """The setup JSON exactly as the store keeps it (and the import entry hashes it)."""
    return canonical_json(to_jsonable(setup)).decode("utf-8")


def stored_event_digest(event: StoredEvent) -> str:
    return event_digest(
        event.session_id,
        event.sequence,
        event.kind,
        event.actor_id,
        event.occurred_at,
        canonical_json(event.payload).decode("utf-8"),
    )


@dataclass(frozen=True, slots=True)
class _Appended:
    leaf: bytes
    tree_head: TreeHead
    receipt: Receipt

    def record(
        self,
        certificates: tuple[tuple[str, bytes, str], ...] = (),
        cosignature: tuple[int, str, bytes, str] | None = None,
    ) -> AuditRecord:
        return AuditRecord(self.receipt.leaf_index, self.leaf, self.tree_head, certificates, cosignature)


def _plain_entry(
    index: int,
    kind: EntryKind,
    now: datetime,
    caller: Identity | None,
    method: str = "",
    detail: Mapping[str, Any] | None = None,
    error: Mapping[str, str] | None = None,
) -> Entry:
    return Entry(
        index=index,
        kind=kind,
        at=now,
        actor_id=caller.person_id if caller else "",
        role=caller.role.value if caller else "",
        method=method,
        detail=dict(detail or {}),
        error=dict(error or {}),
    )


@dataclass(frozen=True, slots=True)
class _SignedEntry:
    """What an audit entry of a signed change (accepted or refused) records."""

    caller: Identity
    certificate: x509.Certificate
    meta: CommandMeta
    method: str
    change: SignedChange

    def entry(
        self,
        index: int,
        kind: EntryKind,
        now: datetime,
        events: tuple[tuple[int, str], ...] = (),
        error: Mapping[str, str] | None = None,
    ) -> Entry:
        return Entry(
            index=index,
            kind=kind,
            at=now,
            actor_id=self.caller.person_id,
            role=self.caller.role.value,
            session_id=self.meta.session_id,
            method=self.method,
            device_id=self.meta.device_id,
            client_sequence=self.meta.client_sequence,
            client_time=self.meta.client_time,
            envelope=self.change.envelope,
            payload=self.change.payload,
            signer_certificate_sha256=self.change.signer_certificate_sha256.hex(),
            events=events,
            error=dict(error or {}),
        )

    def certificates(self, app: EvaluationApp) -> tuple[tuple[str, bytes, str], ...]:
        sha = self.change.signer_certificate_sha256.hex()
        if app.knows_certificate(sha):
            return ()
        return ((sha, certificate_der(self.certificate), self.caller.person_id),)
