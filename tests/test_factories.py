"""Every model has a factory (tests/factories.py), and each makes a valid row."""

import pytest
from django.apps import apps

from defpub.ledger import merkle
from defpub.ledger.selectors import ledger_status
from defpub.publications.canonical import record_bytes
from search.models import IndexStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_model_of_the_apps_has_a_factory():
    made = {f._meta.model for f in vars(factories).values()
            if isinstance(f, type) and issubclass(f, factories.factory.Factory)
            and getattr(f._meta, "model", None) is not None}
    models = {m for app in ("defpub", "search", "review")
              for m in apps.get_app_config(app).get_models()}
    assert models - made == set()


def test_a_published_publication_has_its_ledger_leaf_and_index_state():
    publication = factories.PublicationFactory(title_en="Graded copper wick")

    leaf = factories.LedgerNodeFactory(publication=publication)
    assert bytes(leaf.hash) == merkle.leaf_hash(record_bytes(publication))
    assert publication.disclosure.status == "published"
    assert publication.record["title"]["en"] == "Graded copper wick"
    assert publication.index.status == IndexStatus.QUEUED
    assert ledger_status(publication)["state"] == "pending"
    checkpoint = factories.LedgerCheckpointFactory()
    assert checkpoint.size == publication.leaf_index + 1
    assert ledger_status(publication)["state"] == "verified"


@pytest.mark.parametrize("name", [
    "UserFactory", "UserProfileFactory", "OrganisationFactory", "MembershipFactory",
    "InvitationFactory", "DisclosureFactory", "AttachmentFactory", "AuditEventFactory",
    "ExaminerKeyFactory", "ApiKeyUsageFactory", "PublicationCounterFactory",
    "PublicationDocumentFactory", "IndexStateFactory", "SavedQueryFactory",
])
def test_each_factory_makes_a_saved_row(name):
    row = getattr(factories, name)()
    assert type(row)._default_manager.filter(pk=row.pk).exists()


def test_the_indexer_factories_index_for_real():
    passage = factories.PassageFactory(title_en="Sintered copper wick for a heat pipe")
    assert passage.publication.index.status == IndexStatus.INDEXED
    assert factories.PassageVectorFactory().passage_id is not None
    assert factories.TermStatFactory().df >= 1
    assert factories.CorpusStatFactory().passages >= 1
