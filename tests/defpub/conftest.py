import pytest

from defpub.models.organisations import Role
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
