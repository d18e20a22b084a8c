import pytest
from django.core.cache import cache

from defpub.organisations.models import Role
from tests.factories import MembershipFactory, OrganisationFactory


@pytest.fixture
def org(db):
    return OrganisationFactory()


@pytest.fixture
def admin(org):
    return MembershipFactory(organisation=org, role=Role.ADMIN).user


@pytest.fixture
def submitter(org):
    return MembershipFactory(organisation=org, role=Role.SUBMITTER).user


@pytest.fixture(autouse=True)
def fresh_counters():
    """Sign-up and confirmation-mail counters live in Valkey, outside each test's transaction:
    start every test with none, so that sign-ups in one test do not throttle the next."""
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match="*defpub:count:*"):
        client.delete(key)
