import pgtrigger
from django.db import models


class LedgerNode(models.Model):
    """Hash of a complete Merkle subtree: level k, index i covers leaves [i*2^k, (i+1)*2^k)."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        triggers = [
            pgtrigger.Protect(
                name="ledger_node_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"({self.level}, {self.index})"


class LedgerCheckpoint(models.Model):
    """A signed note (C2SP tlog-checkpoint) over the first `size` leaves."""

    size = models.PositiveBigIntegerField(primary_key=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    timestamp_token = models.BinaryField(null=True, blank=True)  # RFC 3161, when configured

    class Meta:
        ordering = ["-size"]
        triggers = [
            pgtrigger.Protect(
                name="checkpoint_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"
