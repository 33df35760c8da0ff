"""Clients check every receipt and every new tree head: a server that rewrites history is caught."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import grpc
import pytest
from cryptography import x509

from app.services.committee import CommitteeDriver
from app.services.connection import ApiClient
from app.services.witness import LogForked, LogWitness, ReceiptInvalid
from bideval.audit.entries import Entry, EntryKind
from bideval.identity.pki import Role
from bideval.v1 import common_pb2
from tests.support import RunningServer

COMMITTEE = ("E01", "E02", "E03", "E04", "E05")


def witnessed(
    server: RunningServer, person: str, role: Role = Role.EXPERT, cosign: bool = False
) -> ApiClient:
    client = server.client(person, role)
    ca = x509.load_pem_x509_certificate(server.pki.directory.ca_path.read_bytes())
    client.witness = LogWitness(client.audit, ca, client.sequencer.signer if cosign else None)
    return client


def test_receipts_prove_each_change_and_heads_only_grow(server: RunningServer) -> None:
    experts = {person: witnessed(server, person) for person in COMMITTEE}
    supervisor = witnessed(server, "S01", Role.SUPERVISOR, cosign=True)
    driver = CommitteeDriver(server.session_id, experts, supervisor)
    driver.check_in()
    driver.accept_pledge()
    # Every expert's witness saw receipts for its own changes and followed the log forward.
    sizes = [
        client.witness.last_head.tree_size
        for client in experts.values()
        if client.witness and client.witness.last_head
    ]
    assert len(sizes) == len(COMMITTEE)
    assert sizes == sorted(sizes)
    response = experts["E01"].command("DeclareRecusal", server.session_id)
    entry = Entry.from_bytes(response.outcome.receipt.leaf)
    assert entry.kind is EntryKind.CHANGE
    assert entry.actor_id == "E01"
    assert entry.method == "bideval.v1.DeclareRecusalRequest"
    assert entry.events  # the events it produced are bound to the entry by their digests


def test_supervisors_cosign_the_heads_they_checked(server: RunningServer) -> None:
    supervisor = witnessed(server, "S01", Role.SUPERVISOR, cosign=True)
    supervisor.command("PauseSession", server.session_id, reason="检查网络")
    supervisor.command("ResumeSession", server.session_id, reason="网络正常")
    cosigned = server.app.store.cosignatures()
    assert cosigned  # at least one co-signature stored
    assert all(size <= server.app.tree_head().tree_size for size, *_rest in cosigned)  # type: ignore[union-attr]
    # The same head twice is refused, as is a co-signature by an expert.
    head = supervisor.witness.last_head if supervisor.witness else None
    assert head is not None
    with pytest.raises(grpc.RpcError) as twice:
        supervisor.witness._cosign(head)  # type: ignore[union-attr]
    assert twice.value.code() is grpc.StatusCode.ALREADY_EXISTS


def test_a_tampered_receipt_is_refused(server: RunningServer) -> None:
    client = witnessed(server, "E02")
    response = server.client("E02", device="plain").command("CheckIn", server.session_id, venue_id="V01")
    receipt = common_pb2.AuditReceipt()
    receipt.CopyFrom(response.outcome.receipt)
    receipt.leaf = receipt.leaf.replace(b'"actor":"E02"', b'"actor":"E03"')
    assert client.witness is not None
    with pytest.raises(ReceiptInvalid, match="not in the signed tree"):
        client.witness.check_receipt(receipt)
    forged = common_pb2.AuditReceipt()
    forged.CopyFrom(response.outcome.receipt)
    forged.tree_head.root_hash = bytes(32)
    with pytest.raises(ReceiptInvalid, match="not signed by the log key"):
        client.witness.check_receipt(forged)


def test_a_server_that_rewrites_history_is_caught(server: RunningServer, tmp_path: object) -> None:
    client = witnessed(server, "S01", Role.SUPERVISOR)
    client.command("PauseSession", server.session_id, reason="检查网络")
    assert client.witness is not None
    checked = client.witness.last_head
    assert checked is not None
    # The operator quietly rewrites an early entry and restarts: the server signs heads over the new tree.
    database = server.app.store.engine.url.database
    assert database is not None
    with closing(sqlite3.connect(database)) as connection:
        leaf = connection.execute("SELECT leaf FROM audit_entries WHERE leaf_index = 0").fetchone()[0]
        connection.execute("UPDATE audit_entries SET leaf = ? WHERE leaf_index = 0", (bytes(leaf) + b" ",))
        connection.commit()
    server.app.reload()
    with pytest.raises(LogForked, match="does not extend"):
        client.command("ResumeSession", server.session_id, reason="网络正常")
