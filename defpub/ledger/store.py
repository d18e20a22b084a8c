"""The Merkle log kept in PostgreSQL: one row per complete subtree, appended, never changed."""

from django.db import connection

from defpub.ledger import merkle
from defpub.ledger.models import LedgerNode

# One lock for everything that appends: publication numbers and ledger leaves are issued
# in the same order, by one transaction at a time.
APPEND_LOCK_ID = 0x44_50_4C_47  # "DPLG"


class PostgresNodeStore(merkle.NodeStore):
    """Reads nodes in one query per call; writes go to a buffer that flush() inserts."""

    def __init__(self) -> None:
        self.pending: dict[merkle.NodeKey, bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[(level, index)]

    def put(self, level: int, index: int, hash: bytes) -> None:
        self.pending[(level, index)] = hash

    def get_many(self, keys: list[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
        found = {key: self.pending[key] for key in keys if key in self.pending}
        wanted = [key for key in keys if key not in found]
        if wanted:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT n.level, n.index, n.hash FROM defpub_ledgernode n "
                    "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, index) "
                    "ON n.level = k.level AND n.index = k.index",
                    [[k[0] for k in wanted], [k[1] for k in wanted]],
                )
                found |= {(lvl, idx): bytes(value) for lvl, idx, value in cursor.fetchall()}
        missing = [key for key in keys if key not in found]
        if missing:
            raise KeyError(f"ledger nodes missing: {missing[:3]}")
        return found

    def flush(self) -> None:
        LedgerNode.objects.bulk_create(
            [LedgerNode(level=lvl, index=idx, hash=value)
             for (lvl, idx), value in self.pending.items()]
        )
        self.pending.clear()


def lock_for_append() -> None:
    """Take the append lock until the end of the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_ID])


def ledger_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(index) + 1, 0) FROM defpub_ledgernode WHERE level = 0")
        return cursor.fetchone()[0]


class LedgerAppender:
    """Appends leaves within one transaction (under lock_for_append) and writes them at once."""

    def __init__(self) -> None:
        self.store = PostgresNodeStore()
        self.size = ledger_size()

    def append(self, leaf_data: bytes) -> int:
        index = self.size
        merkle.append(self.store, index, merkle.leaf_hash(leaf_data))
        self.size += 1
        return index

    def flush(self) -> None:
        self.store.flush()


def ledger_root(size: int | None = None) -> tuple[int, bytes]:
    size = ledger_size() if size is None else size
    return size, merkle.root(PostgresNodeStore(), size)


def ledger_inclusion_proof(index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(PostgresNodeStore(), index, size)


def ledger_consistency_proof(size1: int, size2: int) -> list[bytes]:
    return merkle.consistency_proof(PostgresNodeStore(), size1, size2)
