"""The client's encrypted cache, on real SQLCipher files: encryption at rest, PIN, damage, restart, kill."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from app.services.cache import (
    MIGRATIONS,
    CacheConflict,
    CacheCorrupt,
    CachedEvent,
    CacheExists,
    CacheLocked,
    CacheMissing,
    OutboxStatus,
    SessionCache,
    derive_key_encryption_key,
)
from app.services.connection import Sequencer, signer_from_pem
from bideval.audit.entries import TreeHead
from bideval.audit.envelope import open_envelope
from bideval.identity.pki import Role
from bideval.v1 import evaluation_service_pb2, session_pb2
from tests.support import Pki

REPO = Path(__file__).resolve().parents[2]
SESSION = "YX2025-GL017-L1"
PIN = "246810"
MARKER = b"SCORE-87.35"  # a value the expert typed: must never appear in clear on disk
NOW = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def cache(directory: Path) -> Iterator[SessionCache]:
    opened = SessionCache.create(directory, SESSION, "E01", "E01-pc1", PIN)
    yield opened
    opened.close()


def files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def envelope_after(previous: bytes, sequence: int) -> bytes:
    """Stand-in envelope hashes that chain like real ones."""
    return hashlib.sha256(previous + sequence.to_bytes(8, "big")).digest()


def queue(cache: SessionCache, count: int, payload: bytes = b"request") -> list[bytes]:
    """Enqueue ``count`` changes after the device's last one; returns their envelope hashes."""
    last, envelope = cache.device_state()
    hashes = []
    for sequence in range(last + 1, last + count + 1):
        envelope = envelope_after(envelope, sequence)
        cache.enqueue("RecordScore", payload + b"-%d" % sequence, f"op-{sequence}", sequence, NOW, envelope)
        hashes.append(envelope)
    return hashes


def test_schema_is_plain_sqlite() -> None:
    with closing(sqlite3.connect(":memory:")) as connection:
        for statements in MIGRATIONS:
            for statement in statements:
                connection.execute(statement)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"outbox", "device", "events", "meta", "drafts", "documents", "document_chunks"} <= tables


def test_key_derivation_is_a_pure_function() -> None:
    salt = bytes(range(16))
    key = derive_key_encryption_key(PIN, salt)
    assert len(key) == 32
    assert derive_key_encryption_key(PIN, salt) == key
    assert derive_key_encryption_key(PIN, bytes(16)) != key
    # The same PIN typed as composed or decomposed characters derives the same key.
    assert derive_key_encryption_key("café12", salt) == derive_key_encryption_key("cafe\u030112", salt)


def test_everything_round_trips_through_close_and_open(cache: SessionCache, directory: Path) -> None:
    hashes = queue(cache, 3)
    cache.put_draft("B01", "Q1", {"points": "18.5"})
    cache.put_draft("B01", "Q1", {"points": "19"})  # the newest value wins
    cache.put_draft("B02", "F1", {"passed": False, "reason": "无营业执照"})
    cache.append_events([CachedEvent(1, "MemberCheckedIn", {"person_id": "E01"})])
    cache.set_meta("window", "scoring")
    head = TreeHead(12, bytes(range(32)), NOW, b"\x30\x45signature", "ecdsa-p256-sha256")
    cache.set_tree_head(head)
    cache.close()
    cache.close()  # idempotent

    with SessionCache.open(directory, SESSION, PIN) as reopened:
        assert (reopened.person_id, reopened.device_id) == ("E01", "E01-pc1")
        assert reopened.device_state() == (3, hashes[-1])
        assert [(item.client_sequence, item.request) for item in reopened.pending()] == [
            (1, b"request-1"),
            (2, b"request-2"),
            (3, b"request-3"),
        ]
        assert all(
            item.client_time == NOW and item.status is OutboxStatus.PENDING for item in reopened.pending()
        )
        assert [(d.bidder_id, d.criterion_id, d.value) for d in reopened.drafts()] == [
            ("B01", "Q1", {"points": "19"}),
            ("B02", "F1", {"passed": False, "reason": "无营业执照"}),
        ]
        assert reopened.events() == [CachedEvent(1, "MemberCheckedIn", {"person_id": "E01"})]
        assert reopened.last_event_sequence() == 1
        assert reopened.get_meta("window") == "scoring"
        assert reopened.get_meta("absent") is None
        assert reopened.tree_head() == head
        with pytest.raises(ValueError, match="maintained by the cache"):
            reopened.set_meta("last_event_sequence", "99")
        # Durability settings are per connection: check the reopened one has them too.
        connection = reopened._connection
        assert connection is not None
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_files_are_encrypted_and_private(cache: SessionCache, directory: Path) -> None:
    queue(cache, 5, payload=MARKER)
    cache.put_draft("B03", "Q2", {"points": MARKER.decode()})
    cache.append_events([CachedEvent(1, "ScoreRecorded", {"note": MARKER.decode()})])
    document = os.urandom(5000) + MARKER
    cache.write_document_chunk("D1", 0, document, hashlib.sha256(document).hexdigest(), len(document))

    def check() -> None:
        for name, data in files(directory).items():
            assert MARKER not in data, name
            assert os.stat(directory / name).st_mode & 0o077 == 0, name
        database = (directory / f"{SESSION}.db").read_bytes()
        assert not database.startswith(b"SQLite format 3\x00")
        with (
            closing(sqlite3.connect(directory / f"{SESSION}.db")) as plain,
            pytest.raises(sqlite3.DatabaseError, match="not a database"),
        ):
            plain.execute("SELECT * FROM sqlite_master").fetchall()

    assert (directory / f"{SESSION}.db-wal").exists()  # the changes sit in the (encrypted) WAL for now
    check()
    cache.close()
    assert sorted(files(directory)) == [f"{SESSION}.db", f"{SESSION}.key"]
    check()


