"""Reading a person's own examiner keys and their use."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from defpub.examiners.models import ApiKeyUsage, ExaminerKey


def key_for_owner(*, user, prefix: str) -> ExaminerKey:
    """The caller's own key, else 404: nobody can see or touch another person's key."""
    key = ExaminerKey.objects.filter(owner=user, prefix=prefix).first()
    if key is None:
        raise Http404
    return key


def keys_with_usage(*, user, days: int) -> tuple[list[ExaminerKey], int]:
    """The person's keys (live first), each with its rate and its last `days` days of use;
    and the searches served today over all of them."""
    keys = list(ExaminerKey.objects.filter(owner=user).order_by("revoked", "-created"))
    today = timezone.now().date()
    usage = ApiKeyUsage.objects.filter(key__owner=user, day__gte=today - timedelta(days=days - 1))
    for key in keys:
        key.rate = key.rate_per_minute or settings.API_RATE_KEY
        key.days = [row for row in usage if row.key_id == key.pk]
        key.total = sum(row.served for row in key.days)
    today_total = usage.filter(day=today).aggregate(n=Sum("served"))["n"] or 0
    return keys, today_total
