"""SIGKILL the real server process while five experts write, restart it, and check that nothing
acknowledged was lost, nothing was stored twice, and the database is intact."""

from __future__ import annotations

import os
import re
import select
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import grpc
import pytest
from google.protobuf.message import Message

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from bideval.identity.pki import Role, cert_to_pem, key_to_plain_pem
from bideval.v1 import common_pb2, evaluation_service_pb2
from server.datadir import PASSPHRASE_ENV, DataDir
from server.packages.manifest import LoadedPackage
from server.storage.database import sqlite_url
from server.storage.store import Store
from tests.conftest import without_pledge_wait

pytestmark = pytest.mark.slow

ev = evaluation_service_pb2
REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = b"durability-test-passphrase"
COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
PRELIMINARY_ITEMS = ("F1", "F2", "F3", "Q1", "Q2", "Q3", "Q4", "Q5", "R1", "R2", "R3", "R4", "R5")
BIDDERS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07")
CELLS = [(bidder, item) for bidder in BIDDERS for item in PRELIMINARY_ITEMS]
# Acknowledged writes to wait for before each SIGKILL (the second round kills at another point).
KILL_AFTER = (300, 220)
START_TIMEOUT = 30.0


# -- the server process -----------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    address: str

    def stop(self, kill: bool) -> None:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(data_dir: Path, log: IO[str]) -> ServerProcess:
    env = {key: value for key, value in os.environ.items() if key != "BIDEVAL_DATABASE_URL"}
    env[PASSPHRASE_ENV] = PASSPHRASE.decode()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.main", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    running = ServerProcess(process, "")
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    line = ""
    while not line and time.monotonic() < deadline and process.poll() is None:
        readable, _, _ = select.select([process.stdout], [], [], 0.2)
        if readable:
            line = process.stdout.readline()
    match = re.fullmatch(r"bideval-server listening on (\S+)\n", line)
    if match is None:
        running.stop(kill=True)
        raise AssertionError(f"the server did not start (stdout {line!r}); see {log.name}")
    running.address = match.group(1)
    return running


def prepare_data_dir(root: Path, package: LoadedPackage) -> dict[str, tuple[bytes, bytes]]:
    """A real data directory: PKI, the demo session (no pledge countdown), and everyone's credentials."""
    data_dir = DataDir(root)
    data_dir.pki.init("durability test CA", ["localhost", "127.0.0.1"], PASSPHRASE, 30)
    setup = without_pledge_wait(package.setups[0])
    store = Store.open(sqlite_url(root), data_dir.blobs)
    try:
        files = {d.id: package.files[(setup.session_id, d.id)] for d in setup.documents}
        store.import_sessions([(setup, files)], now=datetime.now(UTC))
    finally:
        store.close()
    people = [(person, Role.EXPERT) for person in COMMITTEE] + [("S01", Role.SUPERVISOR)]
    credentials = {}
    for person, role in people:
        cert, key = data_dir.pki.issue(person, person, role, PASSPHRASE, 30)
        credentials[person] = (cert_to_pem(cert), key_to_plain_pem(key))
    return credentials


def integrity(root: Path) -> str:
    with closing(sqlite3.connect(root / "bideval.sqlite3")) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


# -- the writers ------------------------------------------------------------------------------------------


@dataclass
class Writer:
    """One expert's device: every acknowledged request with its answer, and the one in doubt."""

    person: str
    sequencer: Sequencer
    acked: list[tuple[Message, Any]] = field(default_factory=list)
    in_doubt: list[Message] = field(default_factory=list)
    failure: BaseException | None = None
    writes: Counter[tuple[str, str]] = field(default_factory=Counter)
    position: int = 0

    def next_request(self, client: ApiClient, session_id: str) -> Message:
        # Walk the cells from a different start per expert; each visit flips the verdict.
        offset = COMMITTEE.index(self.person) * 17
        bidder, item = CELLS[(offset + self.position * 7) % len(CELLS)]
        self.position += 1
        count = self.writes[(bidder, item)]
        self.writes[(bidder, item)] += 1
        passed = count % 2 == 1
        reason = "" if passed else f"{self.person} 第{self.position}次: {item} 不符合要求"
        return client.build(
            "RecordPreliminaryVerdict",
            session_id,
            bidder_id=bidder,
            criterion_id=item,
            passed=passed,
            reason=reason,
        )


