"""Audit benchmark: the audit log's append and verify throughput, and what signing costs a score submission.

One run measures, against baselines measured in the same run and interleaved with them in rounds:

* raw SHA-256 over realistic audit entries (per entry, and in one stream over their concatenation), and
  ECDSA P-256 and Ed25519 sign/verify rates: what the log work is made of;
* ``MerkleTree.append`` and ``AuditLog.append`` (the latter also signs a tree head per entry);
* ``verify_log`` over a whole log of ``--entries`` entries (default 1,000,000), streamed, against per-entry
  SHA-256 over the same bytes;
* signed against unsigned ingest, in process on SQLite, on the demo session driven to the detailed review
  (详细评审): signed = what the RecordScore servicer does (``open_envelope``: signature and content checks,
  then ``EvaluationApp.execute``) on requests the client signed with ``Sequencer.stamp``; unsigned = the same
  ``execute`` with a ``SignedChange`` built without creating or checking any signature.

Targets (issue): log verification ≥ 0.5 × the raw SHA-256 rate for the same bytes; signed ingest costs
≤ 1.5 × unsigned. The exit status is 0 either way: this is a measurement.

    .venv/bin/python bench/audit.py [--entries N] [--requests N] [--rounds R] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import resource
import shutil
import ssl
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

import cryptography
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from ingest import (
    METHOD,
    Prepared,
    Scorer,
    fsync_p50_ms,
    log_signer,
    percentile,
    person_signer,
    prepare,
    verdict,
)

from app.services.connection import Sequencer
from bideval.audit.entries import Entry, EntryKind, event_digest, sign_tree_head, verify_tree_head
from bideval.audit.envelope import SignedChange, open_envelope, payload_bytes
from bideval.audit.merkle import MerkleTree, verify_log
from bideval.audit.signing import certificate_der
from bideval.identity.pki import cert_from_pem
from bideval.v1 import common_pb2, evaluation_service_pb2
from server.application import EvaluationApp
from server.audit_log import AuditLog
from server.datadir import DataDir
from server.rpc import convert

DEFAULT_ENTRIES = 1_000_000
DEFAULT_APPENDS = 20_000
DEFAULT_REQUESTS = 2000
DEFAULT_ROUNDS = 5
CRYPTO_OPS = 3000  # sign and verify operations per algorithm, over all rounds
POOL_SIZE = 8192  # distinct realistic entries; the log streams them over and over
WARMUP = 20  # untimed requests per ingest workload
VERIFY_TARGET = 0.5  # verify_log MB/s ≥ this × raw per-entry SHA-256 MB/s over the same bytes
SIGNED_TARGET = 1.5  # signed ingest cost per request ≤ this × unsigned
SIGNED_EXPERT = "E01"
UNSIGNED_EXPERT = "E02"  # another sheet, so the two workloads never undo each other's scores


# -- realistic audit entries ------------------------------------------------------------------------------


def build_entries(prepared: Prepared, count: int) -> list[Entry]:
    """``count`` audit entries of accepted RecordScore changes, as the server writes them.

    Each carries a real envelope (the expert's ECDSA signature) and payload, and the digests of two events.
    """
    signer = person_signer(prepared, SIGNED_EXPERT)
    sequencer = Sequencer(f"{SIGNED_EXPERT}-bench-log", signer)
    requests = Scorer(prepared, SIGNED_EXPERT).requests(sequencer, count)
    start = datetime(2025, 6, 3, 9, 0, tzinfo=UTC)
    entries = []
    for index, request in enumerate(requests):
        change = open_envelope(request, signer.certificate)
        at = start + timedelta(milliseconds=370 * index)
        first = 600 + 2 * index
        score = json.dumps({"bidder": request.entry.bidder_id, "points": request.entry.points})
        events = tuple(
            (sequence, event_digest(prepared.session_id, sequence, "ScoreRecorded", SIGNED_EXPERT, at, score))
            for sequence in (first, first + 1)
        )
        entries.append(
            Entry(
                index=index,
                kind=EntryKind.CHANGE,
                at=at,
                actor_id=SIGNED_EXPERT,
                role="expert",
                session_id=prepared.session_id,
                method=METHOD,
                device_id=sequencer.device_id,
                client_sequence=request.meta.client_sequence,
                client_time=request.meta.client_time.ToDatetime(tzinfo=UTC),
                envelope=change.envelope,
                payload=change.payload,
                signer_certificate_sha256=change.signer_certificate_sha256.hex(),
                events=events,
            )
        )
    return entries


class Log:
    """A log of ``size`` entries: the pool of distinct leaves repeated, streamed, never held whole."""

    def __init__(self, leaves: list[bytes], size: int) -> None:
        self.leaves = leaves
        self.size = size
        self._prefix = [0, *itertools.accumulate(len(leaf) for leaf in leaves)]
        self.joined = b"".join(leaves)
        self.tail = b"".join(leaves[: size % len(leaves)])

    def stream(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Leaves ``start … end-1``, rotated so that nothing is skipped while the clock runs."""
        end = self.size if end is None else end
        offset = start % len(self.leaves)
        rotated = self.leaves[offset:] + self.leaves[:offset]
        return itertools.islice(itertools.cycle(rotated), end - start)

    def bytes_before(self, position: int) -> int:
        cycles, rest = divmod(position, len(self.leaves))
        return cycles * self._prefix[-1] + self._prefix[rest]

    @property
    def total_bytes(self) -> int:
        return self.bytes_before(self.size)


# -- measurements -----------------------------------------------------------------------------------------


@dataclass
class Row:
    """One workload's operations, bytes and seconds, summed over the rounds."""

    name: str
    ops: int = 0
    nbytes: int = 0
    seconds: float = 0.0

    def add(self, ops: int, nbytes: int, seconds: float) -> None:
        self.ops += ops
        self.nbytes += nbytes
        self.seconds += seconds

    @property
    def ops_per_second(self) -> float:
        return self.ops / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.nbytes / 1e6 / self.seconds

    @property
    def us_per_op(self) -> float:
        return self.seconds / self.ops * 1e6

    def to_json(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "ops_per_second": self.ops_per_second,
            "mb_per_second": self.mb_per_second if self.nbytes else None,
            "us_per_op": self.us_per_op,
        }


def timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def hash_each(entries: Iterator[bytes]) -> None:
    """The raw rate: one SHA-256 per entry, nothing else."""
    for data in entries:
        sha256(data).digest()


def hash_concatenation(log: Log) -> bytes:
    """SHA-256 over all entries back to back, fed in pool-sized (≈ 9 MB) buffers."""
    digest = sha256()
    for _ in range(log.size // len(log.leaves)):
        digest.update(log.joined)
    digest.update(log.tail)
    return digest.digest()


def append_each(tree: MerkleTree, entries: Iterator[bytes]) -> None:
    append = tree.append
    for data in entries:
        append(data)


def bounds(total: int, rounds: int, index: int) -> tuple[int, int]:
    return total * index // rounds, total * (index + 1) // rounds


class LogBench:
    """Hashing, signatures, appends and full-log verification, one round at a time."""

    def __init__(self, log: Log, entries: list[Entry], appends: int, prepared: Prepared) -> None:
        self.log = log
        self.rows = {
            name: Row(name)
            for name in (
                "SHA-256 per entry (raw)",
                "SHA-256 one stream (concatenation)",
                "verify_log (full log)",
                "MerkleTree.append",
                "AuditLog.append (+ signed head)",
                "ECDSA P-256 sign",
                "ECDSA P-256 verify",
                "Ed25519 sign",
                "Ed25519 verify",
            )
        }
        self.tree = MerkleTree()
        self.log_signer = log_signer(DataDir(prepared.data_dir))
        self.audit_log = AuditLog(self.log_signer, [], None)
        self.audit_entries = [dataclasses.replace(entries[i % len(entries)], index=i) for i in range(appends)]
        self.roots: set[bytes] = set()
        self.round_ratios: list[float] = []  # verify_log rate / raw rate, per round
        # What a client signs per change: an envelope header (≈ 200 bytes).
        self.message = common_pb2.SignedEnvelope.FromString(entries[0].envelope).header
        self.ecdsa = ec.generate_private_key(ec.SECP256R1())
        self.ed25519 = ed25519.Ed25519PrivateKey.generate()

    def run_round(self, index: int, rounds: int) -> None:
        log, rows = self.log, self.rows
        # Full passes over the whole log: the verification and its baselines hash the same bytes. The
        # order flips every round, so that a slow spell of the machine does not always hit the same one.
        passes: list[tuple[str, Callable[[], object]]] = [
            ("SHA-256 per entry (raw)", lambda: hash_each(log.stream())),
            ("SHA-256 one stream (concatenation)", lambda: hash_concatenation(log)),
            ("verify_log (full log)", lambda: self.roots.add(verify_log(log.stream()))),
        ]
        took = {}
        for name, work in passes[:: -1 if index % 2 else 1]:
            took[name] = timed(work)
            rows[name].add(log.size, log.total_bytes, took[name])
        self.round_ratios.append(took["SHA-256 per entry (raw)"] / took["verify_log (full log)"])

        # Appends: each round appends the next slice, so the tree ends up holding the whole log.
        start, end = bounds(log.size, rounds, index)
        leaves = log.stream(start, end)
        seconds = timed(lambda: append_each(self.tree, leaves))
        rows["MerkleTree.append"].add(end - start, log.bytes_before(end) - log.bytes_before(start), seconds)
        start, end = bounds(len(self.audit_entries), rounds, index)
        self._audit_appends(self.audit_entries[start:end])

        start, end = bounds(CRYPTO_OPS, rounds, index)
        self._signatures(end - start)

    def _audit_appends(self, entries: Sequence[Entry]) -> None:
        append = self.audit_log.append
        nbytes = 0
        began = time.perf_counter()
        for entry in entries:
            nbytes += len(append(entry, entry.at).leaf)
        self.rows["AuditLog.append (+ signed head)"].add(len(entries), nbytes, time.perf_counter() - began)

    def _signatures(self, count: int) -> None:
        message, rows = self.message, self.rows
        ecdsa, ecdsa_public, algorithm = self.ecdsa, self.ecdsa.public_key(), ec.ECDSA(hashes.SHA256())
        ed, ed_public = self.ed25519, self.ed25519.public_key()
        ecdsa_signature, ed_signature = ecdsa.sign(message, algorithm), ed.sign(message)
        loops: list[tuple[str, Callable[[], object]]] = [
            ("ECDSA P-256 sign", lambda: ecdsa.sign(message, algorithm)),
            ("ECDSA P-256 verify", lambda: ecdsa_public.verify(ecdsa_signature, message, algorithm)),
            ("Ed25519 sign", lambda: ed.sign(message)),
            ("Ed25519 verify", lambda: ed_public.verify(ed_signature, message)),
        ]
        for name, operation in loops:
            began = time.perf_counter()
            for _ in range(count):
                operation()
            rows[name].add(count, 0, time.perf_counter() - began)

    def check(self) -> None:
        """Every pass found the same root, the root of the appended tree, and the log key's head verifies."""
        if self.roots != {self.tree.root()} or self.tree.size != self.log.size:
            raise RuntimeError("verify_log and MerkleTree disagree about the root of the log")
        head = sign_tree_head(self.log_signer, self.tree.size, self.tree.root(), datetime.now(UTC))
        verify_tree_head(head, self.log_signer.certificate)


# -- signed and unsigned ingest ---------------------------------------------------------------------------

Request = evaluation_service_pb2.RecordScoreRequest


class TimedSequencer(Sequencer):
    """``Sequencer.stamp`` with a stopwatch: the client's cost of numbering and signing a change."""

    seconds = 0.0

    def stamp(self, request: Message, session_id: str, client_time: datetime | None = None) -> None:
        began = time.perf_counter()
        super().stamp(request, session_id, client_time)
        self.seconds += time.perf_counter() - began


class UnsignedSequencer(TimedSequencer):
    """What ``Sequencer.stamp`` does without ``seal``: numbered and timestamped, not signed."""

    def stamp(self, request: Message, session_id: str, client_time: datetime | None = None) -> None:
        began = time.perf_counter()
        stamp = Timestamp()
        stamp.FromDatetime(client_time or datetime.now(UTC))
        meta = request.meta  # type: ignore[attr-defined]
        with self._lock:
            meta.CopyFrom(
                common_pb2.CommandMeta(
                    session_id=session_id,
                    operation_id=str(uuid.uuid4()),
                    device_id=self.device_id,
                    client_sequence=self._last + 1,
                    client_time=stamp,
                )
            )
            self._last += 1
        self.seconds += time.perf_counter() - began


class UnsignedChanges:
    """The server's side of an unsigned request: a ``SignedChange`` without any signature, chained to the
    device's previous change by the hash of its payload so that ``execute`` accepts it."""

    def __init__(self, certificate: x509.Certificate) -> None:
        self._certificate_sha256 = sha256(certificate_der(certificate)).digest()
        self._previous = b""  # the device's last change, as the server knows it

    def __call__(self, request: Request) -> SignedChange:
        payload = payload_bytes(request)
        change = SignedChange(
            envelope=b"",
            envelope_sha256=sha256(payload).digest(),
            previous_envelope_sha256=self._previous,
            payload=payload,
            signer_certificate_sha256=self._certificate_sha256,
        )
        self._previous = change.envelope_sha256
        return change


@dataclass
class IngestResult:
    name: str
    requests: int
    client_seconds: float  # stamping (and signing) on the client
    envelope_seconds: float  # open_envelope, or building the unsigned change
    server_seconds: float  # envelope + execute + answer: what the servicer does
    server_p50_us: float
    server_p99_us: float

    def _us(self, seconds: float) -> float:
        return seconds / self.requests * 1e6

    @property
    def client_us(self) -> float:
        return self._us(self.client_seconds)

    @property
    def envelope_us(self) -> float:
        return self._us(self.envelope_seconds)

    @property
    def server_us(self) -> float:
        return self._us(self.server_seconds)

    @property
    def end_to_end_us(self) -> float:
        return self.client_us + self.server_us

    def to_json(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "client_us": self.client_us,
            "envelope_us": self.envelope_us,
            "server_us": self.server_us,
            "end_to_end_us": self.end_to_end_us,
        }


class IngestWorkload:
    """One expert on one device: the client stamps a slice of requests, the server runs them one by one,
    doing what the RecordScore servicer does (server/rpc/servicers.py ``_run_command``) minus gRPC."""

    def __init__(
        self,
        name: str,
        app: EvaluationApp,
        prepared: Prepared,
        expert_id: str,
        sequencer: TimedSequencer,
        envelope: Callable[[Request], SignedChange],
    ) -> None:
        self.name = name
        self.app = app
        self.caller = prepared.people[expert_id].identity
        self.certificate = cert_from_pem(prepared.people[expert_id].cert_pem)
        self.scorer = Scorer(prepared, expert_id)
        self.sequencer = sequencer
        self.envelope = envelope
        self.sent = 0
        self.envelope_seconds = 0.0
        self.latencies: list[float] = []

    def build(self, count: int) -> list[Request]:
        """The client's side: numbered and (for the signed workload) signed, timed by the sequencer."""
        return self.scorer.requests(self.sequencer, count)

    def send(self, request: Request) -> None:
        began = time.perf_counter()
        change = self.envelope(request)
        checked = time.perf_counter()
        outcome = self.app.execute(
            self.caller,
            self.certificate,
            convert.meta_from_proto(request.meta),
            METHOD,
            change,
            lambda: convert.record_score(request),
        )
        evaluation_service_pb2.RecordScoreResponse(outcome=convert.outcome_to_proto(outcome))
        done = time.perf_counter()
        self.envelope_seconds += checked - began
        self.latencies.append(done - began)
        self.sent += 1

    def warm_up(self, count: int) -> None:
        for request in self.build(count):
            self.send(request)
        self.sequencer.seconds = self.envelope_seconds = 0.0
        self.latencies.clear()

    def result(self) -> IngestResult:
        latencies = sorted(self.latencies)
        return IngestResult(
            self.name,
            len(latencies),
            self.sequencer.seconds,
            self.envelope_seconds,
            sum(latencies),
            percentile(latencies, 0.5) * 1e6,
            percentile(latencies, 0.99) * 1e6,
        )


class IngestBench:
    """Signed and unsigned RecordScore requests into one application on the prepared SQLite data directory."""

    def __init__(self, prepared: Prepared) -> None:
        data_dir = DataDir(prepared.data_dir)
        self._store = data_dir.open_store()
        self.app = EvaluationApp(self._store, log_signer(data_dir))
        self._session_id = prepared.session_id
        self._before = self.last_sequence()
        signed_certificate = cert_from_pem(prepared.people[SIGNED_EXPERT].cert_pem)
        self.signed = IngestWorkload(
            "signed",
            self.app,
            prepared,
            SIGNED_EXPERT,
            TimedSequencer(f"{SIGNED_EXPERT}-bench-signed", person_signer(prepared, SIGNED_EXPERT)),
            lambda request: open_envelope(request, signed_certificate),
        )
        self.unsigned = IngestWorkload(
            "unsigned",
            self.app,
            prepared,
            UNSIGNED_EXPERT,
            UnsignedSequencer(f"{UNSIGNED_EXPERT}-bench-unsigned", person_signer(prepared, UNSIGNED_EXPERT)),
            UnsignedChanges(cert_from_pem(prepared.people[UNSIGNED_EXPERT].cert_pem)),
        )

    def warm_up(self) -> None:
        self.unsigned.warm_up(WARMUP)
        self.signed.warm_up(WARMUP)

    def run_round(self, index: int, rounds: int, requests: int) -> None:
        """A slice of each workload, alternating request by request (who goes first alternates too), so
        that the disk's ups and downs (every request waits for an fsync) hit both alike."""
        start, end = bounds(requests, rounds, index)
        signed, unsigned = self.signed.build(end - start), self.unsigned.build(end - start)
        for position, (signed_request, unsigned_request) in enumerate(zip(signed, unsigned, strict=True)):
            pair = [(self.signed, signed_request), (self.unsigned, unsigned_request)]
            for workload, request in pair[:: 1 if position % 2 else -1]:
                workload.send(request)

    def last_sequence(self) -> int:
        return self.app.runtime(self._session_id).last_sequence

    def check(self) -> None:
        expected = self.signed.sent + self.unsigned.sent
        got = self.last_sequence() - self._before
        if got != expected:
            raise RuntimeError(f"ingest: {expected} score changes stored {got} events")

    def close(self) -> None:
        self._store.close()


# -- report -----------------------------------------------------------------------------------------------


def report(
    log_bench: LogBench, signed: IngestResult, unsigned: IngestResult, pool: list[bytes], fsync_ms: float
) -> dict[str, Any]:
    rows = log_bench.rows
    raw = rows["SHA-256 per entry (raw)"]
    verify = rows["verify_log (full log)"]
    verify_ratio = verify.mb_per_second / raw.mb_per_second
    server_ratio = signed.server_us / unsigned.server_us
    end_to_end_ratio = signed.end_to_end_us / unsigned.end_to_end_us

    print()
    mean = sum(map(len, pool)) / len(pool)
    log = log_bench.log
    print(f"audit log: {log.size:,} entries of {mean:.0f} bytes on average ({log.total_bytes / 1e6:.0f} MB)")
    print(f"{'workload':<36}{'ops':>10}{'seconds':>9}{'ops/s':>11}{'MB/s':>9}{'µs/op':>8}")
    for row in rows.values():
        mb = f"{row.mb_per_second:>9.0f}" if row.nbytes else f"{'':>9}"
        print(
            f"{row.name:<36}{row.ops:>10}{row.seconds:>9.2f}{row.ops_per_second:>11.0f}{mb}{row.us_per_op:>8.2f}"
        )
    print()
    print("RecordScore in process: SQLite, 1 client, signed and unsigned requests alternating")
    print(
        f"{'ingest':<10}{'requests':>9}{'client µs':>11}{'envelope µs':>13}{'server µs':>11}{'p50 µs':>8}"
        f"{'p99 µs':>8}{'end-to-end µs':>15}{'req/s':>7}"
    )
    for result in (unsigned, signed):
        print(
            f"{result.name:<10}{result.requests:>9}{result.client_us:>11.0f}{result.envelope_us:>13.0f}"
            f"{result.server_us:>11.0f}{result.server_p50_us:>8.0f}{result.server_p99_us:>8.0f}"
            f"{result.end_to_end_us:>15.0f}{1e6 / result.end_to_end_us:>7.0f}"
        )
    print()
    execute_us = signed.server_us - signed.envelope_us - (unsigned.server_us - unsigned.envelope_us)
    print(f"fsync p50 in the data directory: {fsync_ms:.2f} ms (every request waits for one)")
    print(
        f"signing adds {signed.client_us - unsigned.client_us:.0f} µs on the client "
        f"(one ECDSA sign: {rows['ECDSA P-256 sign'].us_per_op:.0f} µs), "
        f"{signed.envelope_us - unsigned.envelope_us:.0f} µs checking the envelope "
        f"(one ECDSA verify: {rows['ECDSA P-256 verify'].us_per_op:.0f} µs), "
        f"{execute_us:+.0f} µs in execute (a larger audit entry, and fsync noise)"
    )
    spread = f"{min(log_bench.round_ratios):.2f}–{max(log_bench.round_ratios):.2f}"
    verify_pass = verify_ratio >= VERIFY_TARGET
    server_pass = server_ratio <= SIGNED_TARGET
    end_to_end_pass = end_to_end_ratio <= SIGNED_TARGET
    print(
        f"log verification  verify_log/raw SHA-256 per entry, same bytes: {verify_ratio:.2f}  "
        f"(target ≥ {VERIFY_TARGET:.2f})  {verdict(verify_pass)}  (rounds: {spread})"
    )
    print(
        f"signed ingest     signed/unsigned, server per request:          {server_ratio:.2f}  "
        f"(target ≤ {SIGNED_TARGET:.2f})  {verdict(server_pass)}"
    )
    print(
        f"signed ingest     signed/unsigned, end to end (client signing): {end_to_end_ratio:.2f}  "
        f"(target ≤ {SIGNED_TARGET:.2f})  {verdict(end_to_end_pass)}"
    )
    return {
        "entries": log.size,
        "entry_bytes_mean": mean,
        "log_bytes": log.total_bytes,
        "log": [row.to_json() for row in rows.values()],
        "ingest": [unsigned.to_json(), signed.to_json()],
        "verify_ratio": verify_ratio,
        "verify_ratio_per_round": log_bench.round_ratios,
        "verify_target": VERIFY_TARGET,
        "verify_pass": verify_pass,
        "signed_server_ratio": server_ratio,
        "signed_end_to_end_ratio": end_to_end_ratio,
        "signed_target": SIGNED_TARGET,
        "signed_server_pass": server_pass,
        "signed_end_to_end_pass": end_to_end_pass,
        "fsync_p50_ms": fsync_ms,
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
        "cryptography": cryptography.__version__,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--entries",
        type=int,
        default=DEFAULT_ENTRIES,
        help=f"entries in the verified and appended log (default {DEFAULT_ENTRIES:,})",
    )
    parser.add_argument(
        "--appends",
        type=int,
        default=DEFAULT_APPENDS,
        help=f"AuditLog.append calls, each signing a head (default {DEFAULT_APPENDS:,})",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help=f"timed requests per ingest workload, signed and unsigned (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"interleave the workloads in this many rounds (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--tmp-dir", type=Path, help="where the temporary data directory goes")
    args = parser.parse_args(argv)
    if args.rounds < 1 or min(args.entries, args.appends, args.requests) < args.rounds:
        parser.error("--rounds must be at least 1, and --entries, --appends, --requests at least --rounds")

    work = Path(tempfile.mkdtemp(prefix="bideval-bench-audit-", dir=args.tmp_dir))
    try:
        began = time.perf_counter()
        print(f"setting up the demo session in {work} …", flush=True)
        prepared = prepare(work)
        entries = build_entries(prepared, min(POOL_SIZE, args.entries))
        pool = [entry.to_bytes() for entry in entries]
        log = Log(pool, args.entries)
        log_bench = LogBench(log, entries, args.appends, prepared)
        ingest_bench = IngestBench(prepared)
        try:
            ingest_bench.warm_up()
            setup_seconds = time.perf_counter() - began
            print(
                f"ready in {setup_seconds:.1f} s; {args.rounds} rounds, each: 3 passes over the log of "
                f"{args.entries:,} entries (raw SHA-256, one-stream SHA-256, verify_log), then "
                f"1/{args.rounds} of the appends, signatures and {args.requests} + {args.requests} requests",
                flush=True,
            )
            for index in range(args.rounds):
                round_began = time.perf_counter()
                log_bench.run_round(index, args.rounds)
                ingest_bench.run_round(index, args.rounds, args.requests)
                seconds = time.perf_counter() - round_began
                print(f"round {index + 1}/{args.rounds}: {seconds:.1f} s", flush=True)
            log_bench.check()
            ingest_bench.check()
            signed, unsigned = ingest_bench.signed.result(), ingest_bench.unsigned.result()
        finally:
            ingest_bench.close()
        summary = report(log_bench, signed, unsigned, pool, fsync_p50_ms(work))
        summary["rounds"] = args.rounds
        summary["setup_seconds"] = setup_seconds
        summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {summary['peak_rss_mb']:.0f} MB; whole run {time.perf_counter() - began:.0f} s")
        if args.json is not None:
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {args.json}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
