"""Ingest benchmark: score submissions over real gRPC + mutual TLS into the real store.

One run measures three things against the same demo session, driven to the detailed review (详细评审):

* in-process: what the servicer does for a RecordScore (convert, ``EvaluationApp.execute``, SQLite commit
  with ``synchronous=FULL``), called directly: the work minus the network;
* gRPC: the same RecordScore requests over mTLS to ``bideval-server`` running as a subprocess (its own GIL);
* echo: ``DiagnosticsService.Ping`` over the same mTLS channels: the network and gRPC floor.

Each is run with one client thread per expert (5, one device each, for throughput) and with a single
client (for latency); the six workloads are interleaved in rounds, so that load from elsewhere on the
machine during the run affects them alike. Every request changes a score, so every request is a real
state change: one event and one operation record committed. Targets (issue): gRPC throughput ≥ 0.5 ×
in-process throughput, and gRPC p50 latency ≤ 2 × echo p50. The exit status is 0 either way: this is a
measurement.

    .venv/bin/python bench/ingest.py [--ops N] [--rounds R] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient, Endpoint, Sequencer, open_channel, signer_from_pem
from bideval.audit.envelope import open_envelope
from bideval.audit.signing import SoftwareSigner
from bideval.domain.setup import SessionSetup
from bideval.identity.pki import (
    Identity,
    Role,
    cert_from_pem,
    cert_to_pem,
    identity_from_certificate,
    key_to_plain_pem,
)
from bideval.v1 import (
    common_pb2,
    diagnostics_service_pb2,
    diagnostics_service_pb2_grpc,
    evaluation_service_pb2,
    evaluation_service_pb2_grpc,
    session_pb2,
)
from server.application import EvaluationApp
from server.datadir import PASSPHRASE_ENV, DataDir
from server.packages.demo import build_demo_package
from server.packages.manifest import load_package
from server.rpc import convert
from server.rpc.server import TlsMaterial, create_server

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = b"bideval-bench-passphrase"
COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
SUPERVISOR = "S01"
LEADER = "E01"
SCORED_ITEMS = ("T1", "T2", "T3", "T4", "T5", "T6")
METHOD = evaluation_service_pb2.RecordScoreRequest.DESCRIPTOR.full_name
DEFAULT_OPS = 2000
DEFAULT_ROUNDS = 5
THROUGHPUT_TARGET = 0.5  # gRPC ops/s ≥ this × in-process ops/s
LATENCY_TARGET = 2.0  # gRPC p50 ≤ this × echo p50

Call = Callable[[Any], object]


# -- setup ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    cert_pem: bytes
    key_pem: bytes
    identity: Identity


@dataclass(frozen=True)
class Prepared:
    """A closed data directory whose demo session is in the detailed review, and who may call it."""

    data_dir: Path
    session_id: str
    ca_pem: bytes
    people: dict[str, Person]
    bidders: tuple[str, ...]
    items: dict[str, tuple[Decimal, Decimal, Decimal]]  # criterion id -> (min, max, step)


def without_pledge_wait(setup: SessionSetup) -> SessionSetup:
    """The demo setup without the forced-read countdown (as tests/conftest.py does)."""
    rules = dataclasses.replace(setup.method.rules, pledge_countdown_seconds=0)
    return dataclasses.replace(setup, method=dataclasses.replace(setup.method, rules=rules))


def prepare(work: Path) -> Prepared:
    """PKI, the demo session, and check-in … preliminary review through the real API (not timed)."""
    data_dir = DataDir(work / "prepared")
    data_dir.pki.init("bideval bench CA", ["localhost", "127.0.0.1"], PASSPHRASE, 30)
    package = load_package(build_demo_package(work / "package"))
    setup = without_pledge_wait(package.setups[0])
    people = {}
    for person_id, role in [*((e, Role.EXPERT) for e in COMMITTEE), (SUPERVISOR, Role.SUPERVISOR)]:
        cert, key = data_dir.pki.issue(person_id, person_id, role, PASSPHRASE, 30)
        people[person_id] = Person(cert_to_pem(cert), key_to_plain_pem(key), identity_from_certificate(cert))
    ca_pem = data_dir.pki.ca_path.read_bytes()

    store = data_dir.open_store()
    app = EvaluationApp(store, log_signer(data_dir))
    files = {d.id: package.files[(setup.session_id, d.id)] for d in setup.documents}
    app.import_sessions([(setup, files)])
    server, port, _health = create_server(
        app, "127.0.0.1:0", TlsMaterial(*data_dir.pki.load_server(PASSPHRASE)), max_workers=8
    )
    clients = {
        person_id: ApiClient(
            open_channel(Endpoint(f"127.0.0.1:{port}", ca_pem, person.cert_pem, person.key_pem)),
            Sequencer(f"{person_id}-setup", signer_from_pem(person.cert_pem, person.key_pem)),
        )
        for person_id, person in people.items()
    }
    try:
        driver = CommitteeDriver(
            setup.session_id, {e: clients[e] for e in COMMITTEE}, clients[SUPERVISOR], seed=11
        )
        driver.check_in()
        driver.accept_pledge()
        driver.declare_no_conflict()
        driver.elect(LEADER)
        driver.start()
        driver.preliminary()
        view = driver.view()
        if view.phase != common_pb2.PHASE_DETAILED_REVIEW:
            raise RuntimeError(f"setup ended in phase {view.phase}, not the detailed review")
        items = {
            c.id: (Decimal(c.min_points), Decimal(c.max_points), Decimal(c.step))
            for c in view.method.criteria
            if c.id in SCORED_ITEMS
        }
        bidders = tuple(view.preliminary.valid_bidder_ids)
    finally:
        for client in clients.values():
            client.close()
        server.stop(grace=None).wait()
        store.close()
    return Prepared(data_dir.root, setup.session_id, ca_pem, people, bidders, items)


def copy_data_dir(prepared: Prepared, target: Path) -> DataDir:
    shutil.copytree(prepared.data_dir, target)
    return DataDir(target)


# -- the workload -----------------------------------------------------------------------------------------


class Scorer:
    """One expert's RecordScore requests: each one changes a score (alternating grid values)."""

    def __init__(self, prepared: Prepared, expert_id: str) -> None:
        self._prepared = prepared
        self._pairs = [(b, c) for b in prepared.bidders for c in SCORED_ITEMS]
        self._cursor = COMMITTEE.index(expert_id) * 7  # experts start at different sheet rows
        self._values: dict[tuple[str, str], Decimal] = {}

    def requests(self, sequencer: Sequencer, count: int) -> list[evaluation_service_pb2.RecordScoreRequest]:
        built = []
        for _ in range(count):
            bidder_id, criterion_id = self._pairs[self._cursor % len(self._pairs)]
            self._cursor += 1
            _low, high, step = self._prepared.items[criterion_id]
            value = high - step if self._values.get((bidder_id, criterion_id)) == high else high
            self._values[(bidder_id, criterion_id)] = value
            request = evaluation_service_pb2.RecordScoreRequest(
                entry=session_pb2.ScoreEntry(
                    bidder_id=bidder_id, criterion_id=criterion_id, points=str(value)
                )
            )
            sequencer.stamp(request, self._prepared.session_id)  # signed by the client, before timing
            built.append(request)
        return built


