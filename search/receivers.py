"""search's subscriptions to the core's events (connected in SearchConfig.ready)."""

from django.db import transaction

from defpub.queueing import enqueue


def queue_published_for_indexing(sender, *, publications, publication_ids, **kwargs) -> None:
    """In the publishing transaction: mark the publications as waiting to be indexed; at
    commit, queue their indexing."""
    from search.services import index_queue
    from search.tasks import index_publication_task

    index_queue(publications=publications)
    transaction.on_commit(lambda: [enqueue(index_publication_task, pk) for pk in publication_ids])


def index_health() -> dict:
    """/healthz: the indexing backlog and failures."""
    from search.models import IndexState, IndexStatus
    from search.selectors import index_backlog

    failed = IndexState.objects.filter(status=IndexStatus.FAILED).count()
    return {"ok": True, "backlog": index_backlog(), "failed": failed}
