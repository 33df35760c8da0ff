"""RFC 9162 §2.1 Merkle trees: published vectors, a naive reference, proof mutations and properties.

Three independent sources are checked against each other:

- the certificate-transparency / transparency-dev test vectors for the 8-leaf tree, written out literally;
- a naive implementation below, written straight from the RFC's recursive definitions (MTH, PATH, PROOF,
  SUBPROOF) with ``hashlib`` and list slicing, sharing no code with ``bideval.audit.merkle``;
- ``tests/audit/vectors/merkle.json``, the vectors shared with the client, generated from the naive
  implementation. Regenerate after a deliberate change with ``.venv/bin/python tests/audit/test_merkle.py``.

The mutation tests follow transparency-dev/merkle ``proof/verify_test.go``: every valid proof of every tree
of 1 to 20 leaves, altered in one way, must be rejected with ``ProofError``.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bideval.audit import merkle
from bideval.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
    verify_log,
)

VECTORS = Path(__file__).parent / "vectors" / "merkle.json"


# The naive reference: RFC 9162 §2.1 as written -------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + d[0])
    k = split_point(n)
    return sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:]))


def naive_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = split_point(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m < n; empty for m == 0 and m == n (no proof needed)."""
    if m in (0, len(d)):
        return []
    return naive_subproof(m, d, True)


def path_sides(m: int, n: int) -> tuple[str, ...]:
    """For PATH(m, D[n]), bottom-up: on which side of the running hash each proof hash joins."""
    if n == 1:
        return ()
    k = split_point(n)
    if m < k:
        return (*path_sides(m, k), "right")
    return (*path_sides(m - k, n - k), "left")


def subproof_sides(m: int, n: int, b: bool = True) -> tuple[str, ...]:
    """The same for SUBPROOF(m, D[n], b); "seed" is the old tree's last subtree, "left" hashes are in both."""
    if m == n:
        return () if b else ("seed",)
    k = split_point(n)
    if m <= k:
        return (*subproof_sides(m, k, b), "right")
    return (*subproof_sides(m - k, n - k, False), "left")


# The published vectors (transparency-dev/merkle proof/verify_test.go; leaf numbers there are 1-based) ------

CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
CT_INCLUSION = [  # (0-based leaf index, tree size, proof)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


# Mutations (each result must be rejected) ---------------------------------------------------------------


def flip_bit(value: bytes, byte: int, bit: int) -> bytes:
    changed = bytearray(value)
    changed[byte] ^= 1 << bit
    return bytes(changed)


def proof_mutations(proof: list[bytes], extras: dict[str, bytes]) -> Iterator[tuple[str, list[bytes]]]:
    """Every way of damaging a proof's list of hashes that the brief and transparency-dev list."""
    for name, extra in extras.items():
        yield f"{name} appended", [*proof, extra]
        yield f"{name} prepended", [extra, *proof]
    yield "empty bytes appended", [*proof, b""]
    yield "empty bytes prepended", [b"", *proof]
    for i in range(len(proof)):
        yield f"proof[{i}] bit 3 of byte 0 flipped", [*proof[:i], flip_bit(proof[i], 0, 3), *proof[i + 1 :]]
        yield f"proof[{i}] bit 0 of byte 31 flipped", [*proof[:i], flip_bit(proof[i], 31, 0), *proof[i + 1 :]]
        yield f"proof[{i}] removed", proof[:i] + proof[i + 1 :]
        yield f"proof[{i}] duplicated", [*proof[: i + 1], proof[i], *proof[i + 1 :]]
    if len(proof) > 1:
        yield "proof reversed", proof[::-1]
        yield "some hash inserted after proof[0]", [proof[0], SOME_HASH, *proof[1:]]


InclusionArgs = tuple[bytes, int, int, list[bytes], bytes]  # leaf hash, index, size, proof, root
ConsistencyArgs = tuple[int, int, bytes, bytes, list[bytes]]  # old size, new size, old root, new root, proof


def inclusion_mutations(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> list[tuple[str, InclusionArgs]]:
    cases: list[tuple[str, InclusionArgs]] = [
        ("index - 1", (leaf, index - 1, size, proof, root)),
        ("index + 1", (leaf, index + 1, size, proof, root)),
        ("index ^ 2", (leaf, index ^ 2, size, proof, root)),
        ("size * 2", (leaf, index, size * 2, proof, root)),
        ("size // 2", (leaf, index, size // 2, proof, root)),
        ("wrong leaf", (sha256(b"\x00wrong leaf"), index, size, proof, root)),
        ("leaf not 32 bytes", (b"WrongLeaf", index, size, proof, root)),
        ("wrong root", (leaf, index, size, proof, SOME_HASH)),
        ("empty-tree root", (leaf, index, size, proof, EMPTY_ROOT)),
        ("root not 32 bytes", (leaf, index, size, proof, b"WrongRoot")),
        ("leaf and root swapped", (root, index, size, proof, leaf)),
    ]
    cases = [case for case in cases if case[1] != (leaf, index, size, proof, root)]
    for name, damaged in proof_mutations(proof, {"root": root, "leaf": leaf, "some hash": SOME_HASH}):
        cases.append((name, (leaf, index, size, damaged, root)))
    return cases


def consistency_mutations(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[str, ConsistencyArgs]]:
    cases: list[tuple[str, ConsistencyArgs]] = [
        ("old size - 1", (old_size - 1, new_size, old_root, new_root, proof)),
        ("old size + 1", (old_size + 1, new_size, old_root, new_root, proof)),
        ("old size ^ 2", (old_size ^ 2, new_size, old_root, new_root, proof)),
        ("old size * 2", (old_size * 2, new_size, old_root, new_root, proof)),
        ("old size // 2", (old_size // 2, new_size, old_root, new_root, proof)),
        ("new size * 2", (old_size, new_size * 2, old_root, new_root, proof)),
        ("new size // 2", (old_size, new_size // 2, old_root, new_root, proof)),
        ("sizes swapped", (new_size, old_size, old_root, new_root, proof)),
        ("wrong old root", (old_size, new_size, SOME_HASH, new_root, proof)),
        ("wrong new root", (old_size, new_size, old_root, SOME_HASH, proof)),
        ("old root not 32 bytes", (old_size, new_size, b"WrongRoot", new_root, proof)),
        ("new root not 32 bytes", (old_size, new_size, old_root, b"WrongRoot", proof)),
        ("roots swapped", (old_size, new_size, new_root, old_root, proof)),
        ("both roots the new root", (old_size, new_size, new_root, new_root, proof)),
        ("empty proof", (old_size, new_size, old_root, new_root, [])),
    ]
    cases = [case for case in cases if case[1] != (old_size, new_size, old_root, new_root, proof)]
    extras = {"old root": old_root, "new root": new_root, "some hash": SOME_HASH, "proof[0]": proof[0]}
    for name, damaged in proof_mutations(proof, extras):
        cases.append((name, (old_size, new_size, old_root, new_root, damaged)))
    return cases


# The shared vectors file -----------------------------------------------------------------------------


def build_vectors() -> dict[str, Any]:
    """Everything in merkle.json, computed with the naive reference only."""
    leaves = CT_LEAVES
    hx = bytes.hex

    def inclusion(args: InclusionArgs, why: str | None = None) -> dict[str, Any]:
        leaf, index, size, proof, root = args
        entry = {
            "index": index,
            "size": size,
            "leaf_hash": hx(leaf),
            "root": hx(root),
            "proof": [*map(hx, proof)],
        }
        return entry if why is None else {"why": why, **entry}

    def consistency(args: ConsistencyArgs, why: str | None = None) -> dict[str, Any]:
        old_size, new_size, old_root, new_root, proof = args
        entry = {
            "old_size": old_size,
            "new_size": new_size,
            "old_root": hx(old_root),
            "new_root": hx(new_root),
            "proof": [*map(hx, proof)],
        }
        return entry if why is None else {"why": why, **entry}

    def inclusion_args(index: int, size: int) -> InclusionArgs:
        return (
            naive_mth(leaves[index : index + 1]),
            index,
            size,
            naive_path(index, leaves[:size]),
            naive_mth(leaves[:size]),
        )

    def consistency_args(old_size: int, new_size: int) -> ConsistencyArgs:
        old, new = naive_mth(leaves[:old_size]), naive_mth(leaves[:new_size])
        return old_size, new_size, old, new, naive_proof(old_size, leaves[:new_size])

    last_leaf, _, _, last_proof, full_root = inclusion_args(7, 8)
    invalid_inclusion = [
        inclusion((naive_mth(leaves[:1]), 0, 0, [], EMPTY_ROOT), "no leaf is in the empty tree"),
        inclusion((last_leaf, 8, 8, last_proof, full_root), "index equal to size"),
    ]
    for index, size in ((5, 8),):
        for why, args in inclusion_mutations(*inclusion_args(index, size)):
            if args[1] >= 0:  # JSON clients may use unsigned sizes
                invalid_inclusion.append(inclusion(args, f"PATH({index}, D[{size}]) with {why}"))

    a, b = naive_mth(leaves[:3]), naive_mth(leaves[:5])
    invalid_consistency = [
        consistency((5, 3, b, a, naive_proof(3, leaves[:5])), "old size larger than new size"),
        consistency((3, 3, a, a, [a]), "equal sizes need an empty proof"),
        consistency((3, 3, a, b, []), "equal sizes need equal roots"),
        consistency((0, 0, a, a, []), "the empty tree's root is SHA-256 of nothing"),
        consistency((0, 3, a, a, []), "the empty tree's root is SHA-256 of nothing"),
        consistency((0, 3, EMPTY_ROOT, a, [a]), "from the empty tree the proof is empty"),
    ]
    for old_size, new_size in ((6, 7),):
        for why, cargs in consistency_mutations(*consistency_args(old_size, new_size)):
            if cargs[0] >= 0 and cargs[1] >= 0:
                invalid_consistency.append(consistency(cargs, f"PROOF({old_size}, D[{new_size}]) with {why}"))

    return {
        "description": (
            "RFC 9162 section 2.1 (= RFC 6962 section 2.1) Merkle tree vectors with SHA-256, for the tree "
            "of the eight certificate-transparency test leaves. All byte strings are lowercase hex. "
            "Inclusion proofs are PATH(index, D[size]) and consistency proofs PROOF(old_size, D[new_size]), "
            "bottom-up, as in the RFC; old_size 0 and old_size == new_size have empty proofs. Every "
            "'invalid' entry must be rejected by a verifier. Generated by tests/audit/test_merkle.py from a "
            "naive implementation of the RFC's definitions; see docs/audit-log.md."
        ),
        "hash": "SHA-256",
        "leaves": [hx(d) for d in leaves],
        "leaf_hashes": [hx(naive_mth(leaves[i : i + 1])) for i in range(len(leaves))],
        "roots": [{"size": n, "root": hx(naive_mth(leaves[:n]))} for n in range(len(leaves) + 1)],
        "inclusion": [inclusion(inclusion_args(i, n)) for n in range(1, len(leaves) + 1) for i in range(n)],
        "consistency": [
            consistency(consistency_args(m, n)) for n in range(len(leaves) + 1) for m in range(n + 1)
        ],
        "invalid_inclusion": invalid_inclusion,
        "invalid_consistency": invalid_consistency,
    }


def write_vectors() -> None:
    VECTORS.parent.mkdir(parents=True, exist_ok=True)
    VECTORS.write_text(json.dumps(build_vectors(), indent=1) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return loaded


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


# Known vectors -------------------------------------------------------------------------------------------


def test_naive_reference_gives_the_published_vectors() -> None:
    assert naive_mth([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for size, root in CT_ROOTS.items():
        assert naive_mth(CT_LEAVES[:size]).hex() == root
    for index, size, proof in CT_INCLUSION:
        assert [p.hex() for p in naive_path(index, CT_LEAVES[:size])] == proof
    for old_size, new_size, proof in CT_CONSISTENCY:
        assert [p.hex() for p in naive_proof(old_size, CT_LEAVES[:new_size])] == proof


def test_library_gives_the_published_vectors() -> None:
    tree = MerkleTree()
    for data in CT_LEAVES:
        tree.append(data)
    assert tree.root().hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert (
        tree.root(0)
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )
    for size, root in CT_ROOTS.items():
        assert tree.root(size).hex() == root
        assert root_hash(CT_LEAVES[:size]).hex() == root
        assert verify_log(iter(CT_LEAVES[:size])).hex() == root
    for index, size, proof in CT_INCLUSION:
        assert [p.hex() for p in tree.inclusion_proof(index, size)] == proof
        verify_inclusion(
            leaf_hash(CT_LEAVES[index]), index, size, unhex(proof), bytes.fromhex(CT_ROOTS[size])
        )
    for old_size, new_size, proof in CT_CONSISTENCY:
        assert [p.hex() for p in tree.consistency_proof(old_size, new_size)] == proof
        old_root, new_root = bytes.fromhex(CT_ROOTS[old_size]), bytes.fromhex(CT_ROOTS[new_size])
        verify_consistency(old_size, new_size, old_root, new_root, unhex(proof))


def test_vectors_file_is_what_the_naive_reference_computes(vectors: dict[str, Any]) -> None:
    assert vectors == build_vectors(), "regenerate with: .venv/bin/python tests/audit/test_merkle.py"
    assert vectors["roots"][8]["root"] == CT_ROOTS[8]
    assert len(vectors["inclusion"]) == 36
    assert len(vectors["consistency"]) == 45


def test_library_agrees_with_the_vectors_file(vectors: dict[str, Any]) -> None:
    leaves = unhex(vectors["leaves"])
    tree = MerkleTree()
    for data in leaves:
        tree.append(data)
    assert [tree.leaf_hash_at(i).hex() for i in range(tree.size)] == vectors["leaf_hashes"]
    assert [leaf_hash(d).hex() for d in leaves] == vectors["leaf_hashes"]
    for entry in vectors["roots"]:
        assert tree.root(entry["size"]).hex() == entry["root"]
    for entry in vectors["inclusion"]:
        proof = tree.inclusion_proof(entry["index"], entry["size"])
        assert [p.hex() for p in proof] == entry["proof"]
        verify_inclusion(
            bytes.fromhex(entry["leaf_hash"]),
            entry["index"],
            entry["size"],
            proof,
            bytes.fromhex(entry["root"]),
        )
    for entry in vectors["consistency"]:
        proof = tree.consistency_proof(entry["old_size"], entry["new_size"])
        assert [p.hex() for p in proof] == entry["proof"]
        verify_consistency(
            entry["old_size"],
            entry["new_size"],
            bytes.fromhex(entry["old_root"]),
            bytes.fromhex(entry["new_root"]),
            proof,
        )


def test_invalid_vectors_are_rejected(vectors: dict[str, Any]) -> None:
    assert len(vectors["invalid_inclusion"]) > 30
    assert len(vectors["invalid_consistency"]) > 40
    for entry in vectors["invalid_inclusion"]:
        with pytest.raises(ProofError):
            verify_inclusion(
                bytes.fromhex(entry["leaf_hash"]),
                entry["index"],
                entry["size"],
                unhex(entry["proof"]),
                bytes.fromhex(entry["root"]),
            )
    for entry in vectors["invalid_consistency"]:
        with pytest.raises(ProofError):
            verify_consistency(
                entry["old_size"],
                entry["new_size"],
                bytes.fromhex(entry["old_root"]),
                bytes.fromhex(entry["new_root"]),
                unhex(entry["proof"]),
            )


# Mutations ---------------------------------------------------------------------------------------------

MAX_SIZE = 20
MUTATION_LEAVES = [f"entry {i}".encode() for i in range(2 * MAX_SIZE + 2)]


@pytest.fixture(scope="module")
def mutation_tree() -> MerkleTree:
    tree = MerkleTree()
    for data in MUTATION_LEAVES:
        tree.append(data)
    return tree


def accepts(verify: Callable[..., None], *args: Any) -> bool:
    try:
        verify(*args)
    except ProofError:
        return False
    return True


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_every_mutated_inclusion_proof_is_rejected(mutation_tree: MerkleTree, size: int) -> None:
    root = mutation_tree.root(size)
    accepted = []
    checked = 0
    for index in range(size):
        proof = mutation_tree.inclusion_proof(index, size)
        assert proof == naive_path(index, MUTATION_LEAVES[:size])
        leaf = mutation_tree.leaf_hash_at(index)
        verify_inclusion(leaf, index, size, proof, root)
        for why, args in inclusion_mutations(leaf, index, size, proof, root):
            checked += 1
            if accepts(verify_inclusion, *args):
                accepted.append(f"leaf {index}: {why}")
    assert checked >= 17 * size
    assert not accepted


@pytest.mark.parametrize("new_size", range(2, MAX_SIZE + 1))
def test_every_mutated_consistency_proof_is_rejected(mutation_tree: MerkleTree, new_size: int) -> None:
    new_root = mutation_tree.root(new_size)
    accepted = []
    for old_size in range(1, new_size):
        old_root = mutation_tree.root(old_size)
        proof = mutation_tree.consistency_proof(old_size, new_size)
        assert proof == naive_proof(old_size, MUTATION_LEAVES[:new_size])
        verify_consistency(old_size, new_size, old_root, new_root, proof)
        for why, args in consistency_mutations(old_size, new_size, old_root, new_root, proof):
            if accepts(verify_consistency, *args):
                accepted.append(f"old size {old_size}: {why}")
    assert not accepted


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_inclusion_with_size_off_by_one_fails_unless_the_path_has_the_same_shape(
    mutation_tree: MerkleTree, size: int
) -> None:
    """Size ± 1 is the one mutation an RFC 9162 verifier cannot always catch.

    The verifier rebuilds the root from the proof along the path that ``index`` and ``size`` determine;
    when the path to ``index`` has the same shape in a tree one leaf larger or smaller (e.g. leaf 0 of 3
    and of 4 leaves), the same hashes give the same root. The tree size is authenticated by the signed
    tree head that carries the root, never by the proof. Everything else must still fail.
    """
    root = mutation_tree.root(size)
    for index in range(size):
        proof = mutation_tree.inclusion_proof(index, size)
        leaf = mutation_tree.leaf_hash_at(index)
        for other in (size - 1, size + 1):
            same_shape = index < other and path_sides(index, other) == path_sides(index, size)
            assert accepts(verify_inclusion, leaf, index, other, proof, root) == same_shape, (index, other)


@pytest.mark.parametrize("new_size", range(2, MAX_SIZE + 1))
def test_consistency_with_new_size_off_by_one_fails_unless_the_proof_has_the_same_shape(
    mutation_tree: MerkleTree, new_size: int
) -> None:
    new_root = mutation_tree.root(new_size)
    for old_size in range(1, new_size):
        old_root = mutation_tree.root(old_size)
        proof = mutation_tree.consistency_proof(old_size, new_size)
        for other in (new_size - 1, new_size + 1):
            same_shape = old_size < other and subproof_sides(old_size, other) == subproof_sides(
                old_size, new_size
            )
            accepted = accepts(verify_consistency, old_size, other, old_root, new_root, proof)
            assert accepted == same_shape, (old_size, other)


def test_a_proof_does_not_fix_the_tree_size_the_signed_root_does() -> None:
    tree = MerkleTree()
    for data in CT_LEAVES[:4]:
        tree.append(data)
    proof_in_3 = tree.inclusion_proof(0, 3)
    # PATH(0, D[3]) = [leaf 1, leaf 2] and PATH(0, D[4]) = [leaf 1, MTH(D[2:4])]: same shape, so the size-3
    # proof and root also "verify" for size 4. Only a signed (size, root) pair rules this out.
    verify_inclusion(tree.leaf_hash_at(0), 0, 4, proof_in_3, tree.root(3))
    with pytest.raises(ProofError):
        verify_inclusion(tree.leaf_hash_at(0), 0, 4, proof_in_3, tree.root(4))


# Edge cases and messages ---------------------------------------------------------------------------------


def one_leaf_tree() -> tuple[bytes, bytes]:
    leaf = leaf_hash(b"data")
    return leaf, leaf  # the root of a one-leaf tree is its leaf hash


def test_inclusion_edge_cases() -> None:
    leaf, root = one_leaf_tree()
    verify_inclusion(leaf, 0, 1, [], root)
    with pytest.raises(ProofError, match="cannot be in the empty tree"):
        verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match=r"leaf index 1 is not in a tree of size 1 \(indices are 0 to 0\)"):
        verify_inclusion(leaf, 1, 1, [], root)
    with pytest.raises(ProofError, match="leaf index must not be negative, got -1"):
        verify_inclusion(leaf, -1, 1, [], root)
    with pytest.raises(ProofError, match="tree size must be an integer, not bool"):
        verify_inclusion(leaf, 0, True, [], root)
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes, got 4"):
        verify_inclusion(b"data", 0, 1, [], root)
    with pytest.raises(ProofError, match="root must be bytes, not str"):
        verify_inclusion(leaf, 0, 1, [], root.hex())  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="proof hash 1 must be 32 bytes, got 31"):
        verify_inclusion(leaf, 0, 3, [leaf, leaf[1:]], root)
    with pytest.raises(ProofError, match="a proof is a sequence of hashes"):
        verify_inclusion(leaf, 0, 2, leaf, root)  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="leaf 0 in a tree of size 1 must have 0 hashes, got 1"):
        verify_inclusion(leaf, 0, 1, [leaf], root)
    with pytest.raises(
        ProofError, match=f"leads to root {leaf.hex()}, not to the expected root {SOME_HASH.hex()}"
    ):
        verify_inclusion(leaf, 0, 1, [], SOME_HASH)


def test_consistency_edge_cases() -> None:
    leaf, root = one_leaf_tree()
    other = node_hash(root, root)
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, SOME_HASH, [])  # every tree extends the empty tree
    verify_consistency(1, 1, root, root, [])
    with pytest.raises(ProofError, match="the root of the empty tree is e3b0c442"):
        verify_consistency(0, 0, SOME_HASH, SOME_HASH, [])
    with pytest.raises(ProofError, match="the root of the empty tree is e3b0c442"):
        verify_consistency(0, 2, root, other, [])
    with pytest.raises(ProofError, match="the empty tree needs an empty consistency proof, got 1 hashes"):
        verify_consistency(0, 2, EMPTY_ROOT, other, [leaf])
    with pytest.raises(ProofError, match="same size 1 need an empty consistency proof, got 1 hashes"):
        verify_consistency(1, 1, root, root, [root])
    with pytest.raises(ProofError, match="two different roots for the same tree size 1"):
        verify_consistency(1, 1, root, other, [])
    with pytest.raises(ProofError, match="old tree size 2 is larger than new tree size 1"):
        verify_consistency(2, 1, other, root, [])
    with pytest.raises(ProofError, match="from size 1 to size 2 is empty"):
        verify_consistency(1, 2, root, other, [])
    with pytest.raises(ProofError, match="from size 1 to size 2 must have 1 hashes, got 2"):
        verify_consistency(1, 2, root, other, [root, root])
    with pytest.raises(ProofError, match="old tree size must not be negative"):
        verify_consistency(-1, 2, root, other, [])
    with pytest.raises(ProofError, match="new root must be 32 bytes, got 0"):
        verify_consistency(1, 2, root, b"", [root])
    with pytest.raises(ProofError, match="leads to new root"):
        verify_consistency(1, 2, root, other, [SOME_HASH])
    with pytest.raises(ProofError, match="leads to old root"):
        # old size 3 is not a power of two: the proof carries the old tree's last subtree, and it is wrong
        verify_consistency(3, 4, SOME_HASH, other, [root, root, root])


def test_proof_error_is_a_value_error() -> None:
    assert issubclass(ProofError, ValueError)


def test_tree_arguments_are_checked() -> None:
    tree = MerkleTree()
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT
    assert tree.consistency_proof(0, 0) == []
    assert [tree.append(b"a"), tree.append(b"b"), tree.append_leaf_hash(leaf_hash(b"c"))] == [0, 1, 2]
    assert tree.root() == naive_mth([b"a", b"b", b"c"])
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: tree.inclusion_proof(3, 3), "leaf index 3 is not in a tree of size 3"),
        (lambda: tree.inclusion_proof(0, 4), "tree size 4 is not between 0 and the current size 3"),
        (lambda: tree.inclusion_proof(-1, 3), "leaf index -1"),
        (lambda: tree.root(4), "tree size 4"),
        (lambda: tree.root(-1), "tree size -1"),
        (lambda: tree.consistency_proof(3, 2), "old size 3 is not between 0 and the new size 2"),
        (lambda: tree.consistency_proof(1, 4), "tree size 4"),
        (lambda: tree.leaf_hash_at(3), "leaf index 3"),
        (lambda: tree.append_leaf_hash(b"short"), "a leaf hash has 32 bytes, not 5"),
        (lambda: MerkleTree.from_leaf_hashes([SOME_HASH, b"x"]), "leaf hash 1 has 1 bytes, not 32"),
        (lambda: node_hash(SOME_HASH, b""), "children must be 32-byte hashes"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message) as raised:
            call()
        assert not isinstance(raised.value, ProofError)  # a caller's mistake, not a failed proof
    assert tree.size == 3


def test_hash_functions_follow_the_rfc() -> None:
    assert leaf_hash(b"abc") == sha256(b"\x00abc")
    assert node_hash(SOME_HASH, EMPTY_ROOT) == sha256(b"\x01" + SOME_HASH + EMPTY_ROOT)
    assert sha256(b"") == EMPTY_ROOT
    assert root_hash([]) == verify_log([]) == EMPTY_ROOT
    assert root_hash([b"abc"]) == verify_log([b"abc"]) == leaf_hash(b"abc")


# Properties ----------------------------------------------------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=24), max_size=48)


@settings(deadline=None)
@given(leaf_lists)
def test_incremental_roots_equal_the_naive_root_at_every_size(leaves: list[bytes]) -> None:
    tree = MerkleTree()
    for index, data in enumerate(leaves):
        assert tree.append(data) == index
    rebuilt = MerkleTree.from_leaf_hashes(leaf_hash(d) for d in leaves)
    assert tree.size == rebuilt.size == len(leaves)
    for size in range(len(leaves) + 1):
        expected = naive_mth(leaves[:size])
        assert tree.root(size) == rebuilt.root(size) == expected
    assert tree.root() == root_hash(leaves) == verify_log(iter(leaves)) == naive_mth(leaves)


@settings(deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=48), st.data())
def test_every_proof_is_the_rfc_proof_and_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.from_leaf_hashes(leaf_hash(d) for d in leaves)
    size = data.draw(st.integers(1, len(leaves)), label="size")
    root = naive_mth(leaves[:size])
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        assert proof == naive_path(index, leaves[:size])
        verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
    for old_size in range(size + 1):
        proof = tree.consistency_proof(old_size, size)
        assert proof == naive_proof(old_size, leaves[:size])
        verify_consistency(old_size, size, naive_mth(leaves[:old_size]), root, proof)


@pytest.mark.parametrize("extra", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_verify_log_around_block_boundaries(blocks: int, extra: int) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(blocks * merkle._VERIFY_BLOCK + extra)]
    assert (
        verify_log(iter(leaves))
        == root_hash(leaves)
        == MerkleTree.from_leaf_hashes(map(leaf_hash, leaves)).root()
    )


def test_verify_log_streams_in_small_memory() -> None:
    count = 40_000  # 8 MB of entries: kept whole, they would show up in the peak

    def entries() -> Iterator[bytes]:
        for i in range(count):
            yield i.to_bytes(8, "big") * 25

    tracemalloc.start()
    try:
        root = verify_log(entries())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"verify_log held {peak} bytes"
    assert root == root_hash(list(entries()))


def test_tree_is_compact() -> None:
    count = 1 << 14
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(count)]
    tracemalloc.start()
    try:
        tree = MerkleTree()
        for value in hashes:
            tree.append_leaf_hash(value)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Leaf hashes + complete subtree hashes are 2 × 32 bytes per leaf; 32-byte bytes objects in lists
    # would be about 2 × 73.
    assert used < 80 * count, f"{used / count:.1f} bytes per leaf"
    assert tree.root() == root_hash([i.to_bytes(4, "big") for i in range(count)])


def test_hundred_thousand_appends_and_random_proofs() -> None:
    rng = random.Random(6962)
    entries = [rng.randbytes(64) for _ in range(100_000)]
    tree = MerkleTree()
    for data in entries:
        tree.append(data)
    assert tree.root() == verify_log(iter(entries)) == root_hash(entries)
    rebuilt = MerkleTree.from_leaf_hashes(tree.leaf_hash_at(i) for i in range(tree.size))
    assert rebuilt.root() == tree.root()
    sizes = [rng.randint(1, tree.size) for _ in range(300)] + [tree.size, 1 << 16, (1 << 16) + 1]
    for size in sizes:
        root = tree.root(size)
        index = rng.randrange(size)
        proof = tree.inclusion_proof(index, size)
        assert len(proof) <= size.bit_length()
        verify_inclusion(leaf_hash(entries[index]), index, size, proof, root)
        old_size = rng.randint(0, size)
        verify_consistency(old_size, size, tree.root(old_size), root, tree.consistency_proof(old_size, size))
    # a changed entry changes every later root and no earlier one
    changed = entries.copy()
    changed[50_000] = b"changed"
    assert verify_log(changed) != tree.root()
    assert verify_log(changed[:50_000]) == tree.root(50_000)


if __name__ == "__main__":
    write_vectors()
    print(f"wrote {VECTORS}", file=sys.stderr)
