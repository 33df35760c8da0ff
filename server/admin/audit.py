"""``bideval-admin audit verify`` and ``audit export``: re-check a whole data directory; export evidence.

The verifier trusts nothing in the database: it rebuilds the Merkle tree from the stored entries, checks
every signed tree head and co-signature against it, checks every session's entries, signed changes,
chains, events and scores with the offline bundle verifier, and every stored setup against the import entry
that vouches for it. It stops at the first problem and names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from bideval.audit.bundle import (
    SETUP_SHA256_KEY,
    BundleEvent,
    BundleParts,
    Cosignature,
    VerificationError,
    assemble_bundle,
    entries_for_session,
    verify_bundle,
    write_bundle,
)
from bideval.audit.entries import Entry, EntryKind, TreeHead, verify_tree_head
from bideval.audit.merkle import MerkleTree, leaf_hash
from bideval.audit.signing import SignatureError, verify_signature
from bideval.identity.pki import cert_from_pem
from server.datadir import DataDir
from server.storage.store import Store


@dataclass(frozen=True, slots=True)
class LogSummary:
    entries: int
    tree_heads: int
    cosignatures: int
    sessions: int
    events: int

    def __str__(self) -> str:
        return (
            f"{self.entries} audit entries, {self.tree_heads} signed tree heads, {self.cosignatures} "
            f"co-signatures, {self.sessions} sessions with {self.events} events: all verified"
        )


@dataclass
class _Log:
    """What the store holds, read once."""

    ca: x509.Certificate
    log_certificate: x509.Certificate
    leaves: list[bytes]
    entries: list[Entry]
    tree: MerkleTree
    heads: list[TreeHead]
    certificates: dict[str, x509.Certificate]
    cosignatures: list[Cosignature]


@dataclass(frozen=True, slots=True)
class Trust:
    """What the verifier starts from: the platform CA and the log key's certificate (from the PKI files)."""

    ca: x509.Certificate
    log_certificate: x509.Certificate

    @staticmethod
    def of(data_dir: DataDir) -> Trust:
        return Trust(data_dir.pki.ca_certificate(), cert_from_pem(data_dir.pki.server_path.read_bytes()))


def _read_log(trust: Trust, store: Store) -> _Log:
    ca, log_certificate = trust.ca, trust.log_certificate
    leaves = store.audit_leaves()
    entries = []
    for index, leaf in enumerate(leaves):
        try:
            entry = Entry.from_bytes(leaf)
        except (ValueError, KeyError, UnicodeDecodeError) as error:
            raise VerificationError(f"audit entry {index}: not a canonical entry ({error})") from None
        if entry.index != index:
            raise VerificationError(f"audit entry {index}: says it is entry {entry.index}")
        entries.append(entry)
    tree = MerkleTree.from_leaf_hashes([leaf_hash(leaf) for leaf in leaves])
    heads = store.tree_heads()
    by_size = {head.tree_size: head for head in heads}
    cosignatures = [
        Cosignature(size, by_size[size].root_hash, by_size[size].timestamp, sha, signature, algorithm)
        for size, sha, signature, algorithm in store.cosignatures()
        if size in by_size
    ]
    certificates = {sha: x509.load_der_x509_certificate(der) for sha, der in store.certificates().items()}
    return _Log(ca, log_certificate, leaves, entries, tree, heads, certificates, cosignatures)


