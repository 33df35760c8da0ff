"""The sync engine against a real server, over real mTLS, through a real TCP proxy whose link is cut."""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from app.services import sync
from app.services.cache import OutboxStatus, SessionCache
from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Sequencer, full_method, signer_from_pem
from app.services.sync import EventFollower, SyncEngine, SyncStatus
from bideval.identity.pki import Role
from bideval.v1 import evaluation_service_pb2
from server.application import EvaluationApp
from server.packages.manifest import LoadedPackage
from server.rpc.server import create_server
from server.storage.store import Store
from tests.netfault import FaultyLink
from tests.support import Pki, RunningServer

PIN = "246810"
COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
EXPERT = "E01"
DEVICE = "E01-pc1"
VERDICT = "RecordPreliminaryVerdict"
SEND_CHANGES = "/bideval.v1.SyncService/SendChanges"


class CallCounter(grpc.ServerInterceptor):  # type: ignore[misc]
    """Counts the calls the server receives, per method; a hidden method plays an older server."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.hidden: set[str] = set()
        self.lose_answers = 0  # this many SendChanges calls are carried out, then their answer is lost

    def intercept_service(self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails) -> Any:
        self.calls[details.method] += 1
        if details.method in self.hidden:
            return None  # no handler: the client gets UNIMPLEMENTED, as from a server without the RPC
        handler = continuation(details)
        if details.method != SEND_CHANGES or handler is None or not self.lose_answers:
            return handler
        self.lose_answers -= 1

        def lost(request: Any, context: grpc.ServicerContext) -> Any:
            handler.unary_unary(request, context)  # the changes are stored ...
            context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset")  # ... the answer never arrives

        return grpc.unary_unary_rpc_method_handler(
            lost, handler.request_deserializer, handler.response_serializer
        )


@pytest.fixture
def counter() -> CallCounter:
    return CallCounter()


@pytest.fixture
def counted_server(
    sqlite_store: Store, pki: Pki, demo_package: LoadedPackage, counter: CallCounter
) -> Iterator[RunningServer]:
    """The demo session served as by the ``server`` fixture, with every call counted."""
    app = EvaluationApp(sqlite_store, pki.log_signer())
    setup = demo_package.setups[0]
    rules = dataclasses.replace(setup.method.rules, pledge_countdown_seconds=0)
    setup = dataclasses.replace(setup, method=dataclasses.replace(setup.method, rules=rules))
    app.import_sessions(
        [(setup, {d.id: demo_package.files[(setup.session_id, d.id)] for d in setup.documents})]
    )
    grpc_server, port, _health = create_server(
        app, "127.0.0.1:0", pki.tls(), max_workers=16, interceptors=[counter]
    )
    running = RunningServer(f"127.0.0.1:{port}", app, pki, setup.session_id)
    try:
        yield running
    finally:
        running.close_clients()
        grpc_server.stop(grace=None).wait()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Session:
    server: RunningServer
    link: FaultyLink
    directory: Path
    cells: list[tuple[str, str]]  # (bidder id, preliminary item id)

    def client(self, cache: SessionCache) -> ApiClient:
        """The expert's client on the other side of the faulty link, continuing the cache's chain."""
        cert_pem, key_pem = self.server.pki.person(EXPERT, Role.EXPERT)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self.server.pki.directory.ca_path.read_bytes(),
            private_key=key_pem,
            certificate_chain=cert_pem,
        )
        channel = grpc.secure_channel(
            self.link.address,
            credentials,
            options=[
                ("grpc.initial_reconnect_backoff_ms", 50),
                ("grpc.min_reconnect_backoff_ms", 50),
                ("grpc.max_reconnect_backoff_ms", 200),
            ],
        )
        sequencer = Sequencer(DEVICE, signer_from_pem(cert_pem, key_pem), *cache.device_state())
        return ApiClient(channel, sequencer, timeout=5.0)

    def create_cache(self) -> SessionCache:
        return SessionCache.create(self.directory, self.server.session_id, EXPERT, DEVICE, PIN)

    def open_cache(self) -> SessionCache:
        return SessionCache.open(self.directory, self.server.session_id, PIN)

    def events(self) -> list[tuple[str, str, bool]]:
        """(bidder, item, passed) of the expert's verdict events, in server order."""
        stored = self.server.app.read(self.server.session_id, lambda runtime: list(runtime.events))
        return [
            (e.payload["bidder_id"], e.payload["criterion_id"], bool(e.payload["passed"]))
            for e in stored
            if e.kind == "PreliminaryVerdictRecorded" and e.actor_id == EXPERT
        ]

    def server_position(self) -> int:
        positions = self.server.app.store.device_positions()
        return positions.get(f"{EXPERT}/{DEVICE}", (0, b""))[0]

    def sheet(self) -> dict[tuple[str, str], bool]:
        """The expert's own preliminary sheet on the server."""
        reader = self.server.client(EXPERT, device="reader")
        sheets = reader.evaluation.GetSheets(
            evaluation_service_pb2.GetSheetsRequest(session_id=self.server.session_id), timeout=10
        )
        own = next(s for s in sheets.sheets if s.expert_id == EXPERT)
        return {(v.bidder_id, v.criterion_id): v.passed for v in own.verdicts}


