import re

import pytest
from django.urls import reverse

from defpub.models import AuditEvent, Invitation, Membership, Organisation
from defpub.organisations.invitations import invitation_accept, invitation_token
from defpub.organisations.models import MailStatus, Role
from tests.defpub import mailing
from tests.defpub.mailing import wait_for
from tests.factories import DisclosureFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(org):
    return MembershipFactory(organisation=org, role=Role.OWNER).user


def invite(client, org, email="wen@example.org", role=Role.SUBMITTER):
    return client.post(reverse("invitation_new", args=[org.slug]), {"email": email, "role": role})


def link_in(mail) -> str:
    return re.search(r"http://testserver(/invitations/\S+)", mail.body).group(1)


def link_of(invitation) -> str:
    """The link the mail carries (the mail itself leaves through the worker: see the
    transactional tests)."""
    return reverse("invitation", args=[invitation_token(invitation)])


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


@pytest.mark.slow  # starts a process (a worker, a server, docker)
@pytest.mark.django_db(transaction=True)
def test_an_invited_submitter_joins_through_the_emailed_link(
    client, org, owner, mailoutbox, celery_worker
):
    client.force_login(owner)
    response = invite(client, org)
    assert response.status_code == 302

    invitation = wait_for(lambda: Invitation.objects.filter(mail_status=MailStatus.SENT).first())
    assert len(mailoutbox) == 1 and invitation.mail_attempts == 1
    assert mailoutbox[0].to == ["wen@example.org"]
    assert mailoutbox[0].subject == f"Invitation to {org.name} on DefPub"
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


def test_a_used_invitation_gives_a_clear_400(client, org, owner):
    client.force_login(owner)
    invite(client, org)
    link = link_of(Invitation.objects.get())
    wen = UserFactory(email="wen@example.org")
    invitation_accept(token=link.rsplit("/", 1)[1], user=wen)

    client.force_login(wen)
    again = client.post(link)
    shown = client.get(link)

    assert again.status_code == 400 and shown.status_code == 400
    assert "This invitation has already been used." in shown.text


def test_an_expired_invitation_gives_a_clear_400(client, org, owner, settings):
    client.force_login(owner)
    invite(client, org)
    link = link_of(Invitation.objects.get())
    settings.DEFPUB_INVITATION_DAYS = -1  # every signature is now older than allowed

    client.force_login(UserFactory(email="wen@example.org"))
    response = client.post(link)

    assert response.status_code == 400
    assert "This invitation has expired; ask for a new one." in response.text
    assert not Membership.objects.filter(organisation=org, user__email="wen@example.org").exists()


def test_a_forged_or_misaddressed_invitation_gives_400(client, org, owner):
    client.force_login(owner)
    invite(client, org)
    link = link_of(Invitation.objects.get())

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


# -- names that end up in mail headers --------------------------------------------------------


@pytest.mark.parametrize("name", [
    "Evil Corp\r\nBcc: victim@example.org",
    "Line\nbreak",
    "Tab\there",
    "Right-to-left \u202eoverride",
    "Paragraph\u2029separator",
])
def test_a_name_with_control_characters_is_refused_with_a_form_error(client, name):
    client.force_login(UserFactory())

    response = client.post(reverse("organisation_new"), {"name": name, "slug": ""})

    assert response.status_code == 400
    assert "line breaks and invisible control characters" in response.text
    assert 'id="id_name_error"' in response.text
    assert not Organisation.objects.exists()


def test_names_with_ordinary_unicode_are_accepted(client):
    client.force_login(UserFactory())

    for n, name in enumerate(("北京清源科技有限公司", "Müller & Söhne GmbH", "می\u200cخواهم Labs")):
        response = client.post(reverse("organisation_new"), {"name": name, "slug": f"firm{n}"})
        assert response.status_code == 302, name
    assert Organisation.objects.count() == 3


def test_the_model_refuses_control_characters_too(org):
    from django.core.exceptions import ValidationError

    org.name = "Evil\r\nBcc: victim@example.org"
    with pytest.raises(ValidationError, match="line breaks"):
        org.full_clean()


