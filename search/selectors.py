from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from defpub.models import Publication
from search.models import IndexStatus, SavedQuery

MAX_ATTEMPTS = 5


def index_backlog() -> int:
    """Published records not yet searchable. Every publication has an IndexState from the
    transaction that published it (older ones from migration 0004)."""
    from search.models import IndexState

    return IndexState.objects.exclude(status=IndexStatus.INDEXED).count()


def publications_to_requeue(*, older_than_minutes: int) -> list[int]:
    """Published but not indexed after a while: a lost message, a dead worker, a failure."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = Q(index__isnull=True, published_at__lt=cutoff) | Q(
        index__status__in=[IndexStatus.QUEUED, IndexStatus.FAILED],
        index__queued_at__lt=cutoff,
        index__attempts__lt=MAX_ATTEMPTS,
    )
    return list(Publication.objects.filter(stale).values_list("pk", flat=True)[:1000])


def saved_query_by_key(*, key: str) -> SavedQuery | None:
    """The saved web search with this key, or None."""
    return SavedQuery.objects.filter(pk=key).first()


def publication_or_none(number: str) -> Publication | None:
    return Publication.objects.filter(number=number).first()


def publication_exists(number: str) -> bool:
    return Publication.objects.filter(number=number).exists()


def publications_by_number(numbers: list[str]) -> dict[str, Publication]:
    """{number: publication}, with the organisation, for citing a page of results."""
    return Publication.objects.select_related("organisation").in_bulk(numbers, field_name="number")
