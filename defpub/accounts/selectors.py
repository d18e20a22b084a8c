"""Reading a person's own account."""

from django.db.models import Count, Q, QuerySet

from defpub.filing.models import Status
from defpub.organisations.models import Membership


def memberships_with_counts(*, user) -> QuerySet[Membership]:
    """The person's organisations, each with its drafts, disclosures awaiting approval and
    publications counted."""

    def count(status: str) -> Count:
        return Count("organisation__disclosures",
                     filter=Q(organisation__disclosures__status=status))

    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .annotate(drafts=count(Status.DRAFT), awaiting=count(Status.SUBMITTED),
                  published=count(Status.PUBLISHED))
        .order_by("organisation__name")
    )