@pytest.fixture
def session(counted_server: RunningServer, tmp_path: Path) -> Iterator[Session]:
    """The demo session in the preliminary review, and a faulty link to its server."""
    server = counted_server
    experts = {person: server.client(person) for person in COMMITTEE}
    driver = CommitteeDriver(server.session_id, experts, server.client("S01", Role.SUPERVISOR))
    driver.check_in()
    driver.accept_pledge()
    driver.declare_no_conflict()
    driver.elect(EXPERT)
    driver.start()
    view = driver.view()
    items = [c.id for c in view.method.criteria if c.stage == "preliminary"]
    cells = [(bidder.id, item) for bidder in view.bidders for item in items]
    with FaultyLink(server.address) as link:
        yield Session(server, link, tmp_path / "cache", cells)


def verdict(cell: tuple[str, str], passed: bool, note: str = "") -> dict[str, object]:
    bidder_id, criterion_id = cell
    reason = "" if passed else f"资格证明文件缺失 (missing certificate) {note}".strip()
    return {"bidder_id": bidder_id, "criterion_id": criterion_id, "passed": passed, "reason": reason}


def statuses(cache: SessionCache) -> list[OutboxStatus]:
    last = cache.device_state().last_sequence
    items = [cache.outbox_item(sequence) for sequence in range(1, last + 1)]
    return [item.status for item in items if item is not None]


def test_changes_recorded_offline_arrive_in_order_when_the_link_returns(
    session: Session, counter: CallCounter
) -> None:
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    seen: list[SyncStatus] = []
    engine.add_listener(seen.append)
    session.link.cut()
    engine.start()
    try:
        recorded = [(cell, index % 2 == 0) for index, cell in enumerate(session.cells[:6])]
        for cell, passed in recorded:
            engine.record(VERDICT, **verdict(cell, passed))
        wait_until(lambda: engine.status().offline_since is not None, 10, "the engine to find the link down")
        status = engine.status()
        assert not status.connected
        assert status.unsynced == len(recorded)
        assert status.last_error
        assert session.events() == []
        assert seen
        assert seen[-1].unsynced == len(recorded)

        session.link.restore()
        wait_until(lambda: engine.status().unsynced == 0, 15, "the backlog to drain")
        status = engine.status()
        assert status.connected
        assert status.offline_since is None
        assert status.last_error == ""
        assert status.last_sync_at is not None
        assert statuses(cache) == [OutboxStatus.ACKNOWLEDGED] * len(recorded)
        assert session.events() == [(bidder, item, passed) for (bidder, item), passed in recorded]
        assert session.server_position() == len(recorded)
        # The backlog went as a batch (calls made while the link was down never reached the server).
        assert counter.calls[SEND_CHANGES] >= 1
        assert counter.calls[full_method(VERDICT)] == 0
    finally:
        engine.stop(10)
        engine.client.close()
        cache.close()


def test_fifty_link_cuts_lose_and_duplicate_nothing(session: Session) -> None:
    rng = random.Random(20240611)
    cache = session.create_cache()
    # Backoff capped at 0.5 s instead of 5 s: the engine retries often, so cuts land mid-send far more.
    engine = SyncEngine(cache, session.client(cache), session.server.session_id, backoff_max=0.5)
    done = threading.Event()

    def cutter() -> None:
        for _ in range(50):
            if done.wait(rng.uniform(0.02, 0.25)):
                break
            outage = rng.uniform(0.0, 0.3)
            session.link.cut_for(outage)
            time.sleep(outage + 0.02)  # the timer restores the link before the next cut
        done.set()

    local: dict[tuple[str, str], bool] = {}
    outages: list[SyncStatus] = []
    engine.add_listener(lambda status: outages.append(status) if not status.connected else None)
    engine.start()
    cuts = threading.Thread(target=cutter, daemon=True)
    cuts.start()
    try:
        for index in range(150):
            cell = rng.choice(session.cells)
            passed = not local.get(cell, True)  # toggle (every verdict starts as "passed")
            engine.record(VERDICT, **verdict(cell, passed, str(index)))
            local[cell] = passed
            time.sleep(rng.uniform(0.0, 0.18))
        cuts.join(40)
        assert not cuts.is_alive()
        session.link.restore()
        wait_until(lambda: engine.status().unsynced == 0, 20, "every change to be answered")
    finally:
        done.set()
        engine.stop(10)
        engine.client.close()
    assert session.link.cuts == 50
    # The engine really saw the link go, many times.
    assert len({status.offline_since for status in outages} - {None}) >= 5
    assert statuses(cache) == [OutboxStatus.ACKNOWLEDGED] * 150
    assert cache.device_state().last_sequence == 150
    assert session.server_position() == 150
    events = session.events()
    assert len(events) == 150  # exactly once each: no change lost, none applied twice
    expected = [
        (payload.bidder_id, payload.criterion_id, payload.passed)
        for payload in (
            evaluation_service_pb2.RecordPreliminaryVerdictRequest.FromString(item.request)
            for item in (cache.outbox_item(sequence) for sequence in range(1, 151))
            if item is not None
        )
    ]
    assert events == expected  # in the order recorded
    sheet = session.sheet()
    assert {cell: sheet[cell] for cell in local} == local
    cache.close()