@dataclass
class AckCounter:
    target: int
    reached: threading.Event = field(default_factory=threading.Event)
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self) -> None:
        with self.lock:
            self.count += 1
            if self.count >= self.target:
                self.reached.set()


def write_until_failure(
    writer: Writer, client: ApiClient, session_id: str, acks: AckCounter, killed: threading.Event
) -> None:
    try:
        while True:
            request = writer.next_request(client, session_id)
            try:
                response = client.send("RecordPreliminaryVerdict", request)
            except grpc.RpcError:
                if not killed.is_set():
                    raise
                writer.in_doubt.append(request)  # sent or not, answered or not: we cannot know
                return
            writer.acked.append((request, response))
            acks.add()
    except BaseException as error:  # noqa: BLE001 - reported by the test
        writer.failure = error
        acks.reached.set()


def client_for(
    address: str, ca_pem: bytes, credential: tuple[bytes, bytes], sequencer: Sequencer
) -> ApiClient:
    return ApiClient(open_channel(Endpoint(address, ca_pem, *credential)), sequencer)


def read_event_sequences(client: ApiClient, session_id: str, count: int) -> list[tuple[int, str, str]]:
    stream = client.evaluation.SubscribeEvents(
        ev.SubscribeEventsRequest(session_id=session_id, after_sequence=0), timeout=30
    )
    events = []
    for response in stream:
        events.append((response.event.sequence, response.event.kind, response.event.actor_id))
        if len(events) == count:
            stream.cancel()
            break
    return events


def last_sequence(client: ApiClient, session_id: str) -> int:
    view = client.evaluation.GetSession(ev.GetSessionRequest(session_id=session_id), timeout=10)
    return int(view.session.last_sequence)


def expected_sheet(writer: Writer) -> dict[tuple[str, str], tuple[bool, str]]:
    """Per cell, the last value the device wrote: acknowledged or settled after a restart, in device order."""
    requests: list[Any] = sorted(
        [request for request, _response in writer.acked] + writer.in_doubt,
        key=lambda request: request.meta.client_sequence,
    )
    return {(r.bidder_id, r.criterion_id): (r.passed, r.reason) for r in requests}


# -- the test ---------------------------------------------------------------------------------------------


