import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from defpub.accounts.services import verification_token
from defpub.models import AuditEvent, Disclosure, Invitation, Membership
from defpub.organisations.invitations import invitation_token
from defpub.organisations.models import Role
from defpub.permissions import email_verified
from tests.defpub.mailing import wait_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "plum-tractor-quietly-9"


def sign_up(client, *, HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="127.0.0.1", **overrides):
    data = {
        "username": "mei",
        "email": "Mei@Example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post(reverse("signup"), data, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE,
                       REMOTE_ADDR=REMOTE_ADDR)


def test_sign_up_answers_check_your_email_and_leaves_the_account_unconfirmed(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("signup_sent")
    sent = client.get(response["Location"])
    assert sent.status_code == 200 and "Check your e-mail" in sent.text
    assert "_auth_user_id" not in client.session  # a sign-up signs nobody in
    user = get_user_model().objects.get(username="mei")
    assert user.email.lower() == "mei@example.org"
    assert not email_verified(user)
    assert AuditEvent.objects.filter(action="account.sign_up", actor=user).exists()


def test_sign_up_applies_the_password_validators(client):
    response = sign_up(client, password1="12345678", password2="12345678")

    assert response.status_code == 400
    assert "This password is too common." in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.mark.parametrize("field, value", [
    ("username", "mei\r\nBcc: victim@example.org"),
    ("username", "x" * 10_000),
    ("email", "mei@example.org\r\nBcc: victim@example.org"),
    ("email", "not an address"),
    ("password2", "another-password-entirely"),
])
def test_odd_sign_up_input_gets_a_form_error_not_a_500(client, field, value):
    response = sign_up(client, **{field: value})

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.text
    assert not get_user_model().objects.exists()


def test_sign_up_goes_back_to_a_safe_next_page_only(client):
    response = sign_up(client, next="/invitations/abc")
    assert response["Location"] == reverse("signup_sent") + "?next=%2Finvitations%2Fabc"
    assert "/login?next=/invitations/abc" in client.get(response["Location"]).text

    other = sign_up(
        client.__class__(), username="evil", email="e@example.org", next="https://evil.example/"
    )
    assert other["Location"] == reverse("signup_sent")


def test_the_sixth_sign_up_from_one_address_in_an_hour_is_refused(client, settings):
    assert settings.DEFPUB_SIGNUPS_PER_HOUR == 5
    for n in range(5):
        assert sign_up(client, username=f"u{n}", email=f"u{n}@example.org").status_code == 302

    sixth = sign_up(client, username="u5", email="u5@example.org")
    in_chinese = sign_up(client, username="u6", email="u6@example.org",
                         HTTP_ACCEPT_LANGUAGE="zh-hans")
    elsewhere = sign_up(client, username="u7", email="u7@example.org", REMOTE_ADDR="192.0.2.7")

    assert sixth.status_code == 429 and sixth["Retry-After"] == "3600"
    assert "At most 5 accounts can be created from one address in an hour." in sixth.text
    assert in_chinese.status_code == 429 and "注册次数过多" in in_chinese.text
    assert elsewhere.status_code == 302  # the limit is per client address
    names = set(get_user_model().objects.values_list("username", flat=True))
    assert names == {"u0", "u1", "u2", "u3", "u4", "u7"}


def test_a_forged_x_forwarded_for_does_not_get_past_the_sign_up_limit(client, settings):
    settings.NUM_PROXIES = 0  # no trusted proxy: the header is the caller's own words
    answers = [client.post(reverse("signup"), {
        "username": f"f{n}", "email": f"f{n}@example.org", "password1": PASSWORD,
        "password2": PASSWORD}, REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"10.9.0.{n}").status_code for n in range(6)]

    assert answers == [302] * 5 + [429]


def test_a_refused_form_does_not_count_towards_the_limit(client):
    for _ in range(6):
        assert sign_up(client, password1="12345678", password2="12345678").status_code == 400

    assert sign_up(client).status_code == 302


def without_csrf_tokens(content: bytes) -> bytes:
    """Pages differ only by their CSRF tokens, which are masked afresh for each response."""
    return re.sub(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', rb"\1", content)


@pytest.mark.slow  # starts a process (a worker, a server, docker)
@pytest.mark.django_db(transaction=True)
def test_sign_up_with_a_taken_name_or_address_answers_exactly_like_a_new_one(
    celery_worker, mailoutbox
):
    UserFactory(username="ana", email="ana@example.org")
    cases = {
        "new": {"username": "mei", "email": "mei@example.org"},
        "taken address": {"username": "someone", "email": "ANA@example.org"},
        "taken name": {"username": "Ana", "email": "other@example.org"},
    }
    answers = {}
    for case, fields in cases.items():
        browser = Client()
        response = sign_up(browser, **fields)
        page = browser.get(response["Location"])
        answers[case] = (response.status_code, response["Location"], sorted(response.cookies),
                         page.status_code, without_csrf_tokens(page.content))

    assert answers["new"] == answers["taken address"] == answers["taken name"]
    assert set(get_user_model().objects.values_list("username", flat=True)) == {"ana", "mei"}
    # Only the owner of each address learns what happened, by mail.
    wait_for(lambda: len(mailoutbox) >= 3)
    mails = {mail.to[0].lower(): mail for mail in mailoutbox}
    assert "Confirm your e-mail address" in mails["mei@example.org"].subject
    assert mails["ana@example.org"].subject == "You already have a DefPub account"
    assert "its user name is ana" in mails["ana@example.org"].body
    assert mails["other@example.org"].subject == "Your DefPub account was not created"
    assert "Ana" in mails["other@example.org"].body
    assert "\nBcc" not in mails["mei@example.org"].message().as_string()

    link = re.search(r"http://testserver(/accounts/verify/\S+)", mails["mei@example.org"].body)
    browser = Client()
    assert browser.get(link.group(1)).status_code == 200
    assert browser.post(link.group(1))["Location"] == reverse("login")
    assert email_verified(get_user_model().objects.get(username="mei"))


def test_an_address_never_confirmed_is_released_to_a_new_sign_up(client, settings):
    """Someone signed up with another person's address and never confirmed it: once the link
    has expired, the address's owner can still sign up with it."""
    from datetime import timedelta

    from django.utils import timezone

    squatter = UserFactory(username="squatter", email="mei@example.org", verified=False)
    recent = UserFactory(username="recent", email="recent@example.org", verified=False)
    get_user_model().objects.filter(pk=squatter.pk).update(
        date_joined=timezone.now() - timedelta(days=settings.DEFPUB_VERIFICATION_DAYS, hours=1))

    assert sign_up(client, username="mei", email="Mei@example.org").status_code == 302
    assert sign_up(client, username="other", email="recent@example.org").status_code == 302

    squatter.refresh_from_db()
    assert squatter.email == ""
    assert get_user_model().objects.get(username="mei").email == "Mei@example.org"
    assert AuditEvent.objects.filter(action="account.release_email",
                                     target_id=str(squatter.pk)).exists()
    assert not get_user_model().objects.filter(username="other").exists()  # still in time
    recent.refresh_from_db()
    assert recent.email == "recent@example.org"


# -- e-mail verification ------------------------------------------------------------------------


@pytest.fixture
def unverified_owner(db):
    """An account made by sign-up, owner of its own organisation, address not confirmed."""
    user = UserFactory(username="una", email="una@example.org", verified=False)
    MembershipFactory(user=user, role=Role.OWNER, organisation__slug="una-labs")
    return user


def test_an_unverified_user_cannot_file_and_a_verified_one_can(client, unverified_owner):
    client.force_login(unverified_owner)
    new_disclosure = reverse("disclosure_new", args=["una-labs"])

    refused = client.post(new_disclosure)

    assert refused.status_code == 403
    assert "Confirm your e-mail address first" in refused.text
    assert f'action="{reverse("verification_resend")}"' in refused.text
    assert not Disclosure.objects.exists()
    dashboard = client.get(reverse("dashboard")).text
    assert "Confirm your e-mail address" in dashboard and "Send me a new link" in dashboard

    confirm = reverse("email_verify", args=[verification_token(unverified_owner)])
    assert client.post(confirm)["Location"] == reverse("dashboard")
    accepted = client.post(new_disclosure)

    assert accepted.status_code == 302
    assert Disclosure.objects.filter(organisation__slug="una-labs").count() == 1
    assert "Send me a new link" not in client.get(reverse("dashboard")).text
    assert AuditEvent.objects.filter(action="account.verify_email", actor=unverified_owner)


def test_an_unverified_user_cannot_accept_an_invitation_or_invite(client, unverified_owner):
    owner = MembershipFactory(role=Role.OWNER, organisation__name="Inviting Ltd")
    invitation = Invitation.objects.create(organisation=owner.organisation,
                                           email="una@example.org", role=Role.SUBMITTER,
                                           invited_by=owner.user)
    client.force_login(unverified_owner)

    joining = client.post(reverse("invitation", args=[invitation_token(invitation)]))
    inviting = client.post(reverse("invitation_new", args=["una-labs"]),
                           {"email": "friend@example.org", "role": Role.SUBMITTER})

    assert joining.status_code == 403 and inviting.status_code == 403
    assert "Confirm your e-mail address first" in joining.text
    assert not Membership.objects.filter(organisation=owner.organisation,
                                         user=unverified_owner).exists()
    assert Invitation.objects.count() == 1


def test_the_confirmation_link_works_once(client, unverified_owner):
    confirm = reverse("email_verify", args=[verification_token(unverified_owner)])

    shown = client.get(confirm)
    assert shown.status_code == 200 and "Confirm my address" in shown.text
    assert not email_verified(unverified_owner)  # a GET (a mail scanner) changes nothing

    first = client.post(confirm)
    second = client.post(confirm)

    assert first.status_code == 302 and first["Location"] == reverse("login")
    assert second.status_code == 400
    assert "already been used" in second.text
    assert email_verified(unverified_owner)
    assert AuditEvent.objects.filter(action="account.verify_email").count() == 1


def test_expired_tampered_and_outdated_links_fail_cleanly(client, unverified_owner, settings):
    token = verification_token(unverified_owner)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    pages = {
        "tampered": client.post(reverse("email_verify", args=[tampered])),
        "garbage": client.get(reverse("email_verify", args=["x" * 5000])),
        "invitation token": client.post(reverse("email_verify", args=[
            "eyJpbnZpdGF0aW9uIjoxfQ:1vRXyz:abc"])),
    }
    unverified_owner.email = "una-new@example.org"  # the link proved the old address only
    unverified_owner.save()
    pages["outdated"] = client.post(reverse("email_verify", args=[token]))
    settings.DEFPUB_VERIFICATION_DAYS = -1
    fresh = verification_token(unverified_owner)
    pages["expired"] = client.post(reverse("email_verify", args=[fresh]))

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 400)
    assert "This confirmation link is not valid." in pages["tampered"].text
    assert "This confirmation link is not valid." in pages["outdated"].text
    assert "This confirmation link has expired." in pages["expired"].text
    assert not email_verified(unverified_owner)


def test_resending_the_link_is_limited(client, unverified_owner, settings):
    client.force_login(unverified_owner)
    limit = settings.DEFPUB_VERIFICATION_MAILS_PER_HOUR

    answers = [client.post(reverse("verification_resend"), follow=True).text
               for _ in range(limit + 1)]

    assert all("A new link is on its way to una@example.org." in text for text in answers[:-1])
    assert "We have sent you several links in the last hour." in answers[-1]
    assert client.get(reverse("verification_resend")).status_code == 405


def test_a_confirmed_account_needs_no_new_link(client):
    client.force_login(UserFactory())

    page = client.post(reverse("verification_resend"), follow=True)

    assert "Your e-mail address is already confirmed." in page.text


def test_dashboard_lists_the_users_organisations_with_their_role(client):
    membership = MembershipFactory(role="admin", organisation__name="Heliotrope Optics")
    MembershipFactory(organisation__name="Somebody Else Ltd")
    client.force_login(membership.user)

    response = client.get(reverse("dashboard"))

    assert "Heliotrope Optics" in response.text
    assert "Admin" in response.text
    assert "Somebody Else Ltd" not in response.text


def test_dashboard_needs_a_sign_in(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_sign_in_with_the_right_password(client):
    UserFactory(username="ana")

    response = client.post(
        reverse("login"), {"username": "ana", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client):
    UserFactory(username="ana")
    for _ in range(5):
        wrong = client.post(reverse("login"), {"username": "ana", "password": "guess"})
        assert wrong.status_code in (200, 429)

    sixth = client.post(reverse("login"), {"username": "ana", "password": "correct horse battery"})

    assert sixth.status_code == 429
    assert "Too many failed sign-in attempts" in sixth.text
    assert "_auth_user_id" not in client.session


def test_sign_out_is_post_only(client):
    client.force_login(UserFactory())

    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("dashboard")).status_code == 200

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_navigation_shows_sign_in_or_the_signed_in_menu(client):
    signed_out = client.get(reverse("home")).text
    assert reverse("signup") in signed_out and reverse("login") in signed_out

    client.force_login(UserFactory(username="li"))
    signed_in = client.get(reverse("home")).text
    assert reverse("dashboard") in signed_in
    assert f'action="{reverse("logout")}" method="post"' in signed_in


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_database_refuses_a_second_account_with_the_same_email_in_any_case(
    django_user_model,
):
    from django.db import IntegrityError, transaction

    django_user_model.objects.create_user("first", "Same@Example.org", "pw-1-long-enough")
    with pytest.raises(IntegrityError), transaction.atomic():
        django_user_model.objects.create_user("second", "same@example.ORG", "pw-2-long-enough")
