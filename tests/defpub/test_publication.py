import hashlib
import re
import threading
from datetime import timedelta

import pytest
import rfc8785
from django.db import connection, connections, transaction
from django.db.utils import IntegrityError, InternalError, ProgrammingError
from django.utils import timezone

from defpub.filing.models import Status
from defpub.filing.services import (
    disclosure_approve,
    disclosure_create,
    disclosure_delete,
    disclosure_start_correction,
    disclosure_submit,
    disclosure_update,
)
from defpub.filing.workflow import WorkflowError
from defpub.ledger import merkle
from defpub.ledger.store import ledger_inclusion_proof, ledger_root
from defpub.models import AuditEvent, Disclosure, Publication
from defpub.publications.services import publish_due
from tests.factories import DisclosureFactory

pytestmark = pytest.mark.django_db


def file_and_publish(*, org, submitter, admin, **fields) -> Publication:
    disclosure = disclosure_create(
        organisation=org, by=submitter, title_en="Heat pipe with graded wick",
        abstract_zh="一种具有梯度吸液芯的热管。", **fields
    )
    disclosure_submit(disclosure=disclosure, by=submitter)
    disclosure_approve(disclosure=disclosure, by=admin)
    return Publication.objects.get(disclosure=disclosure)


def test_publishing_gives_number_utc_time_digest_and_ledger_leaf(org, submitter, admin):
    before = timezone.now().replace(microsecond=0)
    publication = file_and_publish(org=org, submitter=submitter, admin=admin)

    year = publication.published_at.year
    assert re.fullmatch(rf"DP-{year}-\d{{6}}", publication.number)
    assert before <= publication.published_at <= timezone.now()
    assert publication.record["published_at"].endswith("Z")
    canonical = rfc8785.dumps(publication.record)
    assert publication.digest == hashlib.sha256(canonical).hexdigest()
    size, root = ledger_root()
    assert publication.leaf_index == size - 1
    proof = ledger_inclusion_proof(publication.leaf_index, size)
    assert merkle.verify_inclusion(merkle.leaf_hash(canonical), publication.leaf_index, size,
                                   proof, root)
    assert publication.disclosure.status == Status.PUBLISHED
    actions = list(AuditEvent.objects.filter(organisation=org).values_list("action", flat=True))
    assert {"disclosure.create", "disclosure.submit", "disclosure.approve",
            "disclosure.publish"} <= set(actions)


def test_the_record_keeps_both_languages_and_numbered_features(org, submitter, admin):
    publication = file_and_publish(org=org, submitter=submitter, admin=admin,
                                   features=["a wick", " ", "a vapour channel"],
                                   ipc=["f28d15/04"])

    assert publication.record["title"] == {"en": "Heat pipe with graded wick"}
    assert publication.record["abstract"] == {"zh": "一种具有梯度吸液芯的热管。"}
    assert publication.record["features"] == ["a wick", "a vapour channel"]
    assert publication.record["ipc"] == ["F28D 15/04"]


def test_embargoed_disclosure_waits_for_its_date_then_the_scheduler_publishes_it(
    org, submitter, admin
):
    disclosure = DisclosureFactory(organisation=org, created_by=submitter)
    disclosure_submit(disclosure=disclosure, by=submitter)
    later = timezone.now() + timedelta(days=3)
    disclosure_approve(disclosure=disclosure, by=admin, publish_at=later)

    assert publish_due() == []
    assert Disclosure.objects.get(pk=disclosure.pk).status == Status.APPROVED

    numbers = publish_due(now=later + timedelta(seconds=1))

    assert len(numbers) == 1
    assert Publication.objects.get(number=numbers[0]).disclosure_id == disclosure.pk


def test_published_rows_refuse_save_update_and_raw_sql(org, submitter, admin):
    publication = file_and_publish(org=org, submitter=submitter, admin=admin)
    original = Publication.objects.filter(pk=publication.pk).values().get()

    attempts = {
        "save": lambda: Publication(**{**original, "digest": "0" * 64}).save(),
        "update": lambda: Publication.objects.filter(pk=publication.pk).update(digest="0" * 64),
        "raw update": lambda: connection.cursor().execute(
            "UPDATE defpub_publication SET digest = %s WHERE id = %s", ["0" * 64, publication.pk]),
        "raw delete": lambda: connection.cursor().execute(
            "DELETE FROM defpub_publication WHERE id = %s", [publication.pk]),
        "disclosure update": lambda: Disclosure.objects.filter(
            pk=publication.disclosure_id).update(title_en="changed"),
        "disclosure delete": lambda: connection.cursor().execute(
            "DELETE FROM defpub_disclosure WHERE id = %s", [publication.disclosure_id]),
        "ledger update": lambda: connection.cursor().execute(
            "UPDATE defpub_ledgernode SET hash = %s", [b"\0" * 32]),
    }
    for name, attempt in attempts.items():
        with pytest.raises((InternalError, IntegrityError, ProgrammingError)), transaction.atomic():
            attempt()
        assert Publication.objects.filter(pk=publication.pk).values().get() == original, name
    assert Disclosure.objects.get(pk=publication.disclosure_id).title_en == \
        "Heat pipe with graded wick"


def test_published_disclosures_cannot_be_edited_or_deleted_through_services(
    org, submitter, admin
):
    publication = file_and_publish(org=org, submitter=submitter, admin=admin)

    with pytest.raises(WorkflowError):
        disclosure_update(disclosure=publication.disclosure, by=submitter, title_en="new")
    with pytest.raises(WorkflowError):
        disclosure_delete(disclosure=publication.disclosure, by=submitter)


def test_a_correction_is_a_new_publication_linked_to_the_original(org, submitter, admin):
    original = file_and_publish(org=org, submitter=submitter, admin=admin)

    draft = disclosure_start_correction(publication=original, by=submitter)
    disclosure_update(disclosure=draft, by=submitter, abstract_en="Corrected abstract.")
    disclosure_submit(disclosure=draft, by=submitter)
    disclosure_approve(disclosure=draft, by=admin)
    correction = Publication.objects.get(disclosure=draft)

    assert correction.corrects == original
    assert correction.record["corrects"] == original.number
    assert correction.number != original.number
    assert Publication.objects.get(pk=original.pk).record == original.record


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_publishes_get_twenty_consecutive_numbers(org, submitter, admin):
    disclosures = []
    for _ in range(20):
        disclosure = DisclosureFactory(organisation=org, created_by=submitter,
                                       status=Status.APPROVED)
        disclosures.append(disclosure)
    from defpub.publications.services import disclosure_publish

    barrier = threading.Barrier(20)
    numbers, errors = [], []

    def publish(disclosure):
        try:
            barrier.wait()
            numbers.append(disclosure_publish(disclosure=disclosure, by=admin).number)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(d,)) for d in disclosures]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert len(set(numbers)) == 20
    assert sequences == list(range(sequences[0], sequences[0] + 20))
    leaves = sorted(Publication.objects.values_list("leaf_index", flat=True))
    assert leaves == list(range(leaves[0], leaves[0] + 20))


def test_admin_shows_publications_read_only(admin_client, org, submitter, admin):
    publication = file_and_publish(org=org, submitter=submitter, admin=admin)

    page = admin_client.get(f"/admin/defpub/publication/{publication.pk}/change/")
    assert page.status_code == 200 and publication.number in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    post = admin_client.post(f"/admin/defpub/publication/{publication.pk}/change/",
                             {"number": "DP-1999-000001"})
    assert post.status_code == 403
    assert Publication.objects.get(pk=publication.pk).number == publication.number
