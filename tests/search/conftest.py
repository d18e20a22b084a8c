from datetime import UTC, datetime

import pytest
import time_machine

from defpub.services.publication import publish_batch
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