@dataclass(frozen=True)
class Client:
    """One client thread: untimed warm-up requests, then the timed ones, each sent with ``call``."""

    call: Call
    warmup: Sequence[Any]
    timed: Sequence[Any]


@dataclass(frozen=True)
class Result:
    name: str
    threads: int
    ops: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def ops_per_second(self) -> float:
        return self.ops / self.seconds

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ops_per_second": self.ops_per_second}


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def run_threads(clients: Sequence[Client], begin: int, end: int) -> tuple[float, list[float]]:
    """Send ``timed[begin:end]`` of every client on its own thread; the clock runs from the common start
    to the last finish. Returns (seconds, latencies)."""
    start = threading.Barrier(len(clients) + 1, timeout=120)

    def work(client: Client) -> list[float]:
        start.wait()
        latencies = []
        for request in client.timed[begin:end]:
            began = time.perf_counter()
            client.call(request)
            latencies.append(time.perf_counter() - began)
        return latencies

    with ThreadPoolExecutor(max_workers=len(clients), thread_name_prefix="client") as pool:
        futures = [pool.submit(work, client) for client in clients]
        start.wait()
        began = time.perf_counter()
        latencies = [latency for future in futures for latency in future.result()]
        seconds = time.perf_counter() - began
    return seconds, latencies


