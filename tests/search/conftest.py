from datetime import UTC, datetime

import pytest
import redis
import time_machine
from django.conf import settings

from defpub.services.publication import publish_batch
from search.services import publication_index
from tests.factories import DisclosureFactory, OrganisationFactory


@pytest.fixture
def publish(db):
    """publish(at=datetime, **disclosure fields) -> Publication, published at that moment."""
    organisation = OrganisationFactory()

    def _publish(*, at: datetime | None = None, **fields):
        disclosure = DisclosureFactory(organisation=organisation, status="approved", **fields)
        with time_machine.travel(at or datetime(2026, 6, 1, tzinfo=UTC), tick=False):
            return publish_batch(disclosures=[disclosure])[0]

    return _publish


@pytest.fixture
def indexed(publish):
    """indexed(**disclosure fields) -> Publication, published and indexed (the real service)."""

    def _indexed(**fields):
        publication = publish(**fields)
        publication_index(publication_id=publication.pk)
        return publication

    return _indexed


@pytest.fixture
def fresh_quotas():
    """Quota windows outlive a test (they last a minute); start each API test with none."""
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for name in client.scan_iter("defpub:quota:*"):
        client.delete(name)
    return client
