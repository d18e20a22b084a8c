"""member_action (defpub/access.py): tenancy first, then the method, then refusals."""

import pytest
from django.urls import reverse

from tests.factories import DisclosureFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_stranger_gets_404_before_405_and_a_member_gets_405(client, org):
    disclosure = DisclosureFactory(organisation=org)
    member = MembershipFactory(organisation=org).user
    stranger = MembershipFactory().user
    urls = [reverse("disclosure_submit", args=[disclosure.pk]),  # POST only
            reverse("disclosure_detail", args=[disclosure.pk]),  # GET only
            reverse("organisation_members", args=[org.slug])]

    client.force_login(stranger)
    assert [client.put(url).status_code for url in urls] == [404, 404, 404]
    client.force_login(member)
    assert [client.put(url).status_code for url in urls] == [405, 405, 405]
    client.logout()
    assert all(client.put(url).status_code == 302 for url in urls)  # to sign in


def test_member_action_names_what_it_guards():
    from defpub.access import member_action

    with pytest.raises(ValueError, match="organisation or disclosure"):
        member_action(methods=["GET"], of="publication")