def test_sigkill_loses_no_acknowledged_write(tmp_path: Path, demo_package: LoadedPackage) -> None:
    root = tmp_path / "data"
    credentials = prepare_data_dir(root, demo_package)
    ca_pem = DataDir(root).pki.ca_path.read_bytes()
    session_id = demo_package.setups[0].session_id
    writers = {
        person: Writer(person, Sequencer(f"{person}-room-pc", signer_from_pem(*credentials[person])))
        for person in COMMITTEE
    }
    supervisor_sequencer = Sequencer("S01-console", signer_from_pem(*credentials["S01"]))
    driver_sequencers = {
        person: Sequencer(f"{person}-driver", signer_from_pem(*credentials[person])) for person in COMMITTEE
    }
    written_from = 0

    with (tmp_path / "server.log").open("a", encoding="utf-8") as log:
        server = start_server(root, log)
        clients: list[ApiClient] = []
        try:
            experts = {
                p: client_for(server.address, ca_pem, credentials[p], driver_sequencers[p]) for p in COMMITTEE
            }
            supervisor = client_for(server.address, ca_pem, credentials["S01"], supervisor_sequencer)
            clients += [*experts.values(), supervisor]
            driver = CommitteeDriver(session_id, experts, supervisor)
            driver.check_in()
            driver.accept_pledge()
            driver.declare_no_conflict()
            driver.elect("E03")
            driver.start()
            assert driver.view().phase == common_pb2.PHASE_PRELIMINARY_REVIEW
            written_from = last_sequence(supervisor, session_id)

            for round_number, kill_after in enumerate(KILL_AFTER, start=1):
                # Five experts write concurrently until the server dies under them.
                acks = AckCounter(kill_after)
                killed = threading.Event()
                writer_clients = {
                    p: client_for(server.address, ca_pem, credentials[p], writers[p].sequencer)
                    for p in COMMITTEE
                }
                clients += writer_clients.values()
                threads = [
                    threading.Thread(
                        target=write_until_failure,
                        args=(writers[p], writer_clients[p], session_id, acks, killed),
                        name=f"writer-{p}",
                    )
                    for p in COMMITTEE
                ]
                for thread in threads:
                    thread.start()
                assert acks.reached.wait(timeout=60), f"round {round_number}: only {acks.count} acks"
                killed.set()
                server.stop(kill=True)
                for thread in threads:
                    thread.join(timeout=30)
                assert not any(thread.is_alive() for thread in threads)
                assert [w.failure for w in writers.values()] == [None] * len(COMMITTEE)
                assert acks.count >= kill_after
                for client in clients:
                    client.close()
                clients.clear()
                assert integrity(root) == "ok"  # the database as the crash left it

                server = start_server(root, log)
                observer = client_for(server.address, ca_pem, credentials["S01"], supervisor_sequencer)
                clients.append(observer)
                last = last_sequence(observer, session_id)
                experts_now = {
                    p: client_for(server.address, ca_pem, credentials[p], writers[p].sequencer)
                    for p in COMMITTEE
                }
                clients += experts_now.values()

                # Every acknowledged request answers as it did the first time, and adds nothing.
                for person, writer in writers.items():
                    for request, response in writer.acked:
                        assert experts_now[person].send("RecordPreliminaryVerdict", request) == response
                assert last_sequence(observer, session_id) == last

                # The request in flight at the kill either was stored (and answers again) or runs now, once.
                executed_now = 0
                for person, writer in writers.items():
                    assert len(writer.in_doubt) == round_number, f"{person}: {writer.in_doubt}"
                    pending = writer.in_doubt[-1]
                    answer = experts_now[person].send("RecordPreliminaryVerdict", pending)
                    if answer.outcome.last_sequence > last:
                        executed_now += 1
                    assert experts_now[person].send("RecordPreliminaryVerdict", pending) == answer
                final = last_sequence(observer, session_id)
                assert final == last + executed_now

                # The events are 1..n, once each; each expert's are exactly their writes.
                events = read_event_sequences(observer, session_id, final)
                assert [sequence for sequence, _kind, _actor in events] == list(range(1, final + 1))
                written = events[written_from:]
                assert {kind for _sequence, kind, _actor in written} == {"PreliminaryVerdictRecorded"}
                by_actor = Counter(actor for _sequence, _kind, actor in written)
                for person, writer in writers.items():
                    assert by_actor[person] == len(writer.acked) + len(writer.in_doubt), person
                    mine = {sequence for sequence, _kind, actor in written if actor == person}
                    assert {response.outcome.last_sequence for _request, response in writer.acked} <= mine

                # Each expert's own sheet shows, per cell, the last value written.
                for person, writer in writers.items():
                    sheets = experts_now[person].evaluation.GetSheets(
                        ev.GetSheetsRequest(session_id=session_id), timeout=10
                    )
                    own = next(sheet for sheet in sheets.sheets if sheet.expert_id == person)
                    shown = {(v.bidder_id, v.criterion_id): (v.passed, v.reason) for v in own.verdicts}
                    assert shown == expected_sheet(writer)
        finally:
            for client in clients:
                client.close()
            server.stop(kill=False)
    assert server.process.returncode == 0  # the last one was stopped gracefully (SIGTERM)
    assert integrity(root) == "ok"