def test_a_client_killed_mid_sync_delivers_everything_exactly_once(
    session: Session, monkeypatch: pytest.MonkeyPatch, counter: CallCounter
) -> None:
    # Small batches, so that the kill lands with part of the backlog answered and a batch in flight.
    monkeypatch.setattr(sync, "BATCH_CHANGES", 3)
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    recorded = [(cell, False) for cell in session.cells[:20]]
    for cell, passed in recorded:
        engine.record(VERDICT, **verdict(cell, passed))
    engine.start()
    wait_until(lambda: engine.status().unsynced <= 12, 15, "part of the queue to be sent")
    # The kill: the link dies and the process goes away with changes in flight.
    session.link.cut()
    engine.stop(10)
    engine.client.close()
    # One change reached the server but its answer never came back: sent behind the cache's back.
    lost_answer = cache.pending(1)[0]
    direct = session.server.client(EXPERT, device=DEVICE)
    direct.send(
        VERDICT, evaluation_service_pb2.RecordPreliminaryVerdictRequest.FromString(lost_answer.request)
    )
    cache.close()
    sent_before_restart = session.server_position()
    assert sent_before_restart < len(recorded)

    reopened = session.open_cache()  # a new process: the cache from disk, a Sequencer from its state
    assert reopened.device_state().last_sequence == len(recorded)
    restarted = SyncEngine(reopened, session.client(reopened), session.server.session_id)
    try:
        more = [(cell, True) for cell in session.cells[:3]]
        for cell, passed in more:
            restarted.record(VERDICT, **verdict(cell, passed))
        session.link.restore()
        restarted.start()
        wait_until(lambda: restarted.status().unsynced == 0, 15, "the queue to drain after the restart")
    finally:
        restarted.stop(10)
        restarted.client.close()
    everything = recorded + more
    assert statuses(reopened) == [OutboxStatus.ACKNOWLEDGED] * len(everything)
    assert session.events() == [(bidder, item, passed) for (bidder, item), passed in everything]
    assert session.server_position() == len(everything)
    assert counter.calls[SEND_CHANGES] >= 2  # before the kill and after the restart
    reopened.close()


def test_a_refused_change_is_marked_with_the_servers_message_and_the_queue_moves_on(session: Session) -> None:
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    try:
        first = engine.record(VERDICT, **verdict(session.cells[0], False))
        bidder_id, criterion_id = session.cells[1]
        refused = engine.record(  # a fail without a reason
            VERDICT, bidder_id=bidder_id, criterion_id=criterion_id, passed=False, reason=""
        )
        last = engine.record(VERDICT, **verdict(session.cells[2], False))
        result = engine.sync_once()
    finally:
        engine.client.close()
    assert (result.acknowledged, result.refused, result.remaining, result.ok) == (2, 1, 0, True)
    refused_item = cache.outbox_item(refused)
    assert refused_item is not None
    assert refused_item.status is OutboxStatus.REFUSED
    assert refused_item.error_code == "INVALID_ARGUMENT"
    assert refused_item.error_message is not None
    assert "without a reason" in refused_item.error_message
    assert [cache.outbox_item(n).status for n in (first, last)] == [OutboxStatus.ACKNOWLEDGED] * 2  # type: ignore[union-attr]
    assert session.events() == [(*session.cells[0], False), (*session.cells[2], False)]
    assert session.server_position() == 3  # the refusal used its number up
    cache.close()


