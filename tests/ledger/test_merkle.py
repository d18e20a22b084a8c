"""RFC 9162 Merkle tree: third-party vectors, a naive reference, tampering, and read costs."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from defpub.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    NodeKey,
    NodeStore,
    append,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared/data/merkle-vectors"
# The leaves behind the transparency-dev (originally RFC 6962 / CT) test vectors.
VECTOR_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
BIG_TREE_SIZE = 3000
HYPOTHESIS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def build_store(leaves: list[bytes]) -> MemoryNodeStore:
    store = MemoryNodeStore()
    for index, data in enumerate(leaves):
        append(store, index, leaf_hash(data))
    return store


def leaves_for(count: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(count)]


@cache
def big_tree() -> MemoryNodeStore:
    """One store serves every smaller size: the tree of size n is a prefix of any larger one."""
    return build_store(leaves_for(BIG_TREE_SIZE))


# --- naive reference, straight from the RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1 definitions ---


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = _largest_power_of_two_below(len(entries))
    return hashlib.sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:])).digest()


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    if len(entries) == 1:
        return []
    k = _largest_power_of_two_below(len(entries))
    if m < k:
        return ref_path(m, entries[:k]) + [ref_mth(entries[k:])]
    return ref_path(m - k, entries[k:]) + [ref_mth(entries[:k])]


def ref_subproof(m: int, entries: list[bytes], b: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if b else [ref_mth(entries)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return ref_subproof(m, entries[:k], b) + [ref_mth(entries[k:])]
    return ref_subproof(m - k, entries[k:], False) + [ref_mth(entries[:k])]


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


# --- transparency-dev vectors ---


def _vector_files(kind: str) -> list[Path]:
    folder = VECTORS / kind
    return sorted(folder.rglob("*.json")) if folder.is_dir() else []


def _load(path: Path) -> dict:
    case = json.loads(path.read_text())
    for field in ("root", "root1", "root2", "leafHash"):
        if field in case:
            case[field] = base64.b64decode(case[field])
    case["proof"] = [base64.b64decode(p) for p in case["proof"] or []]
    return case


def _vector_id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _require_vectors() -> None:
    if not VECTORS.is_dir():
        pytest.skip(f"merkle vectors not found at {VECTORS}")


@pytest.mark.parametrize("path", _vector_files("inclusion"), ids=_vector_id)
def test_inclusion_vector(path: Path) -> None:
    _require_vectors()
    case = _load(path)
    args = (case["leafHash"], case["leafIdx"], case["treeSize"], case["proof"], case["root"])
    assert verify_inclusion(*args) is (not case["wantErr"]), case["desc"]
    if case["desc"] == "happy path":
        store = build_store(VECTOR_LEAVES)
        assert root(store, case["treeSize"]) == case["root"]
        assert inclusion_proof(store, case["leafIdx"], case["treeSize"]) == case["proof"]


@pytest.mark.parametrize("path", _vector_files("consistency"), ids=_vector_id)
def test_consistency_vector(path: Path) -> None:
    _require_vectors()
    case = _load(path)
    args = (case["size1"], case["size2"], case["proof"], case["root1"], case["root2"])
    assert verify_consistency(*args) is (not case["wantErr"]), case["desc"]
    if case["desc"] == "happy path":
        store = build_store(VECTOR_LEAVES)
        assert root(store, case["size1"]) == case["root1"]
        assert root(store, case["size2"]) == case["root2"]
        assert consistency_proof(store, case["size1"], case["size2"]) == case["proof"]


def test_vector_folders_are_not_empty() -> None:
    _require_vectors()
    assert _vector_files("inclusion") and _vector_files("consistency")


# --- exhaustive small trees against the reference ---

SMALL = leaves_for(64)


@pytest.mark.parametrize("size", range(1, 65))
def test_small_tree_matches_reference(size: int) -> None:
    store = build_store(SMALL[:size])
    # Only perfect subtrees are stored: one node per leaf plus one per completed parent.
    assert len(store.nodes) == 2 * size - size.bit_count()
    tree_root = root(store, size)
    assert tree_root == ref_mth(SMALL[:size])
    for index in range(size):
        proof = inclusion_proof(store, index, size)
        assert proof == ref_path(index, SMALL[:size])
        assert verify_inclusion(leaf_hash(SMALL[index]), index, size, proof, tree_root)
    for old_size in range(1, size + 1):
        proof = consistency_proof(store, old_size, size)
        assert proof == ref_proof(old_size, SMALL[:size])
        assert verify_consistency(old_size, size, proof, root(store, old_size), tree_root)


def test_empty_tree_root() -> None:
    assert root(MemoryNodeStore(), 0) == EMPTY_ROOT == ref_mth([])


def test_append_rejects_unhashed_leaf_and_bad_ranges() -> None:
    store = build_store(SMALL[:5])
    with pytest.raises(ValueError):
        append(store, 5, b"raw entry, not its hash")
    for bad in [(5, 5), (-1, 5), (0, 0)]:
        with pytest.raises(ValueError):
            inclusion_proof(store, *bad)
    for bad in [(0, 5), (3, 2), (-1, 1)]:
        with pytest.raises(ValueError):
            consistency_proof(store, *bad)


@pytest.mark.parametrize(
    "args",
    [
        (None, 0, 1, [], b"x" * 32),
        (b"x" * 32, "0", 1, [], b"x" * 32),
        (b"x" * 32, 0, 1, None, b"x" * 32),
        (b"x" * 32, 0, 2, ["not bytes"], b"x" * 32),
        (b"x" * 32, -1, 1, [], b"x" * 32),
        (b"x" * 32, 0, 1, [], None),
        (b"x" * 32, True, 2, [b"y" * 32], b"z" * 32),
    ],
)
def test_verify_inclusion_returns_false_on_garbage(args: tuple) -> None:
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize(
    "args",
    [
        (1, 2, None, b"x" * 32, b"y" * 32),
        ("1", 2, [b"x" * 32], b"x" * 32, b"y" * 32),
        (1, 2, [b"short"], b"x" * 32, b"y" * 32),
        (1, 1, [], None, None),
        (2**70, 2**71, [b"x" * 32], b"x" * 32, b"y" * 32),
    ],
)
def test_verify_consistency_returns_false_on_garbage(args: tuple) -> None:
    assert verify_consistency(*args) is False


def test_inclusion_size_is_not_authenticated_by_the_proof_alone() -> None:
    """By design (RFC 9162 and transparency-dev agree): the proof for leaf 0 of 5 leaves has
    the same shape as for 6 leaves, so the size must come from a signed checkpoint."""
    store = build_store(SMALL[:6])
    proof = inclusion_proof(store, 0, 5)
    assert verify_inclusion(leaf_hash(SMALL[0]), 0, 6, proof, root(store, 5))
    assert not verify_inclusion(leaf_hash(SMALL[0]), 0, 6, proof, root(store, 6))


# --- property tests on larger trees ---


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


sizes = st.integers(min_value=1, max_value=BIG_TREE_SIZE)
bits = st.integers(min_value=0, max_value=255)


@HYPOTHESIS
@given(data=st.data(), size=sizes, bit=bits)
def test_inclusion_tampering_fails(data: st.DataObject, size: int, bit: int) -> None:
    store = big_tree()
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf = store.get(0, index)
    proof = inclusion_proof(store, index, size)
    tree_root = root(store, size)
    assert verify_inclusion(leaf, index, size, proof, tree_root)
    assert not verify_inclusion(_flip(leaf, bit), index, size, proof, tree_root)
    assert not verify_inclusion(leaf, index, size, proof, _flip(tree_root, bit))
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        tampered = proof[:position] + [_flip(proof[position], bit)] + proof[position + 1 :]
        assert not verify_inclusion(leaf, index, size, tampered, tree_root)


@HYPOTHESIS
@given(data=st.data(), size=sizes)
def test_inclusion_wrong_index_or_size_fails(data: st.DataObject, size: int) -> None:
    store = big_tree()
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf = store.get(0, index)
    proof = inclusion_proof(store, index, size)
    tree_root = root(store, size)
    other_index = data.draw(st.integers(0, 2 * size).filter(lambda i: i != index), label="j")
    assert not verify_inclusion(leaf, other_index, size, proof, tree_root)
    other_size = data.draw(
        st.integers(index + 1, BIG_TREE_SIZE).filter(lambda n: n != size), label="other size"
    )
    # The claimed size is bound by the root that a checkpoint signs for that size.
    assert not verify_inclusion(leaf, index, other_size, proof, root(store, other_size))
    assert not verify_inclusion(leaf, index, index, proof, tree_root)


@HYPOTHESIS
@given(data=st.data(), size2=sizes, bit=bits)
def test_consistency_tampering_fails(data: st.DataObject, size2: int, bit: int) -> None:
    store = big_tree()
    size1 = data.draw(st.integers(1, size2), label="size1")
    proof = consistency_proof(store, size1, size2)
    root1, root2 = root(store, size1), root(store, size2)
    assert verify_consistency(size1, size2, proof, root1, root2)
    assert not verify_consistency(size1, size2, proof, _flip(root1, bit), root2)
    assert not verify_consistency(size1, size2, proof, root1, _flip(root2, bit))
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        tampered = proof[:position] + [_flip(proof[position], bit)] + proof[position + 1 :]
        assert not verify_consistency(size1, size2, tampered, root1, root2)
    other1 = data.draw(st.integers(1, size2).filter(lambda n: n != size1), label="other size1")
    assert not verify_consistency(other1, size2, proof, root(store, other1), root2)
    other2 = data.draw(
        st.integers(size1, BIG_TREE_SIZE).filter(lambda n: n != size2), label="other size2"
    )
    assert not verify_consistency(size1, other2, proof, root1, root(store, other2))


@HYPOTHESIS
@given(data=st.data(), size=sizes)
def test_root_from_inclusion_matches_root(data: st.DataObject, size: int) -> None:
    store = big_tree()
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(store, index, size)
    assert root_from_inclusion(store.get(0, index), index, size, proof) == root(store, size)


# --- cost: O(log n) node reads and writes, counted through the store ---


class SparseCountingStore(NodeStore):
    """Pretends every node of an arbitrarily large tree exists; counts what is touched."""

    def __init__(self) -> None:
        self.reads: list[NodeKey] = []
        self.batches = 0
        self.writes: list[NodeKey] = []

    def get(self, level: int, index: int) -> bytes:
        self.reads.append((level, index))
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    def get_many(self, keys: list[NodeKey]) -> dict[NodeKey, bytes]:
        self.batches += 1
        return super().get_many(keys)

    def put(self, level: int, index: int, hash: bytes) -> None:
        self.writes.append((level, index))


HUGE = 2**20 - 1  # twenty perfect subtrees: the worst case for root()


def test_root_reads_one_node_per_set_bit() -> None:
    store = SparseCountingStore()
    root(store, HUGE)
    assert len(store.reads) == 20 and store.batches == 1


@pytest.mark.parametrize(
    ("index", "expected_reads"),
    [(0, 19 + 19), (HUGE - 1, 19), (2**19, 1 + 18 + 18), (12345, 19 + 19)],
)
def test_inclusion_proof_reads_are_logarithmic(index: int, expected_reads: int) -> None:
    store = SparseCountingStore()
    proof = inclusion_proof(store, index, HUGE)
    assert len(store.reads) == expected_reads <= 2 * HUGE.bit_length()
    assert len(set(store.reads)) == len(store.reads) and store.batches == 1
    assert len(proof) <= HUGE.bit_length()


@pytest.mark.parametrize("size1", [1, 2**19, 2**19 + 1, 777_777, HUGE - 1])
def test_consistency_proof_reads_are_logarithmic(size1: int) -> None:
    store = SparseCountingStore()
    consistency_proof(store, size1, HUGE)
    assert len(store.reads) <= 2 * HUGE.bit_length() and store.batches == 1


def test_append_completing_twenty_levels_touches_forty_one_nodes() -> None:
    store = SparseCountingStore()
    written = append(store, HUGE, leaf_hash(b"the millionth entry"))
    assert len(store.reads) == 20 and store.batches == 1
    assert [(level, index) for level, index, _ in written] == store.writes
    assert store.writes == [(level, HUGE >> level) for level in range(21)]
    assert written[-1][2] == node_hash(hashlib.sha256(b"19/0").digest(), written[-2][2])


def test_append_to_an_even_size_reads_nothing() -> None:
    store = SparseCountingStore()
    assert len(append(store, 2**20, leaf_hash(b"x"))) == 1
    assert store.reads == [] and store.batches == 0