@dataclass
class Measurement:
    """One workload, run in rounds interleaved with the others so that a load change on the machine
    during the run hits every workload alike instead of skewing the ratios."""

    name: str
    clients: list[Client]
    seconds: float = 0.0
    latencies: list[float] = dataclasses.field(default_factory=list)

    def warm_up(self) -> None:
        for client in self.clients:
            for request in client.warmup:
                client.call(request)

    def run_round(self, index: int, rounds: int) -> None:
        per_client = len(self.clients[0].timed)  # every client has the same count (split() ±1 aside)
        size = math.ceil(per_client / rounds)
        seconds, latencies = run_threads(self.clients, index * size, (index + 1) * size)
        self.seconds += seconds
        self.latencies += latencies

    def result(self) -> Result:
        latencies = sorted(self.latencies)
        if len(latencies) != sum(len(c.timed) for c in self.clients):
            raise RuntimeError(f"{self.name}: {len(latencies)} requests timed, not all of them")
        return Result(
            self.name,
            len(self.clients),
            len(latencies),
            self.seconds,
            percentile(latencies, 0.50) * 1e3,
            percentile(latencies, 0.99) * 1e3,
        )


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def warmup_count(ops: int) -> int:
    return max(10, ops // 50)


def score_workloads(
    prepared: Prepared, ops: int, name: str, call_for: Callable[[str], Call]
) -> tuple[Measurement, Measurement]:
    """(5 threads, one device per expert; 1 client on its own device) of RecordScore requests."""
    scorers = {e: Scorer(prepared, e) for e in COMMITTEE}
    clients = []
    for expert_id, count in zip(COMMITTEE, split(ops, len(COMMITTEE)), strict=True):
        sequencer = Sequencer(f"{expert_id}-bench", person_signer(prepared, expert_id))
        warmup = scorers[expert_id].requests(sequencer, warmup_count(count))
        clients.append(Client(call_for(expert_id), warmup, scorers[expert_id].requests(sequencer, count)))
    sequencer = Sequencer(f"{LEADER}-bench-single", person_signer(prepared, LEADER))
    warmup = scorers[LEADER].requests(sequencer, warmup_count(ops))
    single = Client(call_for(LEADER), warmup, scorers[LEADER].requests(sequencer, ops))
    return Measurement(name, clients), Measurement(name, [single])


def requests_sent(measurements: Sequence[Measurement]) -> int:
    return sum(len(c.warmup) + len(c.timed) for m in measurements for c in m.clients)


def check_events(got: int, expected: int, where: str) -> None:
    if got != expected:
        raise RuntimeError(f"{where}: {expected} score changes stored {got} events")


# -- (a) in-process ---------------------------------------------------------------------------------------


def in_process_call(app: EvaluationApp, caller: Identity, certificate: x509.Certificate) -> Call:
    """What the RecordScore servicer does, minus gRPC (server/rpc/servicers.py ``_run_command``)."""

    def call(request: evaluation_service_pb2.RecordScoreRequest) -> object:
        change = open_envelope(request, certificate)
        outcome = app.execute(
            caller,
            certificate,
            convert.meta_from_proto(request.meta),
            METHOD,
            change,
            lambda: convert.record_score(request),
        )
        return evaluation_service_pb2.RecordScoreResponse(outcome=convert.outcome_to_proto(outcome))

    return call


def log_signer(data_dir: DataDir) -> SoftwareSigner:
    certificate, private_key, _ca = data_dir.pki.load_server(PASSPHRASE)
    return signer_from_pem(certificate, private_key)


def person_signer(prepared: Prepared, person_id: str) -> SoftwareSigner:
    person = prepared.people[person_id]
    return signer_from_pem(person.cert_pem, person.key_pem)


class InProcess:
    """The application on its own copy of the data directory, in this process."""

    def __init__(self, prepared: Prepared, work: Path, ops: int) -> None:
        data_dir = copy_data_dir(prepared, work / "in-process")
        self._store = data_dir.open_store()
        self.app = EvaluationApp(self._store, log_signer(data_dir))
        self._session_id = prepared.session_id
        self._before = self.last_sequence()
        self.measurements = score_workloads(
            prepared,
            ops,
            "in-process execute",
            lambda expert_id: in_process_call(
                self.app,
                prepared.people[expert_id].identity,
                cert_from_pem(prepared.people[expert_id].cert_pem),
            ),
        )

    def last_sequence(self) -> int:
        return self.app.runtime(self._session_id).last_sequence

    def check(self) -> None:
        check_events(self.last_sequence() - self._before, requests_sent(self.measurements), "in-process")

    def close(self) -> None:
        self._store.close()


# -- (b) gRPC and (c) echo --------------------------------------------------------------------------------


class ServerProcess:
    """``python -m server.main`` on a free loopback port, with its own interpreter (and GIL)."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        env = {**os.environ, PASSPHRASE_ENV: PASSPHRASE.decode()}
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.main", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        watchdog = threading.Timer(60, self.process.kill)
        watchdog.start()
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        watchdog.cancel()
        match = re.search(r"listening on (\S+:\d+)", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"server did not start (see {log_path}): {line!r}")
        self.address = match.group(1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class Remote:
    """The server as a subprocess on its own copy of the data directory, and one mTLS channel per person."""

    def __init__(self, prepared: Prepared, work: Path, ops: int) -> None:
        self._session_id = prepared.session_id
        self.server = ServerProcess(copy_data_dir(prepared, work / "grpc").root, work / "server-stderr.log")
        self.channels: dict[str, grpc.Channel] = {}
        for person_id in (*COMMITTEE, SUPERVISOR):
            person = prepared.people[person_id]
            self.channels[person_id] = open_channel(
                Endpoint(self.server.address, prepared.ca_pem, person.cert_pem, person.key_pem)
            )
        self._before = self.last_sequence()

        def record(expert_id: str) -> Call:
            stub = evaluation_service_pb2_grpc.EvaluationServiceStub(self.channels[expert_id])
            return lambda request: stub.RecordScore(request, timeout=30)

        self.scores = score_workloads(prepared, ops, "gRPC RecordScore", record)

        # The echo carries as many bytes as a score request, over the same channels.
        ping = diagnostics_service_pb2.PingRequest(
            payload=b"x" * self.scores[0].clients[0].timed[0].ByteSize()
        )

        def echo(expert_id: str, count: int) -> Client:
            stub = diagnostics_service_pb2_grpc.DiagnosticsServiceStub(self.channels[expert_id])
            return Client(
                lambda request: stub.Ping(request, timeout=30),
                [ping] * warmup_count(count),
                [ping] * count,
            )

        self.echoes = (
            Measurement(
                "echo Ping",
                [echo(e, n) for e, n in zip(COMMITTEE, split(ops, len(COMMITTEE)), strict=True)],
            ),
            Measurement("echo Ping", [echo(LEADER, ops)]),
        )

    def last_sequence(self) -> int:
        stub = evaluation_service_pb2_grpc.EvaluationServiceStub(self.channels[SUPERVISOR])
        request = evaluation_service_pb2.GetSessionRequest(session_id=self._session_id)
        return int(stub.GetSession(request, timeout=30).session.last_sequence)

    def check(self) -> None:
        check_events(self.last_sequence() - self._before, requests_sent(self.scores), "gRPC")

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.server.stop()


def measure(prepared: Prepared, work: Path, ops: int, rounds: int) -> list[Result]:
    """Warm every workload up, then run ``rounds`` rounds of all six, each round a slice of the requests."""
    with contextlib.ExitStack() as stack:
        local = InProcess(prepared, work, ops)
        stack.callback(local.close)
        remote = Remote(prepared, work, ops)
        stack.callback(remote.close)
        # Throughput rows first, then latency rows: in the table's order.
        order = [local.measurements[0], remote.scores[0], remote.echoes[0]]
        order += [local.measurements[1], remote.scores[1], remote.echoes[1]]
        for measurement in order:
            measurement.warm_up()
        for index in range(rounds):
            for measurement in order:
                measurement.run_round(index, rounds)
        local.check()
        remote.check()
        return [m.result() for m in order]


# -- context: the fsync floor -----------------------------------------------------------------------------


def fsync_p50_ms(directory: Path, samples: int = 200) -> float:
    """Median time of one fsync of a freshly appended page where the databases live."""
    path = directory / "fsync-probe"
    timings = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(samples):
            os.write(fd, b"\0" * 4096)
            began = time.perf_counter()
            os.fsync(fd)
            timings.append(time.perf_counter() - began)
    finally:
        os.close(fd)
        path.unlink()
    return percentile(sorted(timings), 0.5) * 1e3


# -- report -----------------------------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def report(results: list[Result], fsync_ms: float, setup_seconds: float) -> dict[str, Any]:
    by_key = {(r.name, r.threads): r for r in results}
    threads = len(COMMITTEE)
    throughput_ratio = (
        by_key["gRPC RecordScore", threads].ops_per_second
        / by_key["in-process execute", threads].ops_per_second
    )
    latency_ratio = by_key["gRPC RecordScore", 1].p50_ms / by_key["echo Ping", 1].p50_ms

    print()
    print(f"{'workload':<22}{'threads':>8}{'ops':>8}{'seconds':>10}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for r in results:
        print(
            f"{r.name:<22}{r.threads:>8}{r.ops:>8}{r.seconds:>10.2f}{r.ops_per_second:>10.0f}"
            f"{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
        )
    print()
    print(f"fsync p50 in the data directory: {fsync_ms:.2f} ms (every acknowledged score waits for one)")
    throughput_pass = throughput_ratio >= THROUGHPUT_TARGET
    latency_pass = latency_ratio <= LATENCY_TARGET
    print(
        f"throughput  gRPC/in-process ({threads} threads): {throughput_ratio:.2f}  "
        f"(target ≥ {THROUGHPUT_TARGET:.2f})  {verdict(throughput_pass)}"
    )
    print(
        f"latency     gRPC p50/echo p50 (1 thread):    {latency_ratio:.2f}  "
        f"(target ≤ {LATENCY_TARGET:.2f})  {verdict(latency_pass)}"
    )
    return {
        "results": [r.to_json() for r in results],
        "throughput_ratio": throughput_ratio,
        "throughput_target": THROUGHPUT_TARGET,
        "throughput_pass": throughput_pass,
        "latency_ratio": latency_ratio,
        "latency_target": LATENCY_TARGET,
        "latency_pass": latency_pass,
        "fsync_p50_ms": fsync_ms,
        "setup_seconds": setup_seconds,
        "python": platform.python_version(),
        "grpc": grpc.__version__,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--ops",
        type=int,
        default=DEFAULT_OPS,
        help=f"timed requests per measurement (split over the threads; default {DEFAULT_OPS})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"interleave the workloads in this many rounds (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--tmp-dir", type=Path, help="where the temporary data directories go")
    args = parser.parse_args(argv)
    if args.ops < len(COMMITTEE) * args.rounds or args.rounds < 1:
        parser.error(f"--ops must be at least {len(COMMITTEE)} × --rounds, and --rounds at least 1")

    work = Path(tempfile.mkdtemp(prefix="bideval-bench-", dir=args.tmp_dir))
    try:
        began = time.perf_counter()
        print(f"setting up the demo session in {work} …", flush=True)
        prepared = prepare(work)
        setup_seconds = time.perf_counter() - began
        print(f"ready in {setup_seconds:.1f} s; {args.ops} timed requests per measurement", flush=True)
        results = measure(prepared, work, args.ops, args.rounds)
        summary = report(results, fsync_p50_ms(work), setup_seconds)
        summary["ops"] = args.ops
        summary["rounds"] = args.rounds
        if args.json is not None:
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {args.json}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