@pytest.mark.slow  # starts a process (a worker, a server, docker)
@pytest.mark.django_db(transaction=True)
def test_inviting_from_a_legacy_name_with_crlf_sends_a_clean_mail_and_no_500(
    client, mailoutbox, celery_worker
):
    """The probe's path: a CR/LF name stored before the validator existed, then an invitation.
    It gave a 500 (BadHeaderError) and left the rows; now the mail goes, on one line."""
    org = OrganisationFactory(name="Evil Corp\r\nBcc: victim@example.org")
    owner = MembershipFactory(organisation=org, role=Role.OWNER).user
    client.force_login(owner)

    response = invite(client, org)

    assert response.status_code == 302
    wait_for(lambda: Invitation.objects.filter(mail_status=MailStatus.SENT).exists())
    (mail,) = mailoutbox
    assert mail.subject == "Invitation to Evil Corp Bcc: victim@example.org on DefPub"
    assert mail.recipients() == ["wen@example.org"]
    message = mail.message()
    assert message["Bcc"] is None and not mail.bcc
    assert message["Subject"] == mail.subject


# -- limits ------------------------------------------------------------------------------------


def test_the_eleventh_pending_invitation_is_refused(client, org, owner, settings):
    assert settings.DEFPUB_INVITATIONS_PENDING_MAX == 10
    client.force_login(owner)
    for n in range(10):
        assert invite(client, org, email=f"p{n}@example.org").status_code == 302

    eleventh = invite(client, org, email="p10@example.org")

    assert eleventh.status_code == 400
    assert "has 10 pending invitations, the most allowed" in eleventh.text
    assert Invitation.objects.filter(organisation=org).count() == 10


def test_the_same_address_twice_is_refused_next_to_the_field(client, org, owner):
    client.force_login(owner)
    assert invite(client, org, email="wen@example.org").status_code == 302

    again = invite(client, org, email="WEN@example.org")

    assert again.status_code == 400
    assert "An invitation to wen@example.org is already pending" in again.text
    assert 'id="id_email_error"' in again.text
    assert Invitation.objects.count() == 1


