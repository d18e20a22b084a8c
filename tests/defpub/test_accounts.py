import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "plum-tractor-quietly-9"


def sign_up(client, **overrides):
    data = {
        "username": "mei",
        "email": "Mei@Example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post(reverse("signup"), data)


def test_sign_up_signs_in_and_lands_on_the_dashboard(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.wsgi_request.user.get_username() == "mei"
    assert "Create an organisation" in dashboard.text
    assert get_user_model().objects.get(username="mei").email.lower() == "mei@example.org"


def test_sign_up_refuses_an_email_already_used_in_any_case(client):
    UserFactory(username="first", email="mei@example.org")

    response = sign_up(client, email="MEI@example.ORG")

    assert response.status_code == 400
    assert "An account with this e-mail address exists already" in response.text
    assert not get_user_model().objects.filter(username="mei").exists()


def test_sign_up_applies_the_password_validators(client):
    response = sign_up(client, password1="12345678", password2="12345678")

    assert response.status_code == 400
    assert "This password is too common." in response.text
    assert 'aria-invalid="true"' in response.text


def test_sign_up_goes_back_to_a_safe_next_page_only(client):
    response = sign_up(client, next="/invitations/abc")
    assert response["Location"] == "/invitations/abc"

    other = sign_up(
        client.__class__(), username="evil", email="e@example.org", next="https://evil.example/"
    )
    assert other["Location"] == reverse("dashboard")


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