def test_wrong_pin_is_refused_and_touches_nothing(cache: SessionCache, directory: Path) -> None:
    queue(cache, 2)
    cache.close()
    before = files(directory)
    with pytest.raises(CacheLocked, match="PIN"):
        SessionCache.open(directory, SESSION, "135790")
    with pytest.raises(CacheLocked, match="PIN"):
        SessionCache.open(directory, SESSION, "1")  # too short to be right: refused without the KDF
    assert files(directory) == before
    with SessionCache.open(directory, SESSION, PIN) as reopened:
        assert reopened.device_state().last_sequence == 2


def test_every_changed_byte_of_the_key_file_is_reported_as_damage(
    cache: SessionCache, directory: Path
) -> None:
    cache.close()
    key_file = directory / f"{SESSION}.key"
    original = key_file.read_bytes()
    database = (directory / f"{SESSION}.db").read_bytes()
    for position in range(len(original)):
        damaged = bytearray(original)
        damaged[position] ^= 0x01
        key_file.write_bytes(bytes(damaged))
        with pytest.raises(CacheCorrupt, match=rf"key file .*{SESSION}\.key"):
            SessionCache.open(directory, SESSION, PIN)
        assert key_file.read_bytes() == damaged  # nothing repaired or deleted
    # Even a change that keeps the JSON meaning (re-indented) is not the file the client wrote.
    key_file.write_bytes(original.replace(b"  ", b"\t"))
    with pytest.raises(CacheCorrupt, match="altered"):
        SessionCache.open(directory, SESSION, PIN)
    assert (directory / f"{SESSION}.db").read_bytes() == database
    key_file.write_bytes(original)
    SessionCache.open(directory, SESSION, PIN).close()


@pytest.mark.parametrize("where", ["salt", "first page", "middle page", "last page"])
def test_changed_bytes_in_the_database_are_reported_and_nothing_is_deleted(
    cache: SessionCache, directory: Path, where: str
) -> None:
    queue(cache, 40, payload=os.urandom(2000))
    cache.put_draft("B01", "Q1", {"points": "18"})
    cache.close()
    path = directory / f"{SESSION}.db"
    data = bytearray(path.read_bytes())
    assert len(data) >= 4096 * 8
    position = {"salt": 5, "first page": 1000, "middle page": len(data) // 2, "last page": len(data) - 100}[
        where
    ]
    data[position] ^= 0x20
    path.write_bytes(bytes(data))
    before = files(directory)
    with pytest.raises(CacheCorrupt, match=rf"database is damaged.*{SESSION}\.db"):
        SessionCache.open(directory, SESSION, PIN)
    assert files(directory) == before


