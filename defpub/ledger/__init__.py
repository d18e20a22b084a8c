"""Append-only transparency ledger: RFC 9162 Merkle tree and C2SP checkpoints."""