def test_changes_the_server_missed_are_sent_again_from_where_it_stands(session: Session) -> None:
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    try:
        for cell in session.cells[:3]:
            engine.record(VERDICT, **verdict(cell, False))
        cache.mark_acknowledged(1, b"")  # as if answered by a server since restored from an older backup
        result = engine.sync_once()
    finally:
        engine.client.close()
    assert result.ok
    assert (result.acknowledged, result.remaining) == (2, 0)
    assert session.events() == [(*cell, False) for cell in session.cells[:3]]
    assert session.server_position() == 3
    cache.close()


def test_the_event_follower_resumes_after_cuts_without_gaps(session: Session) -> None:
    cache = session.create_cache()
    client = session.client(cache)
    follower = EventFollower(cache, client, session.server.session_id, stream_timeout=5)
    other = session.server.client("E02", device="E02-pc2")

    def server_last() -> int:
        return int(session.server.app.read(session.server.session_id, lambda runtime: runtime.last_sequence))

    follower.start()
    try:
        wait_until(lambda: cache.last_event_sequence() == server_last(), 10, "the events so far")
        for index, cell in enumerate(session.cells[:6]):
            if index % 2 == 0:
                session.link.cut_for(0.2)
            other.command(VERDICT, session.server.session_id, **verdict(cell, False))
        wait_until(lambda: cache.last_event_sequence() == server_last(), 15, "the events after the cuts")
    finally:
        follower.stop(10)
        client.close()
    assert [event.sequence for event in cache.events()] == list(range(1, server_last() + 1))
    assert sum(event.kind == "PreliminaryVerdictRecorded" for event in cache.events()) == 6
    cache.close()


def test_a_backlog_of_500_goes_in_batches_in_order(session: Session, counter: CallCounter) -> None:
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    local: dict[tuple[str, str], bool] = {}
    try:
        for index in range(500):
            cell = session.cells[index % len(session.cells)]
            passed = not local.get(cell, True)
            engine.record(VERDICT, **verdict(cell, passed, str(index)))
            local[cell] = passed
        counter.calls.clear()
        result = engine.sync_once()
    finally:
        engine.client.close()
    assert (result.acknowledged, result.refused, result.remaining, result.ok) == (500, 0, 0, True)
    calls = counter.calls[SEND_CHANGES] + counter.calls[full_method(VERDICT)]
    assert calls <= math.ceil(500 / sync.BATCH_CHANGES) + 1
    assert statuses(cache) == [OutboxStatus.ACKNOWLEDGED] * 500
    assert session.server_position() == 500
    assert len(session.events()) == 500
    assert session.sheet() == {cell: local[cell] for cell in session.sheet()}
    cache.close()


def test_a_server_without_batches_gets_one_change_per_call(session: Session, counter: CallCounter) -> None:
    counter.hidden.add(SEND_CHANGES)
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    try:
        for cell in session.cells[:5]:
            engine.record(VERDICT, **verdict(cell, False))
        counter.calls.clear()
        result = engine.sync_once()
    finally:
        engine.client.close()
    assert (result.acknowledged, result.remaining, result.ok) == (5, 0, True)
    assert not engine.batching
    assert counter.calls[SEND_CHANGES] == 1  # asked once, then never again
    assert counter.calls[full_method(VERDICT)] == 5
    assert session.events() == [(*cell, False) for cell in session.cells[:5]]
    cache.close()


def test_changes_the_server_missed_in_the_middle_of_a_batch_are_sent_again(session: Session) -> None:
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    try:
        for cell in session.cells[:8]:
            engine.record(VERDICT, **verdict(cell, False))
        for sequence in (1, 2, 3):  # answered by a server since restored from an older backup
            cache.mark_acknowledged(sequence, b"")
        result = engine.sync_once()
    finally:
        engine.client.close()
    assert result.ok
    assert (result.acknowledged, result.remaining) == (5, 0)
    assert session.events() == [(*cell, False) for cell in session.cells[:8]]
    assert session.server_position() == 8
    cache.close()


def test_a_batch_whose_answer_is_lost_is_sent_again_and_stored_once(
    session: Session, counter: CallCounter
) -> None:
    cache = session.create_cache()
    engine = SyncEngine(cache, session.client(cache), session.server.session_id)
    try:
        for cell in session.cells[:10]:
            engine.record(VERDICT, **verdict(cell, False))
        counter.lose_answers = 1
        lost = engine.sync_once()
        assert lost.offline
        assert (lost.acknowledged, lost.remaining) == (0, 10)
        assert statuses(cache) == [OutboxStatus.SENT] * 10  # nothing in the batch is known
        assert session.server_position() == 10  # yet the server has them all
        again = engine.sync_once()
    finally:
        engine.client.close()
    assert (again.acknowledged, again.remaining, again.ok) == (10, 0, True)
    assert statuses(cache) == [OutboxStatus.ACKNOWLEDGED] * 10
    assert session.events() == [(*cell, False) for cell in session.cells[:10]]  # once each
    cache.close()
