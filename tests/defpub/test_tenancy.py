"""THE MATRIX: another organisation's member, and an anonymous visitor, try every member URL
of organisation A, by GET and by POST. They get 404 (or the sign-in page) and change nothing.

The URL list comes from defpub.urls_members: a new pattern without an entry here fails
`test_every_member_url_is_in_the_matrix`.
"""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from defpub import urls_members
from defpub.filing.models import Status
from defpub.filing.services import (
    attachment_add,
    disclosure_approve,
    disclosure_create,
    disclosure_submit,
)
from defpub.models import (
    Attachment,
    AuditEvent,
    Disclosure,
    Invitation,
    Membership,
    Organisation,
    Publication,
)
from defpub.organisations.models import Role
from defpub.organisations.services import invitation_create, invitation_token
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

# Patterns that name no organisation's object: they act on the requesting user only.
NOT_ORGANISATION_SCOPED = {
    "signup",
    "signup_sent",
    "verification_resend",
    "login",
    "logout",
    "password_change",
    "dashboard",
    "organisation_new",
}
# Reached by a secret signed token rather than by membership: see the invitation tests below.
BY_TOKEN = {"invitation", "email_verify"}
# A person's own API keys: another person gets 404 (tests/search/test_api_keys_page.py).
OWN_API_KEYS = {"api_keys", "api_key_rotate", "api_key_revoke"}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class OrgA:
    org: Organisation
    owner: object
    draft: Disclosure
    submitted: Disclosure
    approved: Disclosure
    published: Disclosure
    attachment: Attachment
    invitation: Invitation

    @property
    def disclosures(self) -> list[Disclosure]:
        return [self.draft, self.submitted, self.approved, self.published]


@pytest.fixture
def org_a(settings, tmp_path) -> OrgA:
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = UserFactory()
    org = OrganisationFactory(name="Aurora Instruments")
    MembershipFactory(organisation=org, user=owner, role=Role.OWNER)
    MembershipFactory(organisation=org, role=Role.SUBMITTER)

    def filed(title: str) -> Disclosure:
        return disclosure_create(
            organisation=org, by=owner, title_en=title, abstract_en="A secret of organisation A."
        )

    draft = filed("A's draft")
    submitted = filed("A's submission")
    disclosure_submit(disclosure=submitted, by=owner)
    approved = filed("A's approved filing")
    disclosure_submit(disclosure=approved, by=owner)
    disclosure_approve(
        disclosure=approved, by=owner, publish_at=timezone.now() + timedelta(days=30)
    )
    published = filed("A's publication")
    disclosure_submit(disclosure=published, by=owner)
    disclosure_approve(disclosure=published, by=owner)
    attachment = attachment_add(
        disclosure=draft, by=owner, name="secret.png", content=png(), role="figure"
    )
    invitation = invitation_create(
        organisation=org,
        email="new@example.org",
        role=Role.SUBMITTER,
        by=owner,
        accept_url_base="http://testserver/invitations/",
    )
    for disclosure in (draft, submitted, approved, published):
        disclosure.refresh_from_db()
    assert published.status == Status.PUBLISHED and approved.status == Status.APPROVED
    return OrgA(org, owner, draft, submitted, approved, published, attachment, invitation)


@pytest.fixture
def outsider(db):
    """An owner of organisation B: as privileged as anyone can be, just elsewhere."""
    return MembershipFactory(role=Role.OWNER, organisation__name="Borealis Ltd").user


def edit_fields() -> dict:
    return {
        "title_en": "Taken over",
        "abstract_en": "Changed by B",
        "ipc": "H04L 9/32",
        "features": "stolen",
        "publish_at": "",
    }


def upload_data() -> dict:
    file = io.BytesIO(png())
    file.name = "intruder.png"
    return {"file": file, "role": "figure"}


def per_disclosure(a: OrgA, data=None):
    return [({"pk": d.pk}, data) for d in a.disclosures]


def per_member(a: OrgA, data=None):
    return [({"slug": a.org.slug, "pk": m.pk}, data) for m in a.org.memberships.all()]


# name -> the argument sets to try, each with the POST data to send.
MATRIX = {
    "organisation_detail": lambda a: [({"slug": a.org.slug}, {})],
    "organisation_members": lambda a: [({"slug": a.org.slug}, {})],
    "invitation_new": lambda a: [
        ({"slug": a.org.slug}, {"email": "spy@example.org", "role": Role.ADMIN})
    ],
    "invitation_revoke": lambda a: [({"slug": a.org.slug, "pk": a.invitation.pk}, {})],
    "invitation_resend": lambda a: [({"slug": a.org.slug, "pk": a.invitation.pk}, {})],
    "membership_role": lambda a: per_member(a, {"role": Role.VIEWER}),
    "membership_remove": lambda a: per_member(a, {}),
    "disclosure_new": lambda a: [({"slug": a.org.slug}, {})],
    "disclosure_detail": lambda a: per_disclosure(a, {}),
    "disclosure_edit": lambda a: per_disclosure(a, edit_fields()),
    "disclosure_autosave": lambda a: per_disclosure(a, edit_fields()),
    "disclosure_preview": lambda a: per_disclosure(a, {"description_en": "x"}),
    "attachment_upload": lambda a: per_disclosure(a, None),  # None: a fresh upload each time
    "attachment_download": lambda a: [({"pk": a.draft.pk, "attachment_id": a.attachment.pk}, {})],
    "attachment_remove": lambda a: [({"pk": a.draft.pk, "attachment_id": a.attachment.pk}, {})],
    "disclosure_submit": lambda a: per_disclosure(a, edit_fields()),
    "disclosure_return": lambda a: per_disclosure(a, {"reason": "B says no"}),
    "disclosure_approve": lambda a: per_disclosure(a, {"publish_at": ""}),
    "disclosure_delete": lambda a: per_disclosure(a, {}),
    "disclosure_correct": lambda a: per_disclosure(a, {}),
}


