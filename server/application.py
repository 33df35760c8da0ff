"""The evaluation server's application layer: sessions in memory, commands made safe to retry, events.

Knows nothing of gRPC. Each session's state is rebuilt at start-up by replaying its stored events; a command
is decided by the pure domain; its events and the operation's first answer are committed in one
transaction and only then announced to event subscribers (a failed commit rebuilds the state from the store).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bideval.domain import workflow
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
from server.rpc.errors import error_from_name
from server.storage.store import OperationRecord, Store, StoredEvent

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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

    def to_record(self) -> dict[str, Any]:
        return {
            "ok": {
                "first_sequence": self.first_sequence,
                "last_sequence": self.last_sequence,
                "phase": self.phase,
                "accepted_at": self.accepted_at.isoformat(),
                "created_id": self.created_id,
            }
        }

    @staticmethod
    def from_record(record: dict[str, Any]) -> Outcome:
        ok = record["ok"]
        return Outcome(
            first_sequence=ok["first_sequence"],
            last_sequence=ok["last_sequence"],
            phase=ok["phase"],
            accepted_at=datetime.fromisoformat(ok["accepted_at"]),
            created_id=ok["created_id"],
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

    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock
        # One writer at a time: the database has one writer anyway (SQLite), and serial decisions keep
        # each session's event numbering and each device's sequence numbering trivially gap-free.
        self._lock = threading.RLock()
        self._sessions: dict[str, SessionRuntime] = {}
        self._device_sequences: dict[str, int] = {}
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
            self._device_sequences = self._store.last_client_sequences()
            self._operation_hashes = {hash(key) for key in self._store.operation_ids()}
            self._revoked = self._store.revoked_serials()
            log.info("loaded %d sessions", len(sessions))

    # -- membership and revocation (the interceptor's Gatekeeper) ------------------------------------

    def is_revoked(self, serial: int) -> bool:
        return str(serial) in self._revoked

    def revoke(self, caller: Identity, serial: str, reason: str) -> None:
        if not reason.strip():
            raise InvalidArgument("a reason is required to revoke a certificate")
        with self._lock:
            self._store.revoke(serial, reason, caller.person_id, self._clock())
            self._revoked = self._store.revoked_serials()
        log.warning("certificate %s revoked by %s: %s", serial, caller.person_id, reason)

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
        self, caller: Identity, meta: CommandMeta, method: str, request_bytes: bytes, command: Command
    ) -> Outcome:
        """Run one state-changing command exactly once per operation id, in device order."""
        if not meta.operation_id or len(meta.operation_id) > 64:
            raise InvalidArgument("meta.operation_id must be 1-64 characters (a UUID)")
        if not meta.device_id or len(meta.device_id) > 64:
            raise InvalidArgument("meta.device_id must be 1-64 characters")
        if meta.client_sequence < 1:
            raise InvalidArgument("meta.client_sequence starts at 1")
        device_key = f"{caller.person_id}/{meta.device_id}"
        digest = operation_digest(method, request_bytes)
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
            runtime = self.runtime(meta.session_id)
            now = self._clock()
            try:
                events = workflow.decide(runtime.state, actor_for(caller), command, now)
            except DomainError as error:
                # A refused change still uses up its sequence number, and its retry gets the same
                # refusal: the offline client's queue moves on instead of blocking on one bad change.
                failed = {"error": {"kind": type(error).__name__, "message": str(error)}}
                again = self._commit(meta, device_key, method, digest, now, [], failed, advanced=False)
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
            outcome = Outcome(
                first_sequence=stored[0].sequence if stored else last,
                last_sequence=stored[-1].sequence if stored else last,
                phase=str(runtime.state.phase.value),
                accepted_at=now,
                created_id=_created_id(events),
            )
            again = self._commit(
                meta, device_key, method, digest, now, stored, outcome.to_record(), advanced=True
            )
            if again is not None:
                return again
            with runtime.changed:
                runtime.events.extend(stored)
                runtime.changed.notify_all()
            return outcome

    def _commit(
        self,
        meta: CommandMeta,
        device_key: str,
        method: str,
        digest: bytes,
        now: datetime,
        stored: list[StoredEvent],
        outcome: dict[str, Any],
        advanced: bool,
    ) -> Outcome | None:
        """Store the events with the operation's first answer; on success the device's sequence moves on.

        ``advanced``: the session state already holds the events, so a failed commit rebuilds it from
        what the store really holds. An operation id that turns out to be taken is answered as if it had
        been looked up first: its first answer (returned, or raised for a refusal) for the same request,
        a conflict for another one.
        """
        record = OperationRecord(
            device_key=device_key,
            operation_id=meta.operation_id,
            client_sequence=meta.client_sequence,
            session_id=meta.session_id,
            method=method,
            request_digest=digest,
            outcome=outcome,
            client_time=meta.client_time,
            received_at=now,
        )
        try:
            self._store.commit(stored, record)
        except Conflict:
            if advanced:
                self.reload()
            first = self._store.find_operation(device_key, meta.operation_id)
            if first is None:
                raise
            return self._answer_again(first, digest, meta.operation_id)
        except Exception:
            if advanced:
                self.reload()
            raise
        self._device_sequences[device_key] = meta.client_sequence
        self._operation_hashes.add(hash((device_key, meta.operation_id)))
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

    def import_sessions(self, setups: Sequence[tuple[SessionSetup, dict[str, Any]]]) -> None:
        with self._lock:
            self._store.import_sessions(setups, self._clock())
            self.reload()


def _created_id(events: Sequence[object]) -> str:
    for event in events:
        created = getattr(event, "clarification_id", None)
        if isinstance(created, str):
            return created
    return ""
