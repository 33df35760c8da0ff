"""The client's check on the server's audit log: receipts, tree heads, consistency, co-signatures.

Every answer to a change carries a receipt. The witness checks that the receipt's entry is the change the
client signed, that the head is signed by the platform's log key, that the entry is in the tree under that
head, and that the new head extends the last head this client checked (RFC 9162 consistency proof). A
server that rewrote or dropped history is caught by the first client that sees a head after the rewrite.
Supervisors' clients also co-sign the heads they have checked, so the server cannot show different
histories to different people without someone holding a signed contradiction.
"""

from __future__ import annotations

import threading
from typing import Any

from cryptography import x509

from bideval.audit.entries import Entry, TreeHead, tree_head_bytes, verify_tree_head
from bideval.audit.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from bideval.audit.signing import SignatureError, Signer
from bideval.audit.wire import tree_head_from_proto, tree_head_to_proto
from bideval.identity.pki import CertificateError, verify_issued_by
from bideval.v1 import audit_service_pb2, common_pb2


class AuditLogError(Exception):
    """The server's audit log failed a check: report it to the supervisor, never ignore it."""


class ReceiptInvalid(AuditLogError):
    """A receipt that does not prove what it claims."""


class LogForked(AuditLogError):
    """The log's history changed since this client last checked it: the server rewrote or dropped entries."""


class LogWitness:
    """Checks one client's receipts against the newest tree head it has verified (thread-safe)."""

    def __init__(
        self,
        audit_stub: Any,
        ca_certificate: x509.Certificate,
        cosigner: Signer | None = None,
        last_head: TreeHead | None = None,
    ) -> None:
        self._stub = audit_stub
        self._ca = ca_certificate
        self._cosigner = cosigner
        self._last = last_head
        self._log_certificate: x509.Certificate | None = None
        self._lock = threading.Lock()
        self._cosigned = 0

    @property
    def last_head(self) -> TreeHead | None:
        """The newest head checked (the client cache persists it between runs)."""
        return self._last

    @property
    def cosigned_count(self) -> int:
        """How many heads this client co-signed since it started (the supervisor's console shows it)."""
        return self._cosigned

    def log_certificate(self) -> x509.Certificate:
        if self._log_certificate is None:
            response = self._stub.GetTreeHead(audit_service_pb2.GetTreeHeadRequest(), timeout=10)
            certificate = x509.load_der_x509_certificate(response.log_certificate)
            try:
                verify_issued_by(certificate, self._ca)
            except CertificateError as error:
                raise AuditLogError(
                    f"the log key's certificate is not from the platform CA: {error}"
                ) from None
            self._log_certificate = certificate
        return self._log_certificate

    def check_receipt(self, receipt: common_pb2.AuditReceipt, envelope: bytes | None = None) -> Entry:
        """Verify a receipt; ``envelope`` is the SignedEnvelope bytes the client sent (its own change)."""
        try:
            entry = Entry.from_bytes(receipt.leaf)
        except (ValueError, KeyError) as error:
            raise ReceiptInvalid(f"the receipt's entry is not a valid audit entry: {error}") from None
        if entry.index != receipt.leaf_index:
            raise ReceiptInvalid(f"the receipt says leaf {receipt.leaf_index} but its entry is {entry.index}")
        if envelope is not None and entry.envelope != envelope:
            raise ReceiptInvalid(f"audit entry {entry.index} does not hold the change this client signed")
        head = tree_head_from_proto(receipt.tree_head)
        self._check_head_signature(head)
        try:
            verify_inclusion(
                leaf_hash(receipt.leaf), entry.index, head.tree_size, receipt.inclusion_proof, head.root_hash
            )
        except ProofError as error:
            raise ReceiptInvalid(f"audit entry {entry.index} is not in the signed tree: {error}") from None
        self.advance(head)
        return entry

    def check_latest(self) -> TreeHead:
        """Fetch the newest head and check it extends the last one seen (e.g. when the link returns)."""
        response = self._stub.GetTreeHead(audit_service_pb2.GetTreeHeadRequest(), timeout=10)
        head = tree_head_from_proto(response.tree_head)
        self._check_head_signature(head)
        self.advance(head)
        return head

    def advance(self, head: TreeHead) -> None:
        """Accept ``head`` only if it and the last checked head describe one append-only history."""
        with self._lock:
            last = self._last
            if last is None:
                self._last = head  # the first head: its signature is all there is to check it against
                if self._cosigner is not None:
                    self._cosign(head)
                return
            if head == last:
                return
            older, newer = (last, head) if last.tree_size <= head.tree_size else (head, last)
            if older.tree_size == newer.tree_size:
                if older.root_hash != newer.root_hash:
                    raise LogForked(f"two different signed roots for {older.tree_size} entries")
            else:
                response = self._stub.GetConsistencyProof(
                    audit_service_pb2.GetConsistencyProofRequest(
                        first_size=older.tree_size, second_size=newer.tree_size
                    ),
                    timeout=10,
                )
                try:
                    verify_consistency(
                        older.tree_size,
                        newer.tree_size,
                        older.root_hash,
                        newer.root_hash,
                        list(response.proof),
                    )
                except ProofError as error:
                    raise LogForked(
                        f"the log of {newer.tree_size} entries does not extend the {older.tree_size} entries "
                        f"this client checked: {error}"
                    ) from None
            if head.tree_size > last.tree_size:
                self._last = head
                if self._cosigner is not None:
                    self._cosign(head)

    def _check_head_signature(self, head: TreeHead) -> None:
        try:
            verify_tree_head(head, self.log_certificate())
        except SignatureError as error:
            raise ReceiptInvalid(
                f"tree head of size {head.tree_size} is not signed by the log key: {error}"
            ) from None

    def _cosign(self, head: TreeHead) -> None:
        assert self._cosigner is not None
        signature = self._cosigner.sign(tree_head_bytes(head.tree_size, head.root_hash, head.timestamp))
        self._stub.CosignTreeHead(
            audit_service_pb2.CosignTreeHeadRequest(
                tree_head=tree_head_to_proto(head),
                signature=signature,
                signature_algorithm=self._cosigner.algorithm,
            ),
            timeout=10,
        )
        self._cosigned += 1  # under self._lock (only advance() co-signs)