def requests_for(a: OrgA):
    for name, cases in MATRIX.items():
        for kwargs, data in cases(a):
            url = reverse(name, kwargs=kwargs)
            yield name, "GET", url, {}
            yield name, "POST", url, upload_data() if data is None else data


def snapshot() -> dict:
    return {
        model.__name__: sorted(map(repr, model.objects.order_by("pk").values()))
        for model in (Organisation, Membership, Invitation, Disclosure, Attachment, Publication)
    } | {"audit events": AuditEvent.objects.count()}


def send(client, method: str, url: str, data: dict, **headers):
    if method == "GET":
        return client.get(url, **headers)
    return client.post(url, data, **headers)


def test_every_member_url_is_in_the_matrix():
    named = {pattern.name for pattern in urls_members.urlpatterns}
    unnamed = [str(p.pattern) for p in urls_members.urlpatterns if not p.name]

    assert not unnamed, f"name these patterns: {unnamed}"
    missing = named - set(MATRIX) - NOT_ORGANISATION_SCOPED - BY_TOKEN - OWN_API_KEYS
    assert not missing, f"add these URLs to the tenancy matrix: {sorted(missing)}"
    assert set(MATRIX) <= named, "the matrix names URLs that no longer exist"


def test_another_organisations_member_gets_404_everywhere_and_changes_nothing(
    client, org_a, outsider, media_files
):
    client.force_login(outsider)
    before, files_before = snapshot(), media_files()
    refused = []

    for name, method, url, data in requests_for(org_a):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = send(client, method, url, data, **headers)
            if response.status_code != 404:
                refused.append((name, method, url, response.status_code))
            assert b"Aurora" not in response.content, (name, method, url)

    assert refused == []
    assert snapshot() == before
    assert media_files() == files_before


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, org_a, media_files):
    before, files_before = snapshot(), media_files()
    wrong = []

    for name, method, url, data in requests_for(org_a):
        response = send(client, method, url, data)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith(reverse("login") + "?next="):
            wrong.append((name, method, url, response.status_code))

    assert wrong == []
    assert snapshot() == before
    assert media_files() == files_before


def test_anonymous_htmx_requests_get_a_signed_out_notice_not_a_page(client, org_a):
    response = client.post(
        reverse("disclosure_autosave", args=[org_a.draft.pk]), edit_fields(), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 401
    assert "signed out" in response.text and "<html" not in response.text


def test_the_same_guards_let_organisation_a_in(client, org_a):
    """The matrix would pass vacuously if the URLs were wrong: A's owner reaches them."""
    client.force_login(org_a.owner)

    for name in (
        "organisation_detail",
        "organisation_members",
        "disclosure_new",
        "disclosure_detail",
        "attachment_download",
        "disclosure_edit",
    ):
        kwargs, _data = MATRIX[name](org_a)[0]
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name


def test_an_outsider_holding_an_invitation_for_someone_else_cannot_use_it(client, org_a, outsider):
    url = reverse("invitation", args=[invitation_token(org_a.invitation)])
    client.force_login(outsider)
    before = snapshot()

    response = client.post(url)

    assert response.status_code == 400
    assert snapshot() == before
    assert client.get(reverse("invitation", args=["forged:token"])).status_code == 400
    assert client.post(reverse("invitation", args=["forged:token"])).status_code == 400


@pytest.mark.parametrize("action", ["invitation_revoke", "invitation_resend"])
def test_an_admin_cannot_reach_another_organisations_invitation_through_their_own(
    client, org_a, outsider, action, settings
):
    """The invitation's id under the outsider's own organisation's address: still 404."""
    settings.DEFPUB_INVITATION_RESEND_MINUTES = 0
    own_slug = Membership.objects.get(user=outsider).organisation.slug
    client.force_login(outsider)
    before = snapshot()

    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(reverse(action, args=[own_slug, org_a.invitation.pk]), **headers)
        assert response.status_code == 404
    assert snapshot() == before


def test_anonymous_cannot_accept_an_invitation(client, org_a):
    url = reverse("invitation", args=[invitation_token(org_a.invitation)])
    before = snapshot()

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert snapshot() == before


@pytest.fixture
def media_files(settings):
    def files() -> list[str]:
        root = settings.MEDIA_ROOT
        return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files