def _check_heads(log: _Log) -> None:
    if not log.heads and log.leaves:
        raise VerificationError(f"{len(log.leaves)} audit entries but no signed tree head")
    if log.heads and log.heads[-1].tree_size != len(log.leaves):
        raise VerificationError(
            f"the newest signed tree head covers {log.heads[-1].tree_size} entries; "
            f"the log holds {len(log.leaves)}"
        )
    for head in log.heads:
        if head.tree_size > len(log.leaves) or log.tree.root(head.tree_size) != head.root_hash:
            raise VerificationError(
                f"tree head {head.tree_size}: its root is not the root of the stored entries "
                f"0..{head.tree_size - 1}"
            )
        try:
            verify_tree_head(head, log.log_certificate)
        except SignatureError as error:
            raise VerificationError(f"tree head {head.tree_size}: {error}") from None
    for cosignature in log.cosignatures:
        certificate = log.certificates.get(cosignature.certificate_sha256)
        if certificate is None:
            raise VerificationError(f"co-signature of head {cosignature.tree_size}: unknown certificate")
        try:
            verify_signature(
                certificate, cosignature.algorithm, cosignature.signed_bytes(), cosignature.signature
            )
        except SignatureError as error:
            raise VerificationError(f"co-signature of head {cosignature.tree_size}: {error}") from None


def _check_imports(log: _Log, store: Store) -> None:
    vouched: dict[str, str] = {}
    for entry in log.entries:
        if entry.kind is EntryKind.IMPORT:
            vouched[entry.session_id] = str(entry.detail.get(SETUP_SHA256_KEY, ""))
    for session_id, setup_json in store.session_rows().items():
        digest = hashlib.sha256(setup_json.encode("utf-8")).hexdigest()
        if vouched.get(session_id) != digest:
            raise VerificationError(
                f"session {session_id}: its stored setup is not the one the import entry vouches for"
            )


def session_bundle(trust: Trust, store: Store, session_id: str, log: _Log | None = None) -> BundleParts:
    """The evidence bundle of one session: its entries, the heads supervisors co-signed and the final head."""
    log = log or _read_log(trust, store)
    if not log.heads:
        raise VerificationError("the audit log is empty")
    setups = store.session_rows()
    if session_id not in setups:
        raise VerificationError(f"session {session_id} does not exist")
    included = entries_for_session(log.entries, session_id)
    cosigned = {c.tree_size for c in log.cosignatures}
    heads = [head for head in log.heads if head.tree_size in cosigned or head is log.heads[-1]]
    signers = {entry.signer_certificate_sha256 for entry in included if entry.signer_certificate_sha256}
    signers |= {c.certificate_sha256 for c in log.cosignatures}
    events = [
        BundleEvent(sequence, kind, actor, at, payload)
        for sequence, kind, actor, at, payload in store.event_rows(session_id)
    ]
    return assemble_bundle(
        session_id=session_id,
        exported_at=datetime.now(UTC),
        ca_certificate=log.ca,
        log_certificate=log.log_certificate,
        signer_certificates=[log.certificates[sha] for sha in sorted(signers) if sha in log.certificates],
        tree=log.tree,
        tree_heads=heads,
        leaves=[log.leaves[entry.index] for entry in included],
        cosignatures=log.cosignatures,
        setup_json=setups[session_id],
        events=events,
    )


def verify_store(trust: Trust, store: Store) -> LogSummary:
    """Re-check everything the store holds; raise VerificationError naming the first bad item."""
    log = _read_log(trust, store)
    _check_heads(log)
    _check_imports(log, store)
    events = 0
    sessions = sorted(store.session_rows())
    for session_id in sessions:
        parts = session_bundle(trust, store, session_id, log)
        try:
            verify_bundle(parts)
        except VerificationError as error:
            raise VerificationError(f"session {session_id}: {error}") from None
        events += len(parts.events)
    return LogSummary(len(log.leaves), len(log.heads), len(log.cosignatures), len(sessions), events)


def verify_data_dir(data_dir: DataDir, database_url: str | None = None) -> LogSummary:
    store = data_dir.open_store(database_url)
    try:
        return verify_store(Trust.of(data_dir), store)
    finally:
        store.close()


def export_session(
    data_dir: DataDir, session_id: str, out: Path, database_url: str | None = None
) -> BundleParts:
    store = data_dir.open_store(database_url)
    try:
        parts = session_bundle(Trust.of(data_dir), store, session_id)
    finally:
        store.close()
    write_bundle(parts, out)
    return parts
