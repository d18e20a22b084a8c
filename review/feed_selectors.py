"""Reading feeds (the upload page, the feeds list and the dashboard's progress box)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from review.models import Feed

RECENT = 20


def feeds_recent(*, limit: int = RECENT) -> QuerySet[Feed]:
    """The latest feeds, newest first: what `review/_feeds_progress.html` shows."""
    return Feed.objects.select_related("uploaded_by").order_by("-created_at", "-pk")[:limit]


def feed_get(*, pk: int) -> Feed:
    return get_object_or_404(Feed.objects.select_related("uploaded_by"), pk=pk)


def feeds_running(feeds) -> bool:
    return any(feed.is_running for feed in feeds)
