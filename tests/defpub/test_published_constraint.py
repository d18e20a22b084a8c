"""The database refuses "published" without a publication, and a publication of anything not
published, when the transaction commits (issue 14, finding 4). These tests commit for real."""

import pytest
from django.db import IntegrityError, connection, transaction

from defpub.filing.models import Status
from defpub.models import Disclosure, Publication
from defpub.publications.services import publish_batch
from tests.factories import DisclosureFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_raw_sql_cannot_commit_a_published_disclosure_without_a_publication():
    disclosure = DisclosureFactory(status=Status.APPROVED)

    refused = pytest.raises(IntegrityError, match="published without a publication")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE defpub_disclosure SET status = 'published' WHERE id = %s",
                       [disclosure.pk])
        # The statement itself passes; the check waits for the commit.
        cursor.execute("SELECT status FROM defpub_disclosure WHERE id = %s", [disclosure.pk])
        assert cursor.fetchone()[0] == "published"

    disclosure.refresh_from_db()
    assert disclosure.status == Status.APPROVED


def test_a_disclosure_cannot_be_created_published():
    refused = pytest.raises(IntegrityError, match="published without a publication")
    with refused, transaction.atomic():
        DisclosureFactory(status=Status.PUBLISHED)
    assert not Disclosure.objects.exists()


def test_a_publication_of_a_disclosure_left_unpublished_is_refused_at_commit():
    disclosure = DisclosureFactory(status=Status.APPROVED)

    with (pytest.raises(IntegrityError, match="not published"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute(
            "INSERT INTO defpub_publication (number, disclosure_id, organisation_id, "
            "published_at, digest, record, leaf_index) "
            "VALUES ('DP-2026-999999', %s, %s, now(), %s, '{}', 999999)",
            [disclosure.pk, disclosure.organisation_id, "0" * 64])

    assert not Publication.objects.exists()


def test_publishing_through_the_service_commits():
    disclosures = [DisclosureFactory(status=Status.APPROVED) for _ in range(3)]

    publications = publish_batch(disclosures=disclosures)  # its own transaction, committed

    assert Publication.objects.count() == 3
    assert set(Disclosure.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    assert [p.disclosure_id for p in publications] == [d.pk for d in disclosures]
