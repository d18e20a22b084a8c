"""Evidence documents from the record alone (issue 14, finding 8): the PDF is made once from
the record and its proof, stored with its digest and served as stored; renaming the
organisation afterwards changes none of the PDF, the JSON or the citation."""

import hashlib
import io
import time

import pytest
from django.core.cache import cache
from django.db import (
    IntegrityError,
    InternalError,
    ProgrammingError,
    connection,
    transaction,
)
from PIL import Image
from pypdf import PdfReader

from defpub.celery import app as celery_app
from defpub.filing.services import (
    attachment_add,
    disclosure_approve,
    disclosure_create,
    disclosure_submit,
)
from defpub.models import AuditEvent, Organisation, Publication, PublicationDocument
from defpub.publications.documents import RecordMismatchError, publication_pdf_make
from defpub.publications.services import publish_batch
from defpub.tasks import PDF_QUEUED_KEY, pdf_sweep_task, publication_pdfs_task
from tests.factories import DisclosureFactory, OrganisationFactory


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def publication(org, submitter, admin, settings, tmp_path) -> Publication:
    settings.MEDIA_ROOT = tmp_path / "media"
    disclosure = disclosure_create(organisation=org, by=submitter, title_en="Graded wick",
                                   abstract_en="A sintered wick whose porosity falls.")
    attachment_add(disclosure=disclosure, by=submitter, name="fig1.png", content=png(),
                   role="figure")
    disclosure_submit(disclosure=disclosure, by=submitter)
    disclosure_approve(disclosure=disclosure, by=admin)
    return Publication.objects.get(disclosure=disclosure)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def rename_in_the_admin(admin_client, organisation: Organisation, name: str) -> None:
    response = admin_client.post(f"/admin/defpub/organisation/{organisation.pk}/change/", {
        "name": name, "slug": organisation.slug,
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == name


@pytest.mark.django_db
def test_a_pdf_made_after_the_organisation_is_renamed_still_prints_the_recorded_name(
    client, admin_client, publication, org
):
    recorded = org.name
    rename_in_the_admin(admin_client, org, "Renamed Holdings")

    publication_pdf_make(publication_id=publication.pk)  # what the worker runs
    first = client.get(f"/p/{publication.number}.pdf")
    second = client.get(f"/p/{publication.number}.pdf")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    digest = hashlib.sha256(first.content).hexdigest()
    assert first["ETag"] == f'"{digest}"'
    assert first["Cache-Control"] == "public, max-age=86400, immutable"
    text = pdf_text(first.content)
    assert recorded in text and "Renamed Holdings" not in text
    assert PdfReader(io.BytesIO(first.content)).metadata.author == recorded
    embedded = PdfReader(io.BytesIO(first.content)).attachments[f"{publication.number}.json"][0]
    assert hashlib.sha256(embedded).hexdigest() == publication.digest
    assert "fig1.png" in text  # the figure came from the file the record names

    document = client.get(f"/p/{publication.number}.json").json()
    assert document["record"]["organisation"]["name"] == recorded
    page = client.get(f"/p/{publication.number}").content.decode()
    assert f"{recorded}: “Graded wick”" in page and "Renamed Holdings" not in page


@pytest.mark.django_db
def test_until_a_worker_has_made_it_the_pdf_is_503_with_retry_after_in_chinese_too(
    client, publication
):
    response = client.get(f"/p/{publication.number}.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 503
    assert response["Retry-After"] == "60" and response["Cache-Control"] == "no-store"
    assert "正在生成" in response.content.decode()
    assert not PublicationDocument.objects.exists()  # the GET wrote nothing
    english = client.get(f"/p/{publication.number}.pdf").content.decode()
    assert "is being prepared" in english


@pytest.mark.django_db
def test_a_matching_etag_gets_304_and_an_unknown_number_404(client, publication):
    document = publication_pdf_make(publication_id=publication.pk)

    response = client.get(f"/p/{publication.number}.pdf",
                          HTTP_IF_NONE_MATCH=f'"{document.sha256}"')

    assert response.status_code == 304 and response.content == b""
    for odd in ('"' + "x" * 5000 + '"', "*garbage", f'W/"{document.sha256}", "other"'):
        answer = client.get(f"/p/{publication.number}.pdf", HTTP_IF_NONE_MATCH=odd)
        assert answer.status_code in (200, 304)
        assert answer.status_code == 200 or odd.startswith("W/")
    assert client.get("/p/DP-1999-000001.pdf").status_code == 404
    assert client.get("/p/DP-2026-1.pdf").status_code == 404


@pytest.mark.django_db
def test_making_twice_keeps_the_first_pdf_and_one_audit_row(publication):
    first = publication_pdf_make(publication_id=publication.pk)
    again = publication_pdf_make(publication_id=publication.pk)

    assert again.pk == first.pk and bytes(again.content) == bytes(first.content)
    assert first.tree_size is not None and first.tree_size > publication.leaf_index
    events = AuditEvent.objects.filter(action="publication.pdf")
    assert [event.data["sha256"] for event in events] == [first.sha256]


@pytest.mark.django_db
def test_stored_documents_are_append_only_and_must_match_their_digest(publication):
    document = publication_pdf_make(publication_id=publication.pk)

    refused = (InternalError, IntegrityError, ProgrammingError)
    for sql, args in [
        ("UPDATE defpub_publicationdocument SET content = %s WHERE id = %s", [b"%PDF-", 0]),
        ("UPDATE defpub_publicationdocument SET sha256 = %s WHERE id = %s", ["0" * 64, 0]),
        ("DELETE FROM defpub_publicationdocument WHERE id = %s", [0]),
    ]:
        with (pytest.raises(refused), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(sql, [*args[:-1], document.pk])
    with (pytest.raises(IntegrityError, match="digest"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute(
            "INSERT INTO defpub_publicationdocument (publication_id, kind, content, sha256, "
            "created_at) VALUES (%s, 'other', %s, %s, now())",
            [publication.pk, b"%PDF-forged", hashlib.sha256(b"%PDF-real").hexdigest()])
    stored = PublicationDocument.objects.get()
    assert stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest() == document.sha256


@pytest.mark.django_db
def test_a_figure_whose_stored_bytes_changed_is_not_printed(publication):
    attachment = publication.disclosure.attachments.get()
    path = attachment.file.path
    with open(path, "r+b") as handle:  # root ignores the file's read-only mode
        handle.seek(-1, 2)
        handle.write(b"\0")

    with pytest.raises(RecordMismatchError, match="does not match its digest"):
        publication_pdf_make(publication_id=publication.pk)
    assert not PublicationDocument.objects.exists()


@pytest.mark.django_db
def test_one_bad_record_in_a_queued_chunk_does_not_hold_back_the_others(publication):
    other = publish_batch(disclosures=[DisclosureFactory(status="approved")])[0]
    with open(publication.disclosure.attachments.get().file.path, "ab") as handle:
        handle.write(b"tampered")

    made = publication_pdfs_task(  # the task's body, run here as the worker would
        [publication.pk, other.pk])

    assert made == 1
    assert list(PublicationDocument.objects.values_list("publication", flat=True)) == [other.pk]


@pytest.mark.django_db
def test_the_sweeper_queues_each_missing_pdf_once(publication, settings):
    settings.DEFPUB_PDF_SWEEP_MINUTES = 0
    cache.delete(PDF_QUEUED_KEY.format(publication.pk))
    try:
        assert pdf_sweep_task() == 1
        assert pdf_sweep_task() == 0  # queued already; not again within the requeue window
        cache.delete(PDF_QUEUED_KEY.format(publication.pk))
        publication_pdf_make(publication_id=publication.pk)
        assert pdf_sweep_task() == 0  # made: nothing to queue
    finally:
        celery_app.control.purge()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_pdf_after_publishing_and_a_rename_changes_no_byte(
    celery_worker, client
):
    organisation = OrganisationFactory(name="Acme Filtration")
    disclosure = DisclosureFactory(organisation=organisation, status="approved")
    publication = publish_batch(disclosures=[disclosure])[0]  # commits; on_commit queues

    deadline = time.monotonic() + 120
    while not PublicationDocument.objects.filter(publication=publication).exists():
        assert time.monotonic() < deadline, "no worker made the PDF"
        time.sleep(0.5)
    Organisation.objects.filter(pk=organisation.pk).update(name="Renamed Filtration")

    first = client.get(f"/p/{publication.number}.pdf")
    second = client.get(f"/p/{publication.number}.pdf")

    assert first.status_code == 200 and first.content == second.content
    assert first["ETag"] == second["ETag"] == f'"{hashlib.sha256(first.content).hexdigest()}"'
    text = pdf_text(first.content)
    assert "Acme Filtration" in text and "Renamed Filtration" not in text
    assert client.get(f"/p/{publication.number}.json").json()["record"]["organisation"][
        "name"] == "Acme Filtration"
