"""The sync engine: every change goes to the encrypted cache first, then to the server, strictly in order.

Local first. :meth:`SyncEngine.record` stamps and signs a change (``ApiClient.build``) and queues its exact
request bytes in the :class:`~app.services.cache.SessionCache` outbox, under one lock so that sequence
number, signature chain and queue advance together. It never touches the network, so the GUI thread may
call it (one WAL fsync, a few ms).

Sending. :meth:`SyncEngine.sync_once` sends the unanswered changes oldest first (one per call, or in
batches: below), each with the bytes that were signed and stored (never rebuilt). The server answers a
repeated operation id with its first answer, so a change whose answer was lost (link cut, client killed)
is simply sent again:

* an answer → ``mark_acknowledged`` (with the response bytes: the audit receipt);
* a domain refusal (INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED, NOT_FOUND, ALREADY_EXISTS)
  → ``mark_refused`` with the server's message, and the queue moves on (the server used the number up);
* a transient failure (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED) → stop; the engine is offline;
* FAILED_PRECONDITION "out of order ... expected N" with N below the change's number: the server lacks
  earlier changes (e.g. it was restored from a backup): they are sent again from N, then the change;
* FAILED_PRECONDITION "out of order" with N above it, or a broken signature chain: the device's numbering
  and the server's disagree in a way resending cannot repair (another client with this device id?). The
  queue stops with ``last_error`` set and nothing is marked: no change is dropped silently.
* anything else (UNAUTHENTICATED, INTERNAL, a bad audit receipt, a cache error) → stop with
  ``last_error``; the background loop retries with backoff.

Batching. When more than one change is waiting (a backlog after a cut, a restart), they go in batches
through ``SyncService.SendChanges``: up to ``BATCH_CHANGES`` changes or ``BATCH_BYTES`` of requests per
call, oldest first, each the stored bytes. The server runs each change exactly as its unary RPC (same
authorization, envelope check, idempotent ``execute``) and answers each in order, so every answer goes
through the handling above, one by one, in order. The first "out of order ... expected N" answer ends
the batch: the recovery above runs for that change, and the rest of the batch (still SENT) is sent again
by the next round. A failure of the call as a whole (link cut, INTERNAL) says nothing about which changes
were stored: all of them stay SENT and go again, and their operation ids get them their first answers.
A single waiting change (the usual case while online) goes as its unary RPC: the same round trip, and the
path a server without SendChanges also has (and measured slightly faster alone). Such a server answers
UNIMPLEMENTED, after which this engine sends one change per call. Two more things make a backlog go at
about the server's own pace (bench/client.py "replay"): one batch is in flight while the previous one's
answers are written, and those answers are written in one cache transaction (one fsync per batch).

Background loop. :meth:`start` runs a plain thread (no Qt; a Qt worker wraps this later) that calls
``sync_once`` until the queue is empty, then waits for :meth:`record` to wake it (or polls every
``idle_poll`` seconds). After a failure it waits with exponential backoff, 0.2 s doubling to 5 s, reset
by the first success. :meth:`status` gives the status bar what it shows; listeners added with
:meth:`add_listener` are called with a fresh :class:`SyncStatus` after every change of it, on whichever
thread made the change (the Qt layer forwards them to a signal).

Reconnecting is also limited by gRPC's own reconnect backoff of the channel (default: 1 s growing to
120 s); the client should open its channel with ``grpc.initial_reconnect_backoff_ms`` and
``grpc.max_reconnect_backoff_ms`` of a few seconds at most so that the link is used as soon as it returns.

:class:`EventFollower` keeps ``SubscribeEvents`` open on its own thread, resuming from the cache's last
event after every cut, and appends the events to the cache.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from app.errors import describe, is_transient
from app.services.cache import CachedEvent, CacheError, OutboxItem, OutboxStatus, SessionCache
from app.services.connection import ApiClient, Sequencer, request_type, response_type
from bideval.v1 import evaluation_service_pb2, sync_service_pb2

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

BACKOFF_MIN = 0.2
BACKOFF_MAX = 5.0
IDLE_POLL = 5.0
BATCH = 100  # outbox items read per query
# At most this many changes and request bytes per SendChanges call: the server takes 100 changes and 1 MiB.
BATCH_CHANGES = 100
BATCH_BYTES = 512 * 1024

_REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
    }
)
_REFUSAL_NAMES = frozenset(code.name for code in _REFUSALS)
_OUT_OF_ORDER = re.compile(r"out of order\b.*\bexpected (\d+)")
_CHAIN_BROKEN = "does not follow the device's previous signed change"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the status bar (and the supervisor's view of this expert) shows."""

    connected: bool  # the last attempt reached the server
    offline_since: datetime | None  # when the link was first found down, None while connected
    unsynced: int  # changes stored locally that the server has not answered yet
    last_sync_at: datetime | None  # when the server last answered a queued change
    last_error: str  # text for the user; "" when the last pass went well


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one :meth:`SyncEngine.sync_once` pass did."""

    acknowledged: int = 0
    refused: int = 0
    remaining: int = 0
    offline: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.offline and not self.error


class _Stop(Exception):
    """Ends a pass: the link is down (``offline``) or the queue cannot go on (``error``)."""

    def __init__(self, offline: bool, message: str) -> None:
        super().__init__(message)
        self.offline = offline
        self.message = message


@dataclass(frozen=True, slots=True)
class _Answered:
    response: bytes | None  # the answer, or None for a refusal
    code: str = ""
    message: str = ""


def _batch(items: list[OutboxItem]) -> list[OutboxItem]:
    """The oldest items that fit one SendChanges call (at least one, whatever its size)."""
    size = 0
    for count, item in enumerate(items[:BATCH_CHANGES]):
        size += len(item.request) + len(item.rpc) + 64  # + the method name and framing
        if size > BATCH_BYTES and count > 0:
            return items[:count]
    return items[:BATCH_CHANGES]


def _needs_recovery(answer: _Answered) -> bool:
    """The server says changes are missing before this one, or the signature chain does not follow on:
    not an answer to store but a state to repair (:meth:`SyncEngine._settle`)."""
    return (
        answer.response is None
        and answer.code == grpc.StatusCode.FAILED_PRECONDITION.name
        and bool(_OUT_OF_ORDER.search(answer.message) or _CHAIN_BROKEN in answer.message)
    )


class SyncEngine:
    """Queues signed changes in the cache and sends them in order (thread-safe; see the module docstring)."""

    def __init__(
        self,
        cache: SessionCache,
        client: ApiClient,
        session_id: str,
        clock: Clock = _utc_now,
        *,
        idle_poll: float = IDLE_POLL,
        backoff_min: float = BACKOFF_MIN,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        self.cache = cache
        self.client = client
        self.session_id = session_id
        self._clock = clock
        self._idle_poll = idle_poll
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._record_lock = threading.Lock()  # Sequencer.stamp + cache.enqueue together
        self._sync_lock = threading.Lock()  # one pass at a time
        self._state_lock = threading.Lock()
        self._listeners: list[Callable[[SyncStatus], None]] = []
        self._connected = False
        self._offline_since: datetime | None = None
        self._last_error = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # False once the server answered SendChanges with UNIMPLEMENTED (an older server).
        self.batching = True

    # -- recording (local only) --------------------------------------------------------------------------

    def record(self, rpc: str, **fields: Any) -> int:
        """Stamp, sign and queue a change; returns its sequence number. Never touches the network.

        If the cache refuses to store it (CacheError), the Sequencer is rebuilt from the cache's device
        state, so the next change continues the chain the cache holds, and the error is raised.
        """
        with self._record_lock:
            request = self.client.build(rpc, self.session_id, **fields)
            try:
                self.cache.enqueue_request(rpc, request)
            except BaseException:
                self._resync_sequencer()
                raise
            sequence = int(request.meta.client_sequence)  # type: ignore[attr-defined]
        self._wake.set()
        self._notify()
        return sequence

    def _resync_sequencer(self) -> None:
        old = self.client.sequencer
        try:
            state = self.cache.device_state()
        except CacheError:
            log.exception("cannot read the device state back from the cache")
            return
        self.client.sequencer = Sequencer(old.device_id, old.signer, *state)

    # -- sending -------------------------------------------------------------------------------------------

    def sync_once(self) -> SyncResult:
        """Send every unanswered change in order until the queue is empty, the link fails or stop()."""
        with self._sync_lock:
            counts = [0, 0]  # acknowledged, refused
            try:
                while not self._stop.is_set():
                    items = self.cache.pending(BATCH)
                    if not items:
                        break
                    if self.batching and len(items) > 1:
                        self._deliver_batches(items, counts)
                        continue  # read the queue again: batches may have ended early, or be unsupported
                    for item in items:
                        if self._stop.is_set():
                            break
                        answer = self._deliver(item)
                        counts[answer.response is None] += 1
                        self._set_state(connected=True, error="")
                        self._notify()
            except _Stop as stop:
                self._set_state(connected=not stop.offline, error=stop.message)
                return SyncResult(counts[0], counts[1], self._remaining(), stop.offline, stop.message)
            except CacheError as error:
                message = str(error)
                self._set_error(message)
                return SyncResult(counts[0], counts[1], self._remaining(), False, message)
            return SyncResult(counts[0], counts[1], self._remaining())

    def _remaining(self) -> int:
        try:
            return self.cache.unsynced_count()
        except CacheError:
            return 0

    def _deliver(self, item: OutboxItem, depth: int = 0) -> _Answered:
        """Send one queued change and store the server's answer to it."""
        if item.status is OutboxStatus.PENDING:
            self.cache.mark_sent(item.client_sequence)
        return self._settle(item, self._send(item), depth)

    def _settle(self, item: OutboxItem, answer: _Answered, depth: int) -> _Answered:
        """Store the server's answer to one change, recovering first when it says changes are missing."""
        if _needs_recovery(answer):
            expected = _OUT_OF_ORDER.search(answer.message)
            if expected is not None:
                missing_from = int(expected.group(1))
                if missing_from < item.client_sequence and depth == 0:
                    self._resend(missing_from, item.client_sequence)
                    return self._deliver(item, depth + 1)
                raise _Stop(False, f"变更序号与服务器不一致 ({answer.message})")
            if _CHAIN_BROKEN in answer.message:
                raise _Stop(False, f"变更签名链与服务器不一致 ({answer.message})")
        if answer.response is None:
            self.cache.mark_refused(item.client_sequence, answer.code, answer.message)
        else:
            self.cache.mark_acknowledged(item.client_sequence, answer.response)
        return answer

    def _deliver_batches(self, items: list[OutboxItem], counts: list[int]) -> None:
        """Send the backlog in SendChanges calls and settle the answers in order.

        Pipelined one call deep: once a batch's answers are in, the next batch is sent before those answers
        are stored, so that the server works while this side writes to its cache. Order holds because the
        server had finished the first batch before answering it. If the settling stops early (a recovery,
        an error, stop()), the answers of the batch in flight are dropped: its items stay SENT and go
        again, and the server answers them from its record of their operation ids.
        ``counts`` (acknowledged, refused) is updated as answers are stored."""
        batch = _batch(items)
        call = self._start_batch(batch)
        try:
            while True:
                answers = self._answers(call, batch)
                if answers is None:
                    return  # an older server: batching is off, the caller sends one change per call
                call, following = None, None
                if not self._stop.is_set():
                    after = batch[-1].client_sequence
                    rest = [i for i in self.cache.pending(2 * BATCH) if i.client_sequence > after]
                    if len(rest) > 1:  # a single change left goes as its unary RPC
                        following = _batch(rest)
                        call = self._start_batch(following)
                complete = self._settle_batch(batch, answers, counts)
                self._set_state(connected=True, error="")
                self._notify()
                if not complete or following is None or call is None:
                    return
                batch = following
        finally:
            if call is not None:
                call.cancel()  # a no-op once answered

    def _start_batch(self, items: list[OutboxItem]) -> Any:
        self.cache.mark_sent_all(i.client_sequence for i in items if i.status is OutboxStatus.PENDING)
        return self.client.start_changes([(item.rpc, item.request) for item in items])

    def _answers(self, call: Any, items: list[OutboxItem]) -> list[sync_service_pb2.ChangeAnswer] | None:
        """The answers of a SendChanges call, None when the server has no such RPC."""
        try:
            answers = list(call.result().answers)
        except grpc.RpcError as error:
            code = error.code()
            if code is grpc.StatusCode.UNIMPLEMENTED:
                log.info("the server has no SendChanges: sending one change per call")
                self.batching = False
                return None
            # Nothing in the batch is known to be stored or not: every item stays SENT and goes again.
            if is_transient(error) or code is grpc.StatusCode.CANCELLED:
                raise _Stop(True, describe(error)) from None
            raise _Stop(False, describe(error)) from None
        if not answers:  # the server must answer at least the first change; without that we would spin
            raise _Stop(False, f"服务器未答复这批 {len(items)} 项变更中的任何一项")
        return answers

    def _settle_batch(
        self, items: list[OutboxItem], answers: list[sync_service_pb2.ChangeAnswer], counts: list[int]
    ) -> bool:
        """Store a batch's answers in order; False when the rest of the batch must go again.

        Plain answers (stored, refused) are written together in one cache transaction, one fsync per
        batch instead of one per change; they are written before any answer that needs a recovery or
        stops the queue, and before an error propagates, so the cache always holds a prefix of the
        answers, in order."""
        plain: list[tuple[int, bytes | None, str, str]] = []
        try:
            for item, change_answer in zip(items, answers, strict=False):
                answer = self._answer_of(item, change_answer)
                if not _needs_recovery(answer):
                    plain.append((item.client_sequence, answer.response, answer.code, answer.message))
                    continue
                self._store_plain(plain, counts)
                settled = self._settle(item, answer, depth=0)  # recovers, or stops the queue
                counts[settled.response is None] += 1
                # The server was missing earlier changes: _settle has sent them and this one again, one
                # by one. The later answers of this batch are all "out of order" too; those items go
                # again in the next round, now that the server has caught up.
                return False
        finally:
            self._store_plain(plain, counts)
        return len(answers) >= len(items)

    def _store_plain(self, plain: list[tuple[int, bytes | None, str, str]], counts: list[int]) -> None:
        if not plain:
            return
        self.cache.mark_answered_all(plain)
        for _sequence, response, _code, _message in plain:
            counts[response is None] += 1
        plain.clear()

    def _answer_of(self, item: OutboxItem, change_answer: sync_service_pb2.ChangeAnswer) -> _Answered:
        """One answer of a batch as :meth:`_send` would have given it for a unary call."""
        if change_answer.HasField("refusal"):
            code, message = change_answer.refusal.code, change_answer.refusal.message
            if code not in _REFUSAL_NAMES:
                raise _Stop(False, f"服务器拒绝了变更 {item.client_sequence}：{code} {message}")
            return _Answered(None, code, message)
        try:
            request: Message = request_type(item.rpc)()
            request.ParseFromString(item.request)
            response: Message = response_type(item.rpc)()
            response.ParseFromString(change_answer.response)
            self.client.check_receipt(request, response)
        except Exception as error:  # e.g. AuditLogError: the receipt does not check out
            log.exception("change %d: the answer could not be accepted", item.client_sequence)
            raise _Stop(False, describe(error)) from None
        return _Answered(response.SerializeToString(deterministic=True))

    def _resend(self, first: int, before: int) -> None:
        """The server lacks changes ``first``..``before - 1``: send them again, in order (the server
        answers any it does have with its first answer). Their local answers stay as stored."""
        log.warning("server expects change %d before %d: resending", first, before)
        for sequence in range(first, before):
            item = self.cache.outbox_item(sequence)
            if item is None:
                raise _Stop(False, f"服务器缺少变更 {sequence}，本地也没有 (change {sequence} is lost)")
            if item.status in (OutboxStatus.PENDING, OutboxStatus.SENT):
                self._deliver(item, depth=1)
                continue
            answer = self._send(item)
            if answer.response is None and _OUT_OF_ORDER.search(answer.message):
                raise _Stop(False, f"变更序号与服务器不一致 ({answer.message})")

    def _send(self, item: OutboxItem) -> _Answered:
        request: Message = request_type(item.rpc)()
        request.ParseFromString(item.request)
        try:
            response = self.client.send(item.rpc, request)
        except grpc.RpcError as error:
            code = error.code()
            if is_transient(error) or code is grpc.StatusCode.CANCELLED:
                raise _Stop(True, describe(error)) from None
            if code in _REFUSALS:
                return _Answered(None, code.name, error.details() or "")
            raise _Stop(False, describe(error)) from None
        except Exception as error:  # e.g. AuditLogError: the receipt does not check out
            log.exception("change %d: the answer could not be accepted", item.client_sequence)
            raise _Stop(False, describe(error)) from None
        return _Answered(response.SerializeToString(deterministic=True))

    # -- state for the status bar --------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        unsynced = self._remaining()
        try:
            last_sync = self.cache.last_sync_at()
        except CacheError:
            last_sync = None
        with self._state_lock:
            return SyncStatus(self._connected, self._offline_since, unsynced, last_sync, self._last_error)

    def add_listener(self, listener: Callable[[SyncStatus], None]) -> None:
        with self._state_lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[SyncStatus], None]) -> None:
        with self._state_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _set_state(self, connected: bool, error: str) -> None:
        """``connected`` False means the link failed (a transient error): the outage clock starts."""
        with self._state_lock:
            changed = (connected, error) != (self._connected, self._last_error)
            if connected:
                self._offline_since = None
            elif self._offline_since is None:
                changed = True
                self._offline_since = self._clock()
            self._connected = connected
            self._last_error = error
        if changed:
            self._notify()

    def note_link(self, *, reachable: bool, error: str = "") -> None:
        """What another call on the same channel (the windows' poll of the session) learned about the link.

        With nothing queued the engine sends nothing and would not notice a cut or a restored link; a
        reachable server leaves the last sync error alone (it may be a refusal the user must still see).
        """
        if not reachable:
            self._set_state(connected=False, error=error)
            return
        with self._state_lock:
            changed = not self._connected
            self._connected = True
            self._offline_since = None
        if changed:
            self._notify()

    def _set_error(self, error: str) -> None:
        """A failure that says nothing about the link (a cache error, a bug): connection state unchanged."""
        with self._state_lock:
            changed = error != self._last_error
            self._last_error = error
        if changed:
            self._notify()

    def _notify(self) -> None:
        with self._state_lock:
            listeners = list(self._listeners)
        if not listeners:
            return
        status = self.status()
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("sync status listener failed")

    # -- the background loop -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bideval-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the change being sent (if any) is answered or fails; joins the thread."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def retire(self, timeout: float | None = 10) -> bool:
        """The session is over: destroy the cache (key first) once every change has its answer.

        Stops the worker so that no change is in flight while counting; if anything is still unanswered
        the worker restarts, the cache stays, and the caller asks again later (True: wiped)."""
        self.stop(timeout)
        if self.cache.unsynced_count() > 0:
            self.start()
            return False
        directory = self.cache.paths.database.parent
        self.cache.close()
        SessionCache.wipe(directory, self.session_id)
        log.info("session %s is over: local cache wiped", self.session_id)
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                result = self.sync_once()
            except Exception as error:
                log.exception("sync pass failed")
                result = SyncResult(error=describe(error))
                self._set_error(result.error)
            if self._stop.is_set():
                break
            if not result.ok:
                # While failing, record() does not cut the wait short: the backoff protects the server.
                delay = min(max(delay * 2, self._backoff_min), self._backoff_max)
                self._stop.wait(delay)
                continue
            delay = 0.0
            if result.remaining:
                continue
            self._wake.wait(self._idle_poll)


