"""Published means published: the admin cannot move the workflow, and every admin write is
audited (issue 14, finding 4). Through the admin's own pages, with the test client."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.utils import timezone

from defpub.audit.admin import AuditedAdmin
from defpub.filing.models import Status
from defpub.filing.services import disclosure_approve, disclosure_create, disclosure_submit
from defpub.models import AuditEvent, Disclosure, Publication

pytestmark = pytest.mark.django_db


def draft(org, submitter, **fields) -> Disclosure:
    return disclosure_create(organisation=org, by=submitter, title_en="Graded wick",
                             abstract_en="A sintered wick.", **fields)


@pytest.fixture
def embargoed(org, submitter, admin) -> Disclosure:
    disclosure = draft(org, submitter)
    disclosure_submit(disclosure=disclosure, by=submitter)
    return disclosure_approve(disclosure=disclosure, by=admin,
                              publish_at=timezone.now() + timedelta(days=30))


def form_data(response) -> dict:
    """What the browser would post back: the change form's fields and inline management."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = field.prepare_value(form[name].value())
        if value not in (None, ""):
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for sub_form in inline.formset.forms:
            data[sub_form.add_prefix("id")] = sub_form.instance.pk
            data[sub_form.add_prefix("disclosure")] = sub_form.instance.disclosure_id
    return data


def test_an_approved_embargoed_disclosure_cannot_be_edited_or_published_in_the_admin(
    admin_client, embargoed
):
    url = f"/admin/defpub/disclosure/{embargoed.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert 'name="title_en"' not in page.content.decode()  # shown, not editable

    # What the probe posted: the whole form, a new title, and status=published.
    response = admin_client.post(url, {**form_data(page), "title_en": "Changed after approval",
                                       "status": "published"})

    assert response.status_code == 403
    embargoed.refresh_from_db()
    assert embargoed.status == Status.APPROVED and embargoed.title_en == "Graded wick"
    assert not Publication.objects.filter(disclosure=embargoed).exists()
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_the_status_is_no_form_field_so_an_edited_draft_stays_a_draft(
    admin_client, admin_user, org, submitter
):
    disclosure = draft(org, submitter)
    url = f"/admin/defpub/disclosure/{disclosure.pk}/change/"
    page = admin_client.get(url)
    assert "status" not in page.context["adminform"].form.fields
    data = {**form_data(page), "title_en": "Graded-porosity wick", "status": "published"}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    disclosure.refresh_from_db()
    assert disclosure.status == Status.DRAFT and disclosure.title_en == "Graded-porosity wick"
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == admin_user and event.organisation_id == org.pk
    assert (event.target_type, event.target_id) == ("defpub.disclosure", str(disclosure.pk))
    assert event.data["changes"] == {"title_en": ["Graded wick", "Graded-porosity wick"]}


def test_an_edit_racing_an_approval_is_refused(admin_client, org, submitter, admin):
    disclosure = draft(org, submitter)
    url = f"/admin/defpub/disclosure/{disclosure.pk}/change/"
    data = {**form_data(admin_client.get(url)), "title_en": "Too late"}
    disclosure_submit(disclosure=disclosure, by=submitter)  # after the form was loaded

    assert admin_client.post(url, data).status_code == 403
    disclosure.refresh_from_db()
    assert disclosure.status == Status.SUBMITTED and disclosure.title_en == "Graded wick"


def test_bulk_delete_refuses_disclosures_past_draft_and_audits_what_it_deletes(
    admin_client, admin_user, org, submitter, embargoed
):
    plain = draft(org, submitter)
    action = {"action": "delete_selected", "post": "yes"}

    refused = admin_client.post("/admin/defpub/disclosure/",
                                {**action, "_selected_action": [plain.pk, embargoed.pk]})
    assert refused.status_code == 403
    assert Disclosure.objects.filter(pk__in=[plain.pk, embargoed.pk]).count() == 2

    deleted = admin_client.post("/admin/defpub/disclosure/",
                                {**action, "_selected_action": [plain.pk]})
    assert deleted.status_code == 302
    assert not Disclosure.objects.filter(pk=plain.pk).exists()
    event = AuditEvent.objects.get(action="admin.delete")
    assert event.actor == admin_user and event.target_id == str(plain.pk)
    assert event.data["object"] == "Graded wick"


def test_renaming_an_organisation_in_the_admin_leaves_an_audit_row(admin_client, admin_user,
                                                                    org):
    url = f"/admin/defpub/organisation/{org.pk}/change/"
    old_name = org.name
    data = {**form_data(admin_client.get(url)), "name": "Renamed Ltd"}

    assert admin_client.post(url, data).status_code == 302

    event = AuditEvent.objects.get(action="admin.change", target_type="defpub.organisation")
    assert event.actor == admin_user and event.organisation_id == org.pk
    assert event.data["changes"] == {"name": [old_name, "Renamed Ltd"]}


def test_a_password_set_in_the_admin_is_audited_without_the_password(admin_client, submitter):
    response = admin_client.post(f"/admin/auth/user/{submitter.pk}/password/", {
        "password1": "another long passphrase 7", "password2": "another long passphrase 7",
        "usable_password": "true"})

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change", target_type="auth.user")
    assert event.target_id == str(submitter.pk)
    assert "another long passphrase" not in str(event.data)


def test_every_registered_admin_writes_audit_rows():
    unaudited = [model._meta.label for model, model_admin in admin.site._registry.items()
                 if not isinstance(model_admin, AuditedAdmin)]
    assert unaudited == []


def test_an_admin_action_runs_in_one_transaction_with_an_audit_row_per_object(
    admin_client, admin_user, org, submitter, monkeypatch
):
    from defpub.admin import DisclosureAdmin

    def mark_reviewed(modeladmin, request, queryset):
        queryset.update(technical_field="reviewed")

    monkeypatch.setattr(DisclosureAdmin, "actions", [mark_reviewed])
    first, second = draft(org, submitter), draft(org, submitter)

    response = admin_client.post("/admin/defpub/disclosure/", {
        "action": "mark_reviewed", "_selected_action": [first.pk, second.pk]})

    assert response.status_code == 302
    events = AuditEvent.objects.filter(action="admin.action.mark_reviewed")
    assert sorted(int(event.target_id) for event in events) == sorted([first.pk, second.pk])
    assert {event.actor for event in events} == {admin_user}
