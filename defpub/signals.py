"""Events the core announces; other apps subscribe in their AppConfig.ready.

The core never imports its subscribers (see docs/architecture.md)."""

from django.dispatch import Signal

# Sent inside the publishing transaction, once per batch, after the publications, their ledger
# leaves and audit rows are written. Keyword arguments: `publications` (the Publication rows,
# in publication order) and `publication_ids` (their primary keys). A receiver may write rows
# that must commit with the publication; anything outside the database (queueing a task) it
# defers with transaction.on_commit, so a rolled-back publication queues nothing.
publications_published = Signal()