class EventFollower:
    """Keeps ``SubscribeEvents`` open on a thread, appending every event to the cache in order.

    After a cut or any error it reconnects (backoff 0.2 s … 5 s) and resumes after
    ``cache.last_event_sequence()``, so no event is missed or stored twice. ``on_events`` (optional) is
    called on the follower's thread with the number of new events.
    """

    def __init__(
        self,
        cache: SessionCache,
        client: ApiClient,
        session_id: str,
        on_events: Callable[[int], None] | None = None,
        *,
        stream_timeout: float = 30.0,
    ) -> None:
        self.cache = cache
        self.client = client
        self.session_id = session_id
        self._on_events = on_events
        self._stream_timeout = stream_timeout
        self._stop = threading.Event()
        self._stream_lock = threading.Lock()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self.connected = False
        self.last_error = ""

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bideval-events", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        with self._stream_lock:
            if self._stream is not None:
                self._stream.cancel()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            try:
                received = self._follow()
            except grpc.RpcError as error:
                received = 0
                if error.code() is not grpc.StatusCode.DEADLINE_EXCEEDED:  # not just a quiet stream
                    self.connected, self.last_error = False, describe(error)
            except CacheError as error:
                received = 0
                self.last_error = str(error)
                log.exception("cannot store session events")
            if received:
                delay = 0.0
                continue
            delay = min(max(delay * 2, BACKOFF_MIN), BACKOFF_MAX) if self.last_error else 0.0
            self._stop.wait(delay)

    def _follow(self) -> int:
        """One stream, until it ends, fails or stop(); returns how many events it stored."""
        request = evaluation_service_pb2.SubscribeEventsRequest(
            session_id=self.session_id, after_sequence=self.cache.last_event_sequence()
        )
        stream = self.client.evaluation.SubscribeEvents(request, timeout=self._stream_timeout)
        with self._stream_lock:
            if self._stop.is_set():
                stream.cancel()
                return 0
            self._stream = stream
        stored = 0
        try:
            for response in stream:
                self.connected, self.last_error = True, ""
                event = response.event
                details = MessageToDict(event.details) if event.HasField("details") else {}
                added = self.cache.append_events([CachedEvent(int(event.sequence), event.kind, details)])
                stored += added
                if added and self._on_events is not None:
                    self._on_events(added)
        except grpc.RpcError as error:
            if self._stop.is_set() or error.code() is grpc.StatusCode.CANCELLED:
                return stored
            if stored and error.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
                return stored
            raise
        finally:
            with self._stream_lock:
                self._stream = None
        return stored