def test_a_restarted_client_continues_its_numbering_and_signature_chain(pki: Pki, directory: Path) -> None:
    cert_pem, key_pem = pki.person("E01", Role.EXPERT)
    certificate = x509.load_pem_x509_certificate(cert_pem)

    def score(points: str) -> evaluation_service_pb2.RecordScoreRequest:
        entry = session_pb2.ScoreEntry(bidder_id="B01", criterion_id="Q1", points=points)
        return evaluation_service_pb2.RecordScoreRequest(entry=entry)

    with SessionCache.create(directory, SESSION, "E01", "E01-pc1", PIN) as cache:
        sequencer = Sequencer("E01-pc1", signer_from_pem(cert_pem, key_pem))
        for points in ("17", "18"):
            request = score(points)
            sequencer.stamp(request, SESSION)
            cache.enqueue_request("RecordScore", request)
        assert cache.device_state() == (2, sequencer.last_envelope_sha256)

    with SessionCache.open(directory, SESSION, PIN) as cache:
        # A sequencer that forgot where the device stood is refused, not stored.
        forgetful = Sequencer("E01-pc1", signer_from_pem(cert_pem, key_pem))
        request = score("19")
        forgetful.stamp(request, SESSION)
        with pytest.raises(CacheConflict, match="already used"):
            cache.enqueue_request("RecordScore", request)
        unchained = Sequencer("E01-pc1", signer_from_pem(cert_pem, key_pem), last_sequence=2)
        request = score("19")
        unchained.stamp(request, SESSION)
        with pytest.raises(CacheConflict, match="signature chain"):
            cache.enqueue_request("RecordScore", request)

        restored = Sequencer("E01-pc1", signer_from_pem(cert_pem, key_pem), *cache.device_state())
        request = score("19")
        restored.stamp(request, SESSION)
        cache.enqueue_request("RecordScore", request)
        items = cache.pending()

    # What the server will check: each queued request verifies and names its predecessor's envelope.
    assert [item.client_sequence for item in items] == [1, 2, 3]
    previous = b""
    for item, points in zip(items, ("17", "18", "19"), strict=True):
        queued = evaluation_service_pb2.RecordScoreRequest.FromString(item.request)
        change = open_envelope(queued, certificate)
        assert queued.entry.points == points
        assert queued.meta.operation_id == item.operation_id
        assert change.previous_envelope_sha256 == previous
        assert change.envelope_sha256 == item.envelope_sha256
        previous = change.envelope_sha256


def test_repeated_or_out_of_order_changes_are_refused(cache: SessionCache) -> None:
    hashes = queue(cache, 2)
    state = cache.device_state()
    refused = [
        (2, "op-new", "2 is already used"),  # a sequence number used twice
        (3, "op-1", "operation id op-1 is already queued"),
        (5, "op-5", "out of order: the next one is 3"),
    ]
    for sequence, operation_id, message in refused:
        with pytest.raises(CacheConflict, match=message):
            cache.enqueue(
                "RecordScore", b"x", operation_id, sequence, NOW, envelope_after(hashes[-1], sequence)
            )
    with pytest.raises(ValueError, match="timezone-aware"):
        cache.enqueue("RecordScore", b"x", "op-3", 3, datetime(2025, 6, 3), envelope_after(hashes[-1], 3))
    assert cache.device_state() == state
    assert [item.operation_id for item in cache.pending()] == ["op-1", "op-2"]


def test_create_starts_where_the_device_stands_and_never_overwrites(directory: Path) -> None:
    envelope = hashlib.sha256(b"change 7").digest()
    with SessionCache.create(
        directory, SESSION, "E01", "E01-pc1", PIN, last_sequence=7, last_envelope_sha256=envelope
    ):
        pass
    before = files(directory)
    with pytest.raises(CacheExists):
        SessionCache.create(directory, SESSION, "E01", "E01-pc2", "999999")
    assert files(directory) == before
    with SessionCache.open(directory, SESSION, PIN) as cache:
        assert cache.device_state() == (7, envelope)
        with pytest.raises(CacheConflict, match="last change is 7"):
            cache.enqueue("RecordScore", b"x", "op-1", 1, NOW, envelope_after(envelope, 1))


def test_answers_move_changes_out_of_the_unsynced_count(cache: SessionCache) -> None:
    queue(cache, 3)
    first, _second, third = cache.pending()
    assert cache.unsynced_count() == 3
    assert cache.oldest_unsynced_at() == first.created_at
    assert cache.last_sync_at() is None

    cache.mark_sent(1)
    assert [(item.client_sequence, item.status) for item in cache.pending(limit=1)] == [
        (1, OutboxStatus.SENT)
    ]
    cache.mark_acknowledged(1, b"response-1")
    cache.mark_acknowledged(1, b"response-1")  # the same answer again (a retry) is fine
    cache.mark_refused(2, "FAILED_PRECONDITION", "当前步骤不允许此操作")
    assert [item.client_sequence for item in cache.pending()] == [3]
    assert cache.unsynced_count() == 1
    assert cache.oldest_unsynced_at() == third.created_at
    synced = cache.last_sync_at()
    assert synced is not None
    assert abs(datetime.now(UTC) - synced) < timedelta(minutes=1)

    with pytest.raises(CacheConflict, match="already acknowledged"):
        cache.mark_acknowledged(1, b"another answer")
    with pytest.raises(CacheConflict, match="already acknowledged"):
        cache.mark_sent(1)
    with pytest.raises(CacheConflict, match="already refused"):
        cache.mark_acknowledged(2, b"late")
    with pytest.raises(CacheConflict, match="no change 9"):
        cache.mark_acknowledged(9, b"?")
    acknowledged, refused = cache.outbox_item(1), cache.outbox_item(2)
    assert acknowledged is not None
    assert (acknowledged.status, acknowledged.response) == (OutboxStatus.ACKNOWLEDGED, b"response-1")
    assert refused is not None
    assert (refused.status, refused.error_code) == (OutboxStatus.REFUSED, "FAILED_PRECONDITION")

    cache.mark_acknowledged(3, b"response-3")
    assert cache.unsynced_count() == 0
    assert cache.oldest_unsynced_at() is None


