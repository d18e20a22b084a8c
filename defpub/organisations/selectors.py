"""Reading an organisation: its disclosures, members and pending invitations."""

from django.db.models import QuerySet

from defpub.filing.models import Disclosure
from defpub.organisations.models import PENDING, Invitation, Membership, Organisation


def organisation_disclosures(*, organisation: Organisation) -> QuerySet[Disclosure]:
    return organisation.disclosures.select_related(
        "publication", "corrects", "created_by").order_by("-updated_at")


def members(*, organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("user__username")


def pending_invitations(*, organisation: Organisation) -> QuerySet[Invitation]:
    return (organisation.invitations.filter(PENDING).select_related("invited_by")
            .order_by("-created_at"))
