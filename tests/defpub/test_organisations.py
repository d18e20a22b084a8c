import re

import pytest
from django.urls import reverse

from defpub.models import Invitation, Membership, Organisation
from defpub.models.organisations import Role
from defpub.services.organisations import invitation_accept
from tests.factories import DisclosureFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(org):
    return MembershipFactory(organisation=org, role=Role.OWNER).user


def invite(client, org, email="wen@example.org", role=Role.SUBMITTER):
    return client.post(reverse("invitation_new", args=[org.slug]), {"email": email, "role": role})


def link_in(mail) -> str:
    return re.search(r"http://testserver(/invitations/\S+)", mail.body).group(1)


def test_creating_an_organisation_makes_its_creator_the_owner(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("organisation_new"), {"name": "Tiller & Sons", "slug": ""})

    org = Organisation.objects.get(name="Tiller & Sons")
    assert response["Location"] == reverse("organisation_detail", args=["tiller-sons"])
    assert Membership.objects.get(organisation=org, user=user).role == Role.OWNER
    page = client.get(response["Location"])
    assert "Tiller &amp; Sons" in page.text and "New disclosure" in page.text


def test_a_taken_short_name_is_shown_next_to_the_field(client, org):
    client.force_login(UserFactory())

    response = client.post(reverse("organisation_new"), {"name": "Again", "slug": org.slug})

    assert response.status_code == 400
    assert f"“{org.slug}” is taken." in response.text
    assert 'id="id_slug_error"' in response.text


def test_organisation_page_groups_disclosures_by_status_and_links_numbers(client, org, owner):
    DisclosureFactory(organisation=org, title_en="Draft heat sink")
    DisclosureFactory(organisation=org, title_en="Waiting valve", status="submitted")
    client.force_login(owner)

    text = client.get(reverse("organisation_detail", args=[org.slug])).text

    drafts, rest = text.split("Submitted for approval", 1)
    assert "Draft heat sink" in drafts and "Waiting valve" in rest


def test_an_invited_submitter_joins_through_the_emailed_link(
    client, org, owner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, org)
    assert response.status_code == 302

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["wen@example.org"]
    link = link_in(mailoutbox[0])
    members_page = client.get(reverse("organisation_members", args=[org.slug])).text
    assert "wen@example.org" in members_page  # pending

    client.logout()
    signed_out = client.get(link)
    assert signed_out.status_code == 200
    assert org.name in signed_out.text and "Submitter" in signed_out.text
    assert f"{reverse('login')}?next=" in signed_out.text

    wen = UserFactory(username="wen", email="Wen@example.org")
    client.force_login(wen)
    accepted = client.post(link)

    assert accepted["Location"] == reverse("organisation_detail", args=[org.slug])
    assert Membership.objects.get(user=wen, organisation=org).role == Role.SUBMITTER
    assert client.get(reverse("organisation_detail", args=[org.slug])).status_code == 200


def test_a_used_invitation_gives_a_clear_400(
    client, org, owner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, org)
    link = link_in(mailoutbox[0])
    wen = UserFactory(email="wen@example.org")
    invitation_accept(token=link.rsplit("/", 1)[1], user=wen)

    client.force_login(wen)
    again = client.post(link)
    shown = client.get(link)

    assert again.status_code == 400 and shown.status_code == 400
    assert "This invitation has already been used." in shown.text


def test_an_expired_invitation_gives_a_clear_400(
    client, org, owner, mailoutbox, settings, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, org)
    link = link_in(mailoutbox[0])
    settings.DEFPUB_INVITATION_DAYS = -1  # every signature is now older than allowed

    client.force_login(UserFactory(email="wen@example.org"))
    response = client.post(link)

    assert response.status_code == 400
    assert "This invitation has expired; ask for a new one." in response.text
    assert not Membership.objects.filter(organisation=org, user__email="wen@example.org").exists()


def test_a_forged_or_misaddressed_invitation_gives_400(
    client, org, owner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, org)
    link = link_in(mailoutbox[0])

    assert client.get(link[:-3] + "xyz").status_code == 400
    client.force_login(UserFactory(email="someone-else@example.org"))
    wrong = client.post(link)

    assert wrong.status_code == 400
    assert "sign in with that address" in wrong.text
    assert Invitation.objects.get().accepted_at is None


def test_a_submitter_cannot_invite(client, org, submitter, mailoutbox):
    client.force_login(submitter)

    response = invite(client, org, role=Role.ADMIN)

    assert response.status_code == 403
    assert "owners and admins may do this." in response.text
    assert not Invitation.objects.exists() and not mailoutbox
    page = client.get(reverse("organisation_members", args=[org.slug])).text
    assert "Send invitation" not in page


def test_inviting_an_existing_member_is_refused_next_to_the_email(client, org, owner, submitter):
    client.force_login(owner)

    response = invite(client, org, email=submitter.email.upper())

    assert response.status_code == 400
    assert "is already a member" in response.text
    assert 'id="id_email_error"' in response.text


def test_an_admin_changes_a_role_and_removes_a_member(client, org, admin, submitter):
    client.force_login(admin)
    membership = Membership.objects.get(user=submitter, organisation=org)

    client.post(reverse("membership_role", args=[org.slug, membership.pk]), {"role": Role.VIEWER})
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER

    client.post(reverse("membership_remove", args=[org.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_cannot_make_owners(client, org, admin, submitter):
    client.force_login(admin)
    membership = Membership.objects.get(user=submitter, organisation=org)

    response = client.post(
        reverse("membership_role", args=[org.slug, membership.pk]), {"role": Role.OWNER}
    )

    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.SUBMITTER


def test_the_last_owner_cannot_be_removed_or_demoted(client, org, owner):
    client.force_login(owner)
    membership = Membership.objects.get(user=owner, organisation=org)

    removed = client.post(reverse("membership_remove", args=[org.slug, membership.pk]), follow=True)
    demoted = client.post(
        reverse("membership_role", args=[org.slug, membership.pk]),
        {"role": Role.ADMIN},
        follow=True,
    )

    assert "An organisation needs at least one owner." in removed.text
    assert "An organisation needs at least one owner." in demoted.text
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_a_member_can_leave(client, org, owner, submitter):
    client.force_login(submitter)
    membership = Membership.objects.get(user=submitter, organisation=org)

    response = client.post(reverse("membership_remove", args=[org.slug, membership.pk]))

    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("organisation_detail", args=[org.slug])).status_code == 404