def test_events_are_stored_once_in_order_without_gaps(cache: SessionCache, directory: Path) -> None:
    def event(sequence: int, kind: str = "ScoreRecorded") -> CachedEvent:
        return CachedEvent(sequence, kind, {"expert": "E02", "n": sequence})

    assert cache.append_events([event(2), event(1), event(3)]) == 3  # any order within a batch
    assert cache.append_events([event(2), event(3), event(4)]) == 1  # a replayed stream is idempotent
    assert cache.last_event_sequence() == 4
    with pytest.raises(CacheConflict, match="resume the stream from 4"):
        cache.append_events([event(6)])
    with pytest.raises(CacheConflict, match="differs"):
        cache.append_events([event(3, "PhaseChanged")])
    with pytest.raises(CacheConflict, match="resume"):
        cache.append_events([event(5), event(7)])  # the whole batch or nothing
    assert cache.last_event_sequence() == 4
    cache.close()
    with SessionCache.open(directory, SESSION, PIN) as reopened:
        assert [e.sequence for e in reopened.events()] == [1, 2, 3, 4]
        assert reopened.events(after=3) == [event(4)]


def test_document_downloads_resume_by_offset_and_are_checked(cache: SessionCache, directory: Path) -> None:
    content = os.urandom(300_000)
    digest, size, chunk = hashlib.sha256(content).hexdigest(), len(content), 64 * 1024
    for offset in (0, chunk):
        cache.write_document_chunk("BID-B01", offset, content[offset : offset + chunk], digest, size)
    cache.close()

    with SessionCache.open(directory, SESSION, PIN) as cache:
        progress = cache.document_progress("BID-B01")
        assert progress is not None
        assert (progress.received, progress.complete) == (2 * chunk, False)
        assert cache.document_bytes("BID-B01") is None
        with pytest.raises(CacheConflict, match=f"resume at byte {2 * chunk}"):
            cache.write_document_chunk("BID-B01", 0, content[:chunk], digest, size)
        with pytest.raises(CacheConflict, match="changed on the server"):
            cache.write_document_chunk("BID-B01", 2 * chunk, b"x", "0" * 64, size)
        offset = progress.received
        while offset < size:
            progress = cache.write_document_chunk(
                "BID-B01", offset, content[offset : offset + chunk], digest, size
            )
            offset = progress.received
        assert progress.complete
        assert cache.document_bytes("BID-B01") == content

        # A download that does not match the digest the server listed is discarded, to be fetched again.
        wrong = hashlib.sha256(b"another file").hexdigest()
        cache.write_document_chunk("BID-B02", 0, content[:chunk], wrong, 2 * chunk)
        with pytest.raises(CacheCorrupt, match="does not match its SHA-256"):
            cache.write_document_chunk("BID-B02", chunk, content[chunk : 2 * chunk], wrong, 2 * chunk)
        restart = cache.document_progress("BID-B02")
        assert restart is not None
        assert (restart.received, restart.complete) == (0, False)

        empty = hashlib.sha256(b"").hexdigest()
        assert cache.write_document_chunk("EMPTY", 0, b"", empty, 0).complete
        assert cache.document_bytes("EMPTY") == b""
        cache.drop_document("BID-B01")
        assert cache.document_progress("BID-B01") is None


