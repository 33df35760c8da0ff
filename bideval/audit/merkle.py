"""RFC 9162 §2.1 (= RFC 6962 §2.1) Merkle tree hashing, proofs and proof verification, with SHA-256.

The audit log is a list of entries; entry ``i`` is leaf ``i`` of a Merkle tree. A root hash fixes the
whole list of a given size. Two kinds of proof let anyone holding only hashes check the log offline:

- an **inclusion proof** shows that a leaf is entry ``index`` of the tree of ``size`` whose root is known
  (RFC 9162 §2.1.3: the audit path ``PATH``);
- a **consistency proof** shows that the tree of ``old_size`` is a prefix of the tree of ``new_size``, so
  nothing logged before ``old_size`` was changed or removed (§2.1.4: ``PROOF`` built from ``SUBPROOF``).

Hashing is exactly the RFC's: ``leaf = SHA-256(0x00 ‖ data)``, ``node = SHA-256(0x01 ‖ left ‖ right)``,
the empty tree's root is ``SHA-256("")``, and a tree of ``n > 1`` leaves splits at the largest power of two
smaller than ``n``. The byte formats are documented in ``docs/audit-log.md``; the shared test vectors are
``tests/audit/vectors/merkle.json``.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) never returns a bool that a caller
could forget to look at: it returns ``None`` or raises :class:`ProofError` saying what did not match.

:class:`MerkleTree` is the writer's side: append-only, every past size stays addressable. It stores the
leaf hashes plus every *complete* subtree hash (node ``j`` of level ``h`` covers leaves ``[j·2ʰ, (j+1)·2ʰ)``)
in one ``bytearray`` per level, 32 bytes per hash and no per-object overhead: about 2 × 32 = 64 bytes per
leaf (≈ 64 MiB, plus ``bytearray`` growth slack, for 1,000,000 leaves). Costs, ``n`` = leaves:

==============================  ============================================================
``append``                       O(1) amortised hashes (one leaf hash + on average one node
                                 hash), O(log n) worst case; n appends are O(n) hashes
``root(size)``                   O(log n) stored hashes read, popcount(size) - 1 hashes
``inclusion_proof``              O(log n) reads; at most one subtree on the right edge is not
                                 complete and is folded from O(log n) stored hashes
``consistency_proof``            the same
``from_leaf_hashes``             O(n) hashes, level by level
==============================  ============================================================

:func:`verify_log` recomputes the root of a whole log from the entries alone, streaming, in O(log n)
memory: what a court's verifier runs over an exported log.

Not thread-safe: a writer that appends while other threads read proofs must hold a lock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from hashlib import sha256

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
]

HASH_SIZE = 32
"""Bytes in every hash: leaf hashes, node hashes, roots and proof elements."""

EMPTY_ROOT = sha256(b"").digest()
"""The root of the empty tree, ``MTH({}) = SHA-256()``."""

_LEAF = b"\x00"
_NODE = b"\x01"

# verify_log hashes whole blocks of 2**12 leaves at a time with list comprehensions (no Python-level stack
# work per leaf); the stack merges the block roots. Any power of two gives the same root.
_VERIFY_BLOCK = 1 << 12

# The SHA-256 state after the leaf prefix 0x00: verify_log copies it instead of copying each entry into a
# new ``0x00 ‖ data`` object (for ~1 KB entries, ~10 % off the whole verification; see bench/README.md).
_LEAF_STATE = sha256(_LEAF)


class ProofError(ValueError):
    """A proof, a root or a size did not verify. The message says which and why."""


def leaf_hash(data: bytes) -> bytes:
    """The leaf hash of one log entry: ``SHA-256(0x00 ‖ data)``."""
    return sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 ‖ left ‖ right)``; both children are 32-byte hashes."""
    if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
        raise ValueError(f"children must be {HASH_SIZE}-byte hashes, got {len(left)} and {len(right)} bytes")
    return sha256(_NODE + left + right).digest()


