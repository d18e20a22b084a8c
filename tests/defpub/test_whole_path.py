"""The issue's whole path, through the web as people use it: sign up, create an organisation,
invite a submitter, file with an attachment, approve, publish, fetch the permanent pages."""

import hashlib
import io
import json
import re

import pytest
import rfc8785
from django.contrib.auth import get_user_model
from PIL import Image
from pypdf import PdfReader

from defpub.accounts.services import verification_token
from defpub.models import Disclosure, Invitation, Publication
from defpub.organisations.invitations import invitation_token
from defpub.publications.documents import publication_pdf_make

pytestmark = pytest.mark.django_db


def sign_up(client, username: str, email: str) -> None:
    """Sign up, follow the confirmation link the mail carries, sign in."""
    response = client.post("/accounts/signup", {
        "username": username, "email": email,
        "password1": "a long passphrase 4 tests", "password2": "a long passphrase 4 tests",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    account = get_user_model().objects.get(username=username)
    assert client.post(f"/accounts/verify/{verification_token(account)}").status_code == 302
    client.post("/accounts/login", {"username": username, "password": "a long passphrase 4 tests"})


def test_sign_up_to_published_pdf(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    sign_up(client, "amara", "amara@acme.example")
    client.post("/orgs/new", {"name": "Acme Robotics", "slug": "acme"})
    client.post("/orgs/acme/invite", {"email": "wen@acme.example", "role": "submitter"})
    link = f"/invitations/{invitation_token(Invitation.objects.get())}"  # as in the mail

    client.post("/accounts/logout")
    sign_up(client, "wen", "wen@acme.example")
    assert client.post(link).status_code == 302  # accept: Wen is now a submitter

    created = client.post("/orgs/acme/disclosures/new")
    edit_url = created["Location"]
    pk = int(re.search(r"/disclosures/(\d+)/", edit_url).group(1))
    client.post(edit_url, {
        "title_en": "Gripper with passive compliance", "title_zh": "被动柔顺夹持器",
        "abstract_en": "Fingers on leaf springs conform to fragile objects.", "abstract_zh": "",
        "description_en": "", "description_zh": "", "technical_field": "Robotics",
        "ipc": "B25J 15/00", "keywords": "gripper", "inventors": "Wen Li",
        "features": "two fingers\na leaf spring under each finger", "publish_at": "",
    })
    image = io.BytesIO()
    Image.new("RGB", (60, 40), "navy").save(image, "PNG")
    image.seek(0)
    image.name = "fig1.png"
    client.post(f"/disclosures/{pk}/attachments", {"file": image, "role": "figure"})
    client.post(f"/disclosures/{pk}/submit")

    client.post("/accounts/logout")
    client.post("/accounts/login", {"username": "amara", "password": "a long passphrase 4 tests"})
    client.post(f"/disclosures/{pk}/approve", {"publish_at": ""})

    publication = Publication.objects.get(disclosure_id=pk)
    assert Disclosure.objects.get(pk=pk).status == "published"
    client.post("/accounts/logout")  # the permanent pages are public
    page = client.get(f"/p/{publication.number}")
    assert page.status_code == 200 and "被动柔顺夹持器" in page.content.decode()

    document = json.loads(client.get(f"/p/{publication.number}.json").content)
    digest = hashlib.sha256(rfc8785.dumps(document["record"])).hexdigest()
    assert digest == document["digest"]["value"] == publication.digest
    assert document["record"]["attachments"][0]["name"] == "fig1.png"
    assert document["record"]["features"] == ["two fingers", "a leaf spring under each finger"]

    publication_pdf_make(publication_id=publication.pk)  # the worker's step after publishing
    pdf = PdfReader(io.BytesIO(client.get(f"/p/{publication.number}.pdf").content))
    embedded = pdf.attachments[f"{publication.number}.json"][0]
    assert hashlib.sha256(embedded).hexdigest() == publication.digest