def test_the_database_keeps_one_pending_invitation_per_address(org, owner):
    from django.db import IntegrityError, transaction

    Invitation.objects.create(organisation=org, email="wen@example.org", role=Role.VIEWER,
                              invited_by=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(organisation=org, email="Wen@Example.org", role=Role.VIEWER,
                                  invited_by=owner)


def test_the_hourly_limit_per_sender_counts_every_organisation(client, org, owner, settings):
    settings.DEFPUB_INVITATIONS_PER_HOUR = 3
    other = MembershipFactory(user=owner, role=Role.OWNER).organisation
    client.force_login(owner)

    sent = [invite(client, org, email="a@example.org"), invite(client, org, email="b@example.org"),
            invite(client, other, email="c@example.org")]
    fourth = invite(client, other, email="d@example.org")

    assert [r.status_code for r in sent] == [302, 302, 302]
    assert fourth.status_code == 400
    assert "You have sent 3 invitations in the last hour, the most allowed." in fourth.text
    assert Invitation.objects.count() == 3


# -- revoke and resend ---------------------------------------------------------------------------


def test_revoking_stops_the_link_frees_the_address_and_is_audited(client, org, owner):
    client.force_login(owner)
    invite(client, org)
    invitation = Invitation.objects.get()
    link = link_of(invitation)

    response = client.post(reverse("invitation_revoke", args=[org.slug, invitation.pk]),
                           follow=True)

    assert "The invitation to wen@example.org has been revoked" in response.text
    invitation.refresh_from_db()
    assert invitation.revoked_at and invitation.revoked_by == owner
    event = AuditEvent.objects.get(action="invitation.revoke")
    assert event.actor == owner and event.target_id == str(invitation.pk)
    assert event.organisation == org
    gone = client.get(link)
    assert gone.status_code == 400 and "This invitation has been withdrawn." in gone.text
    client.force_login(UserFactory(email="wen@example.org"))
    assert client.post(link).status_code == 400
    client.force_login(owner)
    assert invite(client, org).status_code == 302  # the address may be invited afresh
    again = client.post(reverse("invitation_revoke", args=[org.slug, invitation.pk]), follow=True)
    assert "This invitation is no longer pending." in again.text


def test_resending_queues_a_fresh_mail_and_is_audited(client, org, owner, settings):
    client.force_login(owner)
    invite(client, org)
    invitation = Invitation.objects.get()
    url = reverse("invitation_resend", args=[org.slug, invitation.pk])

    too_soon = client.post(url, follow=True)
    assert "was sent less than 5 minutes ago" in too_soon.text
    settings.DEFPUB_INVITATION_RESEND_MINUTES = 0
    first_queued = invitation.queued_at
    resent = client.post(url, follow=True)

    assert "is being sent again, with a new link" in resent.text
    invitation.refresh_from_db()
    assert invitation.queued_at > first_queued
    assert invitation.mail_status == MailStatus.QUEUED
    assert AuditEvent.objects.filter(action="invitation.resend", actor=owner,
                                     target_id=str(invitation.pk)).count() == 1


def test_revoke_and_resend_answer_htmx_with_the_pending_list(client, org, owner, settings):
    settings.DEFPUB_INVITATION_RESEND_MINUTES = 0
    client.force_login(owner)
    invite(client, org, email="a@example.org")
    invite(client, org, email="b@example.org")
    a, b = Invitation.objects.order_by("email")

    resent = client.post(reverse("invitation_resend", args=[org.slug, a.pk]),
                         HTTP_HX_REQUEST="true")
    revoked = client.post(reverse("invitation_revoke", args=[org.slug, b.pk]),
                          HTTP_HX_REQUEST="true")

    assert resent.status_code == revoked.status_code == 200
    assert '<section id="invitations">' in revoked.text and "<html" not in revoked.text
    assert "is being sent again" in resent.text
    assert "has been revoked" in revoked.text
    assert "<td>a@example.org</td>" in revoked.text
    assert "<td>b@example.org</td>" not in revoked.text
    members = client.get(reverse("organisation_members", args=[org.slug])).text
    assert f'hx-post="{reverse("invitation_revoke", args=[org.slug, a.pk])}"' in members


def test_a_submitter_can_neither_revoke_nor_resend(client, org, owner, submitter):
    client.force_login(owner)
    invite(client, org)
    invitation = Invitation.objects.get()
    client.force_login(submitter)

    for action in ("invitation_revoke", "invitation_resend"):
        response = client.post(reverse(action, args=[org.slug, invitation.pk]))
        assert response.status_code == 403, action
        assert "owners and admins may do this." in response.text

    invitation.refresh_from_db()
    assert invitation.is_pending and invitation.queued_at
    assert not AuditEvent.objects.filter(action__in=["invitation.revoke", "invitation.resend"])
    members = client.get(reverse("organisation_members", args=[org.slug])).text
    assert "Revoke" not in members


def test_odd_invitation_ids_give_404_not_500(client, org, owner):
    client.force_login(owner)

    for pk in (0, 999_999_999, 2**62):
        for action in ("invitation_revoke", "invitation_resend"):
            assert client.post(reverse(action, args=[org.slug, pk])).status_code == 404
    assert client.get(reverse("invitation_revoke", args=[org.slug, 1])).status_code == 405


# -- the mail server fails ------------------------------------------------------------------------


@pytest.mark.slow  # starts a process (a worker, a server, docker)
@pytest.mark.django_db(transaction=True)
def test_a_mail_server_failure_leaves_the_invitation_failed_and_never_a_500(
    client, org, owner, settings, celery_worker
):
    settings.EMAIL_BACKEND = "tests.defpub.mailing.RefusingBackend"
    settings.DEFPUB_MAIL_RETRIES = 1
    settings.DEFPUB_MAIL_RETRY_SECONDS = 1
    mailing.attempts.clear()
    client.force_login(owner)

    response = invite(client, org)

    assert response.status_code == 302
    invitation = wait_for(
        lambda: Invitation.objects.filter(mail_status=MailStatus.FAILED).first())
    assert invitation.mail_attempts == 2 and len(mailing.attempts) == 2  # one retry, then stop
    assert "SMTPServerDisconnected" in invitation.mail_error
    assert invitation.is_pending and not invitation.sent_at
    assert AuditEvent.objects.filter(action="invitation.create").count() == 1
    members = client.get(reverse("organisation_members", args=[org.slug])).text
    assert "Sending failed" in members
    # After a failure the admin may resend at once (no waiting time).
    resent = client.post(reverse("invitation_resend", args=[org.slug, invitation.pk]), follow=True)
    assert "is being sent again" in resent.text


@pytest.mark.django_db(transaction=True)
def test_concurrent_invitations_respect_the_limits_exactly(org, owner):
    """The probe sent 10 invitations in 0.1 s and one address 4 times: sent all at once, 12
    addresses make exactly 10 pending invitations, and 4 copies of one address make one."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    def post(email: str) -> int:
        try:
            browser = Client()
            browser.force_login(owner)
            return invite(browser, org, email=email).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        many = list(pool.map(post, [f"c{n}@example.org" for n in range(12)]))
    assert sorted(many) == [302] * 10 + [400] * 2
    assert Invitation.objects.filter(organisation=org).count() == 10

    Invitation.objects.all().delete()
    with ThreadPoolExecutor(max_workers=4) as pool:
        same = list(pool.map(post, ["same@example.org"] * 4))
    assert sorted(same) == [302, 400, 400, 400]
    assert Invitation.objects.filter(email="same@example.org").count() == 1
