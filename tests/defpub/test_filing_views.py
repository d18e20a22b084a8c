import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from defpub.filing.models import Status
from defpub.models import Attachment, Disclosure, Publication
from defpub.organisations.models import Role
from tests.factories import DisclosureFactory, MembershipFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "title_en": "Graded-wick heat pipe",
    "title_zh": "梯度吸液芯热管",
    "abstract_en": "A heat pipe whose wick porosity falls towards the condenser.",
    "abstract_zh": "",
    "description_en": "# Background\n\nHeat pipes *dry out* at high flux.",
    "description_zh": "",
    "technical_field": "Heat transfer",
    "ipc": "f28d15/04, F28D 15/02",
    "keywords": "heat pipe, wick",
    "inventors": "Li Wei\nAnna Berg",
    "features": "a sealed envelope\na wick whose porosity falls along its length",
    "publish_at": "",
}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def filer(client, submitter):
    client.force_login(submitter)
    return client


@pytest.fixture
def draft(org, submitter):
    return DisclosureFactory(organisation=org, created_by=submitter)


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, disclosure, name, content, role="figure"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        reverse("attachment_upload", args=[disclosure.pk]), {"file": file, "role": role}
    )


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_new_disclosure_starts_a_draft_and_opens_its_form(filer, org):
    assert filer.get(reverse("disclosure_new", args=[org.slug])).status_code == 200
    response = filer.post(reverse("disclosure_new", args=[org.slug]))

    disclosure = Disclosure.objects.get(organisation=org)
    assert disclosure.status == Status.DRAFT
    assert response["Location"] == reverse("disclosure_edit", args=[disclosure.pk])
    page = filer.get(response["Location"]).text
    assert f'hx-post="{reverse("disclosure_autosave", args=[disclosure.pk])}"' in page
    assert 'hx-trigger="input changed delay:1s"' in page
    assert 'lang="zh-Hans"' in page  # the Chinese inputs say so, for fonts and screen readers


def test_autosave_saves_every_field_and_answers_with_a_saved_fragment(filer, draft):
    response = filer.post(reverse("disclosure_autosave", args=[draft.pk]), FIELDS, **HTMX)

    assert response.status_code == 200
    assert re.search(r"Saved \d\d:\d\d:\d\d", response.text)
    assert "<html" not in response.text
    draft.refresh_from_db()
    assert draft.title_zh == "梯度吸液芯热管"
    assert draft.ipc == ["F28D 15/04", "F28D 15/02"]
    assert draft.keywords == ["heat pipe", "wick"]
    assert draft.inventors == ["Li Wei", "Anna Berg"]
    assert draft.features == ["a sealed envelope", "a wick whose porosity falls along its length"]


def test_a_bad_ipc_code_is_named_next_to_the_field_and_nothing_else_is_lost(filer, draft):
    data = {**FIELDS, "ipc": "F28D 15/04, heat-pipe-class"}

    fragment = filer.post(reverse("disclosure_autosave", args=[draft.pk]), data, **HTMX)

    assert "“heat-pipe-class” is not an IPC/CPC symbol" in fragment.text
    assert 'id="id_ipc_errors" hx-swap-oob="innerHTML"' in fragment.text
    assert "except the field marked" in fragment.text
    draft.refresh_from_db()
    assert draft.title_en == "Graded-wick heat pipe"  # saved
    assert draft.ipc == ["B01D 65/02"]  # the old, valid value stays

    page = filer.post(reverse("disclosure_edit", args=[draft.pk]), data)  # without JavaScript
    assert page.status_code == 400
    errors = re.search(r'id="id_ipc_errors".*?</div>', page.text, re.S).group(0)
    assert "heat-pipe-class" in errors
    assert "F28D 15/04, heat-pipe-class</textarea>" in page.text  # what was typed stays
    assert 'aria-invalid="true"' in page.text


def test_the_save_button_works_without_javascript(filer, draft):
    response = filer.post(reverse("disclosure_edit", args=[draft.pk]), FIELDS, follow=True)

    assert response.redirect_chain[-1][0] == reverse("disclosure_edit", args=[draft.pk])
    assert "Saved." in response.text
    draft.refresh_from_db()
    assert draft.abstract_en == FIELDS["abstract_en"]


def test_markdown_preview_renders_without_raw_html(filer, draft):
    response = filer.post(
        reverse("disclosure_preview", args=[draft.pk]) + "?lang=en",
        {"description_en": "**bold** <script>alert(1)</script>"},
        **HTMX,
    )

    assert "<strong>bold</strong>" in response.text
    assert "<script>" not in response.text