def _fold(hashes: list[bytes]) -> bytes:
    """Fold the roots of consecutive complete subtrees (largest first) into the root of their union.

    ``MTH`` splits at the largest power of two, so the root of ``[a, b)`` is
    ``node(c₁, node(c₂, … node(cₖ₋₁, cₖ)))`` over its decomposition into complete subtrees ``c₁ … cₖ``.
    """
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = sha256(_NODE + left + root).digest()
    return root


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """``MTH(D[n])`` of the leaf *data* ``leaves``, computed level by level (O(n) memory).

    An unpaired last node moves up a level unchanged, which gives exactly the RFC's split at the largest
    power of two. :func:`verify_log` computes the same root in O(log n) memory.
    """
    if not leaves:
        return EMPTY_ROOT
    level = [sha256(_LEAF + data).digest() for data in leaves]
    while len(level) > 1:
        pairs = iter(level)
        upper = [sha256(_NODE + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return level[0]


def verify_log(leaf_data: Iterable[bytes]) -> bytes:
    """The root of the tree over every entry of ``leaf_data``, read once, in O(log n) memory.

    This is the full-log check: a verifier recomputes the root from the exported entries and compares it
    with a signed root. Cost: one leaf hash and (on average) one node hash per entry, as for
    :func:`root_hash`; the entries are consumed in blocks of 4096 so that at most one block is held.
    """
    entries = iter(leaf_data)
    stack: list[bytes] = []  # roots of complete subtrees, largest (leftmost) first
    blocks = 0
    prefixed = _LEAF_STATE.copy
    while True:
        # The leaf hash, inline (a helper call per entry would eat much of what skipping the copy saves):
        # copy the state after 0x00, add the entry, take the digest.
        level = [
            (state := prefixed(), state.update(data), state.digest())[2]  # type: ignore[func-returns-value]
            for data in itertools.islice(entries, _VERIFY_BLOCK)
        ]
        if len(level) < _VERIFY_BLOCK:
            break
        while len(level) > 1:
            pairs = iter(level)
            level = [sha256(_NODE + left + right).digest() for left, right in zip(pairs, pairs, strict=True)]
        node = level[0]
        blocks += 1
        merges = blocks
        while not merges & 1:  # a binary counter: each carry merges two equal subtrees
            node = sha256(_NODE + stack.pop() + node).digest()
            merges >>= 1
        stack.append(node)
    # The last, partial block: the same counter over its leaves, on a stack of its own (its subtrees are
    # all smaller than a block, so they all sit to the right of the block roots).
    tail: list[bytes] = []
    for count, node in enumerate(level, start=1):
        merges = count
        while not merges & 1:
            node = sha256(_NODE + tail.pop() + node).digest()
            merges >>= 1
        tail.append(node)
    return _fold(stack + tail)


def _largest_power_of_two_below(n: int) -> int:
    """``k`` with ``k < n <= 2k``, for ``n > 1``: where ``MTH`` splits a tree of ``n`` leaves."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree whose every past size can still be hashed and proved.

    Level 0 holds the leaf hashes, level ``h`` the hashes of the complete subtrees of ``2ʰ`` leaves, each a
    ``bytearray`` of 32-byte hashes. A hash is only ever appended, never changed: that is what makes roots
    and proofs for past sizes cheap and is also what an append-only log is.
    """

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MerkleTree:
        """Rebuild a tree from its stored leaf hashes (in log order), recomputing every node: O(n)."""
        level = bytearray()
        for position, value in enumerate(hashes):
            if len(value) != HASH_SIZE:
                raise ValueError(f"leaf hash {position} has {len(value)} bytes, not {HASH_SIZE}")
            level += value
        tree = cls()
        tree._size = len(level) // HASH_SIZE
        tree._levels = [level]
        width = 2 * HASH_SIZE
        while len(level) >= width:
            # Complete pairs only: left ‖ right are already adjacent, so the node's input is one slice.
            below = level
            ends = range(width, len(below) + 1, width)
            level = bytearray().join([sha256(_NODE + below[end - width : end]).digest() for end in ends])
            tree._levels.append(level)
        return tree

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self._size

    def append(self, data: bytes) -> int:
        """Append one entry; returns its leaf index."""
        return self.append_leaf_hash(sha256(_LEAF + data).digest())

    def append_leaf_hash(self, value: bytes) -> int:
        """Append an already computed leaf hash (``leaf_hash(data)``); returns its leaf index."""
        if len(value) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(value)}")
        index = self._size
        levels = self._levels
        levels[0] += value
        height, position = 0, index
        while position & 1:  # a right child completes its parent: left ‖ right are the level's last 64 bytes
            node = sha256(_NODE + levels[height][-2 * HASH_SIZE :]).digest()
            height += 1
            position >>= 1
            if height == len(levels):
                levels.append(bytearray())
            levels[height] += node
        self._size = index + 1
        return index

    def leaf_hash_at(self, index: int) -> bytes:
        """The stored hash of leaf ``index``."""
        self._check_index(index, self._size)
        return self._stored(0, index)

    def root(self, size: int | None = None) -> bytes:
        """``MTH`` of the first ``size`` leaves (default: all of them); any past size works."""
        if size is None:
            size = self._size
        self._check_size(size)
        return self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """``PATH(index, D[size])`` (RFC 9162 §2.1.3.1): the audit path from leaf ``index`` to ``root(size)``.

        Ordered from the leaf's sibling upwards, as the RFC defines it and :func:`verify_inclusion` reads it.
        """
        self._check_size(size)
        self._check_index(index, size)
        path: list[bytes] = []  # collected from the root down, reversed at the end
        low, high = 0, size
        while high - low > 1:
            split = low + _largest_power_of_two_below(high - low)
            if index < split:
                path.append(self._range_hash(split, high))
                high = split
            else:
                path.append(self._range_hash(low, split))
                low = split
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """``PROOF(old_size, D[new_size])`` (RFC 9162 §2.1.4.1), bottom-up.

        Empty when ``old_size`` is 0 or equals ``new_size``: those need no proof (see the docs).
        """
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} is not between 0 and the new size {new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []  # collected from the root down, reversed at the end
        low, high, whole_old_tree = 0, new_size, True  # whole_old_tree is SUBPROOF's flag b
        while old_size != high:  # SUBPROOF(m, D[low:high], b) with m = old_size - low
            split = low + _largest_power_of_two_below(high - low)
            if old_size <= split:
                proof.append(self._range_hash(split, high))
                high = split
            else:
                proof.append(self._range_hash(low, split))
                low = split
                whole_old_tree = False
        if not whole_old_tree:
            proof.append(self._range_hash(low, high))
        proof.reverse()
        return proof

    # Internals -----------------------------------------------------------------------------------------

    def _stored(self, height: int, position: int) -> bytes:
        start = position * HASH_SIZE
        return bytes(self._levels[height][start : start + HASH_SIZE])

    def _range_hash(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for a range that starts on a multiple of a power of two ≥ its length.

        Every range that the RFC's recursion visits has that form. It splits into complete subtrees of
        decreasing size (the bits of ``end - start``), each one stored hash: O(log n) reads.
        """
        remaining = end - start
        if remaining & (remaining - 1) == 0 and remaining:  # one complete subtree: one read
            height = remaining.bit_length() - 1
            return self._stored(height, start >> height)
        parts: list[bytes] = []
        for height in range(remaining.bit_length() - 1, -1, -1):
            if remaining >> height & 1:
                parts.append(self._stored(height, start >> height))
                start += 1 << height
        return _fold(parts)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self._size:
            raise ValueError(f"tree size {size} is not between 0 and the current size {self._size}")

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")


# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) --------------------------------------------------------------


def _check_count(what: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{what} must be an integer, not {type(value).__name__}")
    if value < 0:
        raise ProofError(f"{what} must not be negative, got {value}")


def _check_hash(what: str, value: bytes) -> None:
    if not isinstance(value, bytes):
        raise ProofError(f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _check_proof(proof: Sequence[bytes]) -> list[bytes]:
    if isinstance(proof, bytes | str):
        raise ProofError("a proof is a sequence of hashes, not one bytes or str value")
    hashes = list(proof)
    for position, value in enumerate(hashes):
        _check_hash(f"proof hash {position}", value)
    return hashes


def _inclusion_proof_length(index: int, size: int) -> int:
    """The length of ``PATH(index, D[size])``: the levels below the point where the paths to ``index`` and
    to the last leaf part (``inner``), plus the left siblings above it (one per set bit left there)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    """The length of ``PROOF(old_size, D[new_size])`` for ``0 < old_size < new_size``."""
    inner = ((old_size - 1) ^ (new_size - 1)).bit_length()
    border = ((old_size - 1) >> inner).bit_count()
    shift = (old_size & -old_size).bit_length() - 1  # the old tree's last complete subtree: 2**shift leaves
    seed = 0 if old_size == 1 << shift else 1  # its root is in the proof unless it is the old root itself
    return seed + inner - shift + border


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves whose root is ``root``.

    The algorithm of RFC 9162 §2.1.3.2, after checking that the proof has exactly the length that
    ``index`` and ``size`` imply. Returns ``None``; raises :class:`ProofError` on any mismatch.
    """
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    _check_count("leaf index", index)
    _check_count("tree size", size)
    hashes = _check_proof(proof)
    if size == 0:
        raise ProofError(f"leaf index {index} cannot be in the empty tree")
    if index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size} (indices are 0 to {size - 1})")
    expected = _inclusion_proof_length(index, size)
    if len(hashes) != expected:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of size {size} must have {expected} hashes, "
            f"got {len(hashes)}"
        )
    fn, sn = index, size - 1
    r = leaf_hash
    for p in hashes:
        if sn == 0:
            raise ProofError(f"inclusion proof for leaf {index} in a tree of size {size} is too long")
        if fn & 1 or fn == sn:
            r = sha256(_NODE + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(_NODE + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof for leaf {index} in a tree of size {size} is too short")
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of size {size} leads to root {r.hex()}, "
            f"not to the expected root {root.hex()}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the tree of ``new_size``.

    The algorithm of RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``, after checking the proof's length.
    The cases the RFC leaves out: ``old_size == new_size`` needs an empty proof and equal roots;
    ``old_size == 0`` needs an empty proof and ``old_root == EMPTY_ROOT``; ``old_size > new_size`` always
    fails. Returns ``None``; raises :class:`ProofError` on any mismatch.
    """
    _check_count("old tree size", old_size)
    _check_count("new tree size", new_size)
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    hashes = _check_proof(proof)
    if old_size > new_size:
        raise ProofError(
            f"old tree size {old_size} is larger than new tree size {new_size}: a log only grows"
        )
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise ProofError(f"the root of the empty tree is {EMPTY_ROOT.hex()}, not {old_root.hex()}")
    if old_size == new_size:
        if hashes:
            raise ProofError(
                f"trees of the same size {old_size} need an empty consistency proof, got {len(hashes)} hashes"
            )
        if old_root != new_root:
            raise ProofError(
                f"two different roots for the same tree size {old_size}: "
                f"{old_root.hex()} and {new_root.hex()}"
            )
        return
    if old_size == 0:
        if hashes:
            raise ProofError(f"the empty tree needs an empty consistency proof, got {len(hashes)} hashes")
        return
    if not hashes:
        raise ProofError(f"consistency proof from size {old_size} to size {new_size} is empty")
    expected = _consistency_proof_length(old_size, new_size)
    if len(hashes) != expected:
        raise ProofError(
            f"consistency proof from size {old_size} to size {new_size} must have {expected} hashes, "
            f"got {len(hashes)}"
        )
    if old_size & (old_size - 1) == 0:  # the old tree is one complete subtree: its root starts the path
        hashes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = hashes[0]
    for c in hashes[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof from size {old_size} to size {new_size} is too long")
        if fn & 1 or fn == sn:
            fr = sha256(_NODE + c + fr).digest()
            sr = sha256(_NODE + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha256(_NODE + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof from size {old_size} to size {new_size} is too short")
    if fr != old_root:
        raise ProofError(
            f"consistency proof from size {old_size} to size {new_size} leads to old root {fr.hex()}, "
            f"not to the expected {old_root.hex()}"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency proof from size {old_size} to size {new_size} leads to new root {sr.hex()}, "
            f"not to the expected {new_root.hex()}"
        )
