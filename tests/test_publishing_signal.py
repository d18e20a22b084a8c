"""The core announces publishing (defpub.signals.publications_published); search subscribes
in its AppConfig.ready. The index rows commit or roll back with the publication, and the
work queued at commit keeps its order: checkpoint, indexing, PDFs."""

import pytest
from django.db import transaction

from defpub import health
from defpub.models import Publication
from defpub.signals import publications_published
from search.models import IndexState
from search.receivers import queue_published_for_indexing
from tests.factories import PublicationFactory

pytestmark = pytest.mark.django_db


def test_search_subscribes_to_publishing_and_registers_its_health_check():
    assert publications_published.has_listeners(sender=Publication)
    assert queue_published_for_indexing in publications_published._live_receivers(Publication)[0]
    assert "index" in health.PROBES


def test_index_rows_are_written_with_the_publication_and_work_queued_in_order(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publication = PublicationFactory()

    assert IndexState.objects.filter(publication=publication, status="queued").exists()
    names = [c.__code__.co_qualname for c in callbacks]
    assert names == ["publish_batch.<locals>.<lambda>",
                     "queue_published_for_indexing.<locals>.<lambda>",
                     "publish_batch.<locals>.<lambda>"]
    assert "defpub.ledger_checkpoint" in callbacks[0].__code__.co_consts
    assert "enqueue_pdfs" in callbacks[2].__code__.co_names


def test_a_rolled_back_publication_leaves_no_index_row_and_queues_nothing(
        django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=False) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        PublicationFactory()
        raise RuntimeError("the caller's transaction fails after publishing")

    assert not Publication.objects.exists() and not IndexState.objects.exists()
    assert callbacks == []