def test_a_png_figure_is_stored_listed_and_downloaded_safely(filer, draft):
    content = png()

    response = upload(filer, draft, "Fig 1 — 截面.png", content)

    assert response.status_code == 302
    attachment = Attachment.objects.get(disclosure=draft)
    assert attachment.media_type == "image/png" and attachment.role == "figure"
    page = filer.get(reverse("disclosure_edit", args=[draft.pk])).text
    assert "Fig 1 — 截面.png" in page
    download = filer.get(reverse("attachment_download", args=[draft.pk, attachment.pk]))
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''fig%201%20%e2%80%94%20" in download["Content-Disposition"].lower()

    filer.post(reverse("attachment_remove", args=[draft.pk, attachment.pk]))
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_png_named_pdf_is_refused_with_a_clear_message_and_nothing_stored(filer, draft, media):
    response = upload(filer, draft, "report.pdf", png(), role="attachment")

    assert response.status_code == 400
    errors = re.search(r'id="id_file_errors".*?</div>', response.text, re.S).group(0)
    assert "“report.pdf” is named as a PDF but its content is a PNG image." in errors
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_submitting_without_a_title_shows_the_problem_next_to_the_title(filer, org):
    draft = DisclosureFactory(organisation=org, title_en="", title_zh="")

    response = filer.post(reverse("disclosure_submit", args=[draft.pk]))

    assert response.status_code == 400
    errors = re.search(r'id="id_title_en_errors".*?</div>', response.text, re.S).group(0)
    assert "Give a title in English or Chinese (or both)." in errors
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_edit_form_can_save_and_submit_in_one_go(filer, org):
    draft = DisclosureFactory(organisation=org, title_en="", title_zh="")

    response = filer.post(reverse("disclosure_submit", args=[draft.pk]), FIELDS)

    assert response["Location"] == reverse("disclosure_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED and draft.title_en == FIELDS["title_en"]


def test_submit_approve_publish_links_the_permanent_number(client, org, submitter, admin, draft):
    client.force_login(submitter)
    client.post(reverse("disclosure_submit", args=[draft.pk]))
    submitted = client.get(reverse("disclosure_detail", args=[draft.pk])).text
    assert "Submitted for approval" in submitted
    assert reverse("disclosure_approve", args=[draft.pk]) not in submitted  # not an admin

    client.force_login(admin)
    response = client.post(
        reverse("disclosure_approve", args=[draft.pk]), {"publish_at": ""}, follow=True
    )

    publication = Publication.objects.get(disclosure=draft)
    assert re.fullmatch(r"DP-\d{4}-\d{6}", publication.number)
    assert f'href="/p/{publication.number}"' in response.text
    assert f"Approved and published as {publication.number}." in response.text
    org_page = client.get(reverse("organisation_detail", args=[org.slug])).text
    assert f'<a href="/p/{publication.number}">{publication.number}</a>' in org_page
    history = response.text.split("History", 1)[1]
    assert "Submitted for approval" in history and f"Published as {publication.number}" in history


def test_approving_with_an_embargo_schedules_publication(client, org, admin, draft):
    draft.status = Status.SUBMITTED
    draft.save()
    client.force_login(admin)
    later = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("disclosure_approve", args=[draft.pk]), {"publish_at": later}, follow=True
    )

    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and draft.publish_at is not None
    assert "It will be published at" in response.text
    assert not Publication.objects.filter(disclosure=draft).exists()


def test_an_admin_returns_a_submission_with_a_reason(client, org, admin, draft):
    draft.status = Status.SUBMITTED
    draft.save()
    client.force_login(admin)

    response = client.post(
        reverse("disclosure_return", args=[draft.pk]),
        {"reason": "Add the wick porosity figures."},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert "Add the wick porosity figures." in response.text


def test_an_action_the_state_does_not_allow_answers_409(filer, draft):
    filer.post(reverse("disclosure_submit", args=[draft.pk]))

    again = filer.post(reverse("disclosure_submit", args=[draft.pk]))
    autosave = filer.post(reverse("disclosure_autosave", args=[draft.pk]), FIELDS, **HTMX)

    assert again.status_code == 409
    assert "cannot be submitted" in again.text
    assert autosave.status_code == 409 and "cannot be edited" in autosave.text


def test_a_viewer_can_read_but_not_change(client, org, draft):
    viewer = MembershipFactory(organisation=org, role=Role.VIEWER).user
    client.force_login(viewer)

    assert client.get(reverse("disclosure_detail", args=[draft.pk])).status_code == 200
    response = client.post(reverse("disclosure_edit", args=[draft.pk]), FIELDS)

    assert response.status_code == 403
    assert "Viewers cannot file or change disclosures." in response.text
    draft.refresh_from_db()
    assert draft.title_en != FIELDS["title_en"]


def test_deleting_a_draft_asks_first(filer, org, draft):
    confirm = filer.get(reverse("disclosure_delete", args=[draft.pk]))
    assert confirm.status_code == 200 and "Delete this draft?" in confirm.text
    assert Disclosure.objects.filter(pk=draft.pk).exists()

    response = filer.post(reverse("disclosure_delete", args=[draft.pk]))

    assert response["Location"] == reverse("organisation_detail", args=[org.slug])
    assert not Disclosure.objects.filter(pk=draft.pk).exists()


def test_a_correction_of_a_published_disclosure_opens_a_new_draft(
    client, org, submitter, admin, draft
):
    client.force_login(submitter)
    client.post(reverse("disclosure_submit", args=[draft.pk]))
    client.force_login(admin)
    client.post(reverse("disclosure_approve", args=[draft.pk]), {"publish_at": ""})
    number = Publication.objects.get(disclosure=draft).number

    client.force_login(submitter)
    response = client.post(reverse("disclosure_correct", args=[draft.pk]), follow=True)

    correction = Disclosure.objects.get(corrects__number=number)
    assert response.redirect_chain[-1][0] == reverse("disclosure_edit", args=[correction.pk])
    assert correction.title_en == draft.title_en
    assert f'This draft corrects <a href="/p/{number}">{number}</a>' in response.text


def test_pages_render_in_simplified_chinese(filer, org, draft):
    for url in (
        reverse("disclosure_edit", args=[draft.pk]),
        reverse("disclosure_detail", args=[draft.pk]),
        reverse("organisation_detail", args=[org.slug]),
        reverse("organisation_members", args=[org.slug]),
        reverse("dashboard"),
    ):
        response = filer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        assert '<html lang="zh-hans">' in response.text, url
