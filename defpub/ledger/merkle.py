"""RFC 9162 (Certificate Transparency v2) Merkle tree over an append-only node store.

Only hashes of complete (perfect) subtrees are ever stored: they never change once the
tree has grown past them, so a store is append-only too. Any other subtree hash that the
RFC needs is folded from the O(log n) perfect subtrees covering its leaf range.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

HASH_SIZE = 32
NodeKey = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """Domain-separated from node_hash so a leaf can never pose as an inner node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


class NodeStore(Protocol):
    """Storage for perfect-subtree hashes: node (level k, index i) covers [i*2^k, (i+1)*2^k).

    Subclass it explicitly to inherit the looping get_many; a database-backed store should
    override get_many with one query. get/get_many raise KeyError for a missing node.
    """

    def get(self, level: int, index: int) -> bytes: ...

    def put(self, level: int, index: int, hash: bytes) -> None: ...

    def get_many(self, keys: list[NodeKey]) -> dict[NodeKey, bytes]:
        return {key: self.get(*key) for key in keys}


class MemoryNodeStore(NodeStore):
    """Dict-backed store for tests and in-process use."""

    def __init__(self) -> None:
        self.nodes: dict[NodeKey, bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def put(self, level: int, index: int, hash: bytes) -> None:
        self.nodes[(level, index)] = hash


def append(store: NodeStore, size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add `leaf` (an already computed leaf_hash) as leaf number `size`.

    Returns every (level, index, hash) written: the leaf plus each parent it completes.
    Siblings are fetched in one get_many so a database store pays a single round trip.
    """
    if size < 0:
        raise ValueError("size must be >= 0")
    if len(leaf) != HASH_SIZE:
        raise ValueError("leaf must be a 32-byte leaf hash; call leaf_hash(data) first")
    completed_levels = (~size & (size + 1)).bit_length() - 1  # trailing one bits of size
    sibling_keys = [(level, (size >> level) - 1) for level in range(completed_levels)]
    siblings = store.get_many(sibling_keys) if sibling_keys else {}
    written = [(0, size, bytes(leaf))]
    current = bytes(leaf)
    for key in sibling_keys:
        current = node_hash(bytes(siblings[key]), current)
        written.append((key[0] + 1, size >> (key[0] + 1), current))
    for level, index, hash_ in written:
        store.put(level, index, hash_)
    return written


def _perfect_cover(start: int, end: int) -> list[NodeKey]:
    """Perfect subtrees covering [start, end), largest first.

    Valid for every range the RFC recursion visits: start is aligned to a power of two that
    is at least end - start, so each piece lands on a node boundary.
    """
    keys = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def _range_hashes(store: NodeStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH of each leaf range, reading all needed nodes in one get_many."""
    covers = [_perfect_cover(start, end) for start, end in ranges]
    wanted = list(dict.fromkeys(key for cover in covers for key in cover))
    nodes = store.get_many(wanted) if wanted else {}
    hashes = []
    for cover in covers:
        folded = bytes(nodes[cover[-1]])
        for key in reversed(cover[:-1]):
            folded = node_hash(bytes(nodes[key]), folded)
        hashes.append(folded)
    return hashes


def _split(start: int, end: int) -> int:
    """Start of the right part: the RFC splits at the largest power of two below the size."""
    return start + (1 << ((end - start - 1).bit_length() - 1))


def root(store: NodeStore, size: int) -> bytes:
    if size < 0:
        raise ValueError("size must be >= 0")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes(store, [(0, size)])[0]


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]), ordered from the leaf's sibling up to the root."""
    if not 0 <= index < size:
        raise ValueError("need 0 <= index < size")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        middle = _split(start, end)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    return _range_hashes(store, ranges[::-1])


def consistency_proof(store: NodeStore, size1: int, size2: int) -> list[bytes]:
    """RFC 9162 PROOF(size1, D[0:size2]) = SUBPROOF(size1, D[0:size2], true)."""
    if not 0 < size1 <= size2:
        raise ValueError("need 0 < size1 <= size2")
    ranges = []
    start, end = 0, size2
    is_whole_old_tree = True  # the RFC's `b`: the old root is known to the verifier
    while end != size1:
        middle = _split(start, end)
        if size1 <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
            is_whole_old_tree = False
    if not is_whole_old_tree:
        ranges.append((start, end))
    return _range_hashes(store, ranges[::-1])


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _same(a: object, b: object) -> bool:
    if not isinstance(a, bytes | bytearray | memoryview):
        return False
    if not isinstance(b, bytes | bytearray | memoryview):
        return False
    return hmac.compare_digest(bytes(a), bytes(b))


def root_from_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """Root implied by an inclusion proof (RFC 9162 2.1.3.2), or None if the proof is malformed."""
    if not (_is_size(index) and _is_size(size) and index < size and _is_hash(leaf_hash)):
        return None
    if not isinstance(proof, Sequence) or not all(_is_hash(p) for p in proof):
        return None
    fn, sn = index, size - 1
    result = bytes(leaf_hash)
    for element in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(bytes(element), result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, bytes(element))
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    computed = root_from_inclusion(leaf_hash, index, size, proof)
    return computed is not None and _same(computed, root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """RFC 9162 2.1.4.2, plus the transparency-dev conventions for the edge cases.

    size1 == 0 is rejected (such a proof proves nothing); size1 == size2 needs an empty
    proof and equal roots.
    """
    if not (_is_size(size1) and _is_size(size2)) or not 0 < size1 <= size2:
        return False
    if not isinstance(proof, Sequence) or not all(_is_hash(p) for p in proof):
        return False
    if size1 == size2:
        return len(proof) == 0 and _same(root1, root2)
    if len(proof) == 0:
        return False
    path = [bytes(p) for p in proof]
    if size1 & (size1 - 1) == 0:  # old tree is a perfect subtree, so its root is implied
        if not _is_hash(root1):
            return False
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for element in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first = node_hash(element, first)
            second = node_hash(element, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, element)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and _same(first, root1) and _same(second, root2)