def test_wipe_destroys_the_key_first_and_leaves_nothing(
    cache: SessionCache, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(cache, 3)
    cache.close()
    (directory / f".{SESSION}.key.abc123.tmp").write_bytes(b"a copy left by an interrupted write")

    # Deleting the database fails: by then the key must already be gone, so nothing can be decrypted.
    unlink = Path.unlink

    def failing_unlink(path: Path, missing_ok: bool = False) -> None:
        if path.name == f"{SESSION}.db":
            raise PermissionError("simulated")
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", failing_unlink)
    with pytest.raises(PermissionError):
        SessionCache.wipe(directory, SESSION)
    monkeypatch.undo()
    assert sorted(files(directory)) == [f"{SESSION}.db"]
    with pytest.raises(CacheCorrupt, match=r"key file .*missing"):
        SessionCache.open(directory, SESSION, PIN)

    SessionCache.wipe(directory, SESSION)
    assert files(directory) == {}
    with pytest.raises(CacheMissing, match=f"no local cache for session {SESSION}"):
        SessionCache.open(directory, SESSION, PIN)
    SessionCache.wipe(directory, SESSION)  # nothing left to wipe is fine
    with SessionCache.create(directory, SESSION, "E01", "E01-pc1", PIN) as fresh:
        assert fresh.device_state() == (0, b"")


def test_the_sync_thread_and_gui_workers_share_one_cache(cache: SessionCache) -> None:
    total = 150
    finished = threading.Event()

    def expert() -> bytes:
        try:
            envelope = b""
            for sequence in range(1, total + 1):
                envelope = envelope_after(envelope, sequence)
                cache.enqueue("RecordScore", b"r", f"op-{sequence}", sequence, NOW, envelope)
                cache.put_draft("B01", f"Q{sequence % 5}", {"points": str(sequence)})
            return envelope
        finally:
            finished.set()

    def sync_worker() -> int:
        acknowledged = 0
        while acknowledged < total:
            batch = cache.pending(limit=20)
            if not batch and finished.is_set() and not cache.pending():
                break
            for item in batch:
                cache.mark_sent(item.client_sequence)
                cache.mark_acknowledged(item.client_sequence, b"ok")
                acknowledged += 1
        return acknowledged

    def status_bar() -> int:
        reads = 0
        while not finished.is_set():
            cache.unsynced_count()
            cache.oldest_unsynced_at()
            cache.drafts()
            reads += 1
        return reads

    with ThreadPoolExecutor(max_workers=3) as pool:
        writer, syncer, reader = pool.submit(expert), pool.submit(sync_worker), pool.submit(status_bar)
        last_envelope = writer.result(timeout=60)
        assert syncer.result(timeout=60) == total
        reader.result(timeout=60)
    assert cache.device_state() == (total, last_envelope)
    assert cache.unsynced_count() == 0
    assert len(cache.drafts()) == 5


CHILD = textwrap.dedent(
    """
    import hashlib, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from app.services.cache import SessionCache

    cache = SessionCache.open(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
    sequence, envelope = cache.device_state()
    while True:
        sequence += 1
        envelope = hashlib.sha256(envelope + sequence.to_bytes(8, "big")).digest()
        request = b"score-%d" % sequence
        cache.enqueue("RecordScore", request, f"op-{sequence}", sequence, datetime.now(UTC), envelope)
        print(sequence, flush=True)  # only now does the "user" see the change as saved
    """
)


def enqueue_until_killed(directory: Path, returned_before_kill: int) -> list[int]:
    """Run a client that enqueues in a loop, SIGKILL it mid-loop; the sequences whose enqueue returned."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory), SESSION, PIN],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    returned: list[int] = []
    try:
        assert process.stdout is not None
        while len(returned) < returned_before_kill:
            line = process.stdout.readline()
            if not line:
                break
            returned.append(int(line))
        process.send_signal(signal.SIGKILL)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    returned += [int(line) for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    assert process.returncode == -signal.SIGKILL, errors
    assert len(returned) >= returned_before_kill, errors
    return returned


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_client_loses_no_change_it_reported_saved(directory: Path) -> None:
    SessionCache.create(directory, SESSION, "E01", "E01-pc1", PIN).close()
    reported: list[int] = []
    for kill_after in (150, 60):  # kill, restart from the cache, kill again at another point
        reported += enqueue_until_killed(directory, kill_after)
        with SessionCache.open(directory, SESSION, PIN) as cache:
            last, last_envelope = cache.device_state()
            items = cache.pending(limit=10_000)
        assert reported == list(range(1, max(reported) + 1))
        assert last - max(reported) in (0, 1)  # at most one change committed but not yet reported
        assert [item.client_sequence for item in items] == list(range(1, last + 1))
        envelope = b""
        for item in items:
            envelope = envelope_after(envelope, item.client_sequence)
            assert (item.request, item.envelope_sha256) == (b"score-%d" % item.client_sequence, envelope)
        assert last_envelope == envelope
        reported = list(range(1, last + 1))  # the next round continues after everything stored
