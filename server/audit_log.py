"""The server's tamper-evident audit log: an RFC 9162 Merkle tree over every state change.

Each append yields the entry bytes, a tree head signed by the log key for the new size, and the receipt the
caller gets back (leaf index, head, inclusion proof). The store writes the entry and the head in the same
transaction as the events and the operation record, so the log can never lag or lead the data it vouches for.
The in-memory tree only grows; if a commit fails the application rebuilds it from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from bideval.audit.entries import Entry, TreeHead, sign_tree_head
from bideval.audit.merkle import MerkleTree
from bideval.audit.signing import Signer


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a writer gets back: proof that its entry is in the log under a signed head."""

    leaf_index: int
    leaf: bytes
    tree_head: TreeHead
    inclusion_proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class AuditAppend:
    """One entry and the head that covers it, to be committed together."""

    entry: Entry
    leaf: bytes
    tree_head: TreeHead
    receipt: Receipt


class AuditLog:
    def __init__(self, signer: Signer, leaf_hashes: list[bytes], latest_head: TreeHead | None) -> None:
        # Only the tree (≈ 70 bytes an entry) is kept in memory; entries and older heads stay in the store.
        self._signer = signer
        self._tree = MerkleTree.from_leaf_hashes(leaf_hashes)
        self._latest = latest_head
        if (latest_head.tree_size if latest_head else 0) != self._tree.size:
            raise ValueError("the newest signed tree head does not cover every stored audit entry")

    @property
    def certificate(self) -> x509.Certificate:
        return self._signer.certificate

    @property
    def size(self) -> int:
        return self._tree.size

    @property
    def latest_head(self) -> TreeHead | None:
        return self._latest

    def append(self, entry: Entry, now: datetime) -> AuditAppend:
        """Add ``entry`` (its ``index`` must be the current size) and sign the new head."""
        if entry.index != self._tree.size:
            raise ValueError(f"audit entry index {entry.index} but the log has {self._tree.size} entries")
        leaf = entry.to_bytes()
        index = self._tree.append(leaf)
        size = self._tree.size
        head = sign_tree_head(self._signer, size, self._tree.root(), now)
        self._latest = head
        receipt = Receipt(index, leaf, head, tuple(self._tree.inclusion_proof(index, size)))
        return AuditAppend(entry, leaf, head, receipt)

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        return self._tree.inclusion_proof(index, tree_size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return self._tree.consistency_proof(old_size, new_size)
