"""Issue 3's proof: a whole session, exported and verified offline; every kind of tampering detected."""

from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from cryptography import x509

from app.services.committee import CommitteeDriver
from app.services.witness import LogWitness
from bideval.audit.bundle import (
    VerificationError,
    bundle_from_json,
    bundle_to_json,
    verify_bundle,
    write_bundle,
)
from bideval.audit.verify_cli import main as verify_main
from bideval.identity.pki import Role
from server.admin.audit import Trust, session_bundle, verify_store
from tests.support import RunningServer

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")
# Every column a verifier must vouch for: audit entries, signed heads, co-signatures, events, setups.
TAMPERABLE = (
    ("audit_entries", "leaf", "leaf_index"),
    ("tree_heads", "root_hash", "tree_size"),
    ("tree_heads", "signature", "tree_size"),
    ("cosignatures", "signature", "id"),
    ("events", "payload_json", "rowid"),
    ("events", "kind", "rowid"),
    ("events", "actor_id", "rowid"),
    ("sessions", "setup_json", "rowid"),
)


@pytest.fixture
def evaluated(server: RunningServer) -> RunningServer:
    """The demo session evaluated to a signed report by witnessing clients; supervisors co-sign heads."""
    ca = x509.load_pem_x509_certificate(server.pki.directory.ca_path.read_bytes())
    experts = {person: server.client(person) for person in COMMITTEE}
    supervisor = server.client("S01", Role.SUPERVISOR)
    for client in experts.values():
        client.witness = LogWitness(client.audit, ca)
    supervisor.witness = LogWitness(supervisor.audit, ca, cosigner=supervisor.sequencer.signer)
    driver = CommitteeDriver(server.session_id, experts, supervisor)
    driver.run_to_ranking("E02")
    driver.sign()
    supervisor.witness.check_latest()
    return server


def trust(server: RunningServer) -> Trust:
    ca = x509.load_pem_x509_certificate(server.pki.directory.ca_path.read_bytes())
    return Trust(ca, server.app.log_certificate)


def test_a_whole_session_exports_and_verifies_offline(evaluated: RunningServer, tmp_path: Path) -> None:
    server = evaluated
    summary = verify_store(trust(server), server.app.store)
    assert summary.sessions == 1
    assert summary.cosignatures >= 1
    bundle = tmp_path / "evidence.json"
    write_bundle(session_bundle(trust(server), server.app.store, server.session_id), bundle)
    assert verify_main([str(bundle)]) == 0

    # Tampering with the exported file: a score in an event, a signature, an entry removed.
    document = json.loads(bundle.read_text("utf-8"))
    scored = next(i for i, e in enumerate(document["events"]) if e["kind"] == "ScoreRecorded")
    changed = json.loads(document["events"][scored]["payload_json"])
    changed["value"]["points"] = "0"
    variants = {
        "score changed": ("events", scored, "payload_json", json.dumps(changed, ensure_ascii=False)),
        "entry dropped": ("entries", 5, None, None),
    }
    for name, (section, index, field, value) in variants.items():
        tampered = json.loads(bundle.read_text("utf-8"))
        if field is None:
            del tampered[section][index]
        else:
            tampered[section][index][field] = value
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(tampered, ensure_ascii=False), "utf-8")
        assert verify_main([str(path)]) == 1, name


def _flip(
    database: str, table: str, column: str, key: str, rng: random.Random
) -> tuple[object, object, object]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(f"SELECT {key}, {column} FROM {table}").fetchall()
        row_key, value = rng.choice(rows)
        if isinstance(value, bytes):
            position = rng.randrange(len(value))
            mutated: object = (
                value[:position] + bytes([value[position] ^ (1 << rng.randrange(8))]) + value[position + 1 :]
            )
        else:
            position = rng.randrange(len(value))
            replacement = "#" if value[position] != "#" else "%"
            mutated = value[:position] + replacement + value[position + 1 :]
        connection.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (mutated, row_key))
        connection.commit()
    return row_key, value, mutated


def _restore(database: str, table: str, column: str, key: str, row_key: object, value: object) -> None:
    with closing(sqlite3.connect(database)) as connection:
        connection.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, row_key))
        connection.commit()


def test_any_flipped_byte_in_the_database_is_caught(evaluated: RunningServer) -> None:
    server = evaluated
    database = server.app.store.engine.url.database
    assert database is not None
    rng = random.Random(20261129)
    flips = 40
    for attempt in range(flips):
        table, column, key = TAMPERABLE[attempt % len(TAMPERABLE)]
        row_key, original, mutated = _flip(database, table, column, key, rng)
        try:
            with pytest.raises(VerificationError):  # a flip that passes fails here, naming no culprit:
                verify_store(trust(server), server.app.store)  # rerun with the seed to see the row
        finally:
            _restore(database, table, column, key, row_key, original)
        assert mutated != original
    verify_store(trust(server), server.app.store)  # and the untouched data verifies again


def test_a_bundle_round_trips(evaluated: RunningServer) -> None:
    parts = session_bundle(trust(evaluated), evaluated.app.store, evaluated.session_id)
    again = bundle_from_json(bundle_to_json(parts))
    assert verify_bundle(again).session_id == evaluated.session_id
