"""Filing: drafts, autosave, attachments, and the approval workflow.

Every view is wrapped by `member_action` (defpub/access.py), which reaches its disclosure
(`disclosure_for_member`) or its organisation first of all, so another organisation's objects
answer 404 whatever the method.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from defpub.access import member_action, problem
from defpub.filing import services as filing
from defpub.filing.forms import ApproveForm, AttachmentForm, DisclosureForm, ReturnForm
from defpub.filing.models import Attachment, Status
from defpub.filing.selectors import disclosure_history, publication_of
from defpub.filing.workflow import WorkflowError, available_actions, ensure_allowed
from defpub.forms import add_service_errors
from defpub.markdown import render_markdown

FIELD_LABELS = {name: field.label for name, field in DisclosureForm.base_fields.items()}

# -- drafts ----------------------------------------------------------------------------------


@member_action(methods=["GET", "POST"])
def disclosure_new(request, organisation, membership):
    if request.method == "POST":
        disclosure = filing.disclosure_create(organisation=organisation, by=request.user)
        return redirect("disclosure_edit", pk=disclosure.pk)
    return render(
        request, "filing/new.html", {"organisation": organisation, "membership": membership}
    )


def _edit_page(request, disclosure, *, form=None, upload_form=None, status=200):
    form = form or DisclosureForm(initial=DisclosureForm.initial_for(disclosure))
    previews = {
        lang: mark_safe(render_markdown(form[f"description_{lang}"].value() or ""))  # noqa: S308  (sanitised by nh3)
        for lang in ("en", "zh")
    }
    return render(
        request,
        "filing/edit.html",
        {
            "disclosure": disclosure,
            "organisation": disclosure.organisation,
            "form": form,
            "upload_form": upload_form or AttachmentForm(),
            "attachments": disclosure.attachments.all(),
            "previews": previews,
            "language_pairs": [(form[en], form[zh]) for en, zh in DisclosureForm.LANGUAGE_PAIRS],
        },
        status=status,
    )


def _save(request, disclosure) -> tuple[DisclosureForm, object]:
    """Save every field that passed its checks; the form keeps the others' errors."""
    form = DisclosureForm(request.POST)
    form.is_valid()
    try:
        disclosure = filing.disclosure_update(
            disclosure=disclosure, by=request.user, **form.valid_fields()
        )
    except ValidationError as error:
        add_service_errors(form, error)
    return form, disclosure


@member_action(methods=["GET", "POST"], of="disclosure")
def disclosure_edit(request, disclosure, membership):
    if request.method == "GET":
        if not (disclosure.is_editable and membership.can_file):
            messages.info(
                request, _("Only drafts can be edited, by owners, admins and submitters.")
            )
            return redirect("disclosure_detail", pk=disclosure.pk)
        return _edit_page(request, disclosure)
    form, disclosure = _save(request, disclosure)
    if form.errors:
        messages.warning(request, _("Saved, except the fields marked below."))
        return _edit_page(request, disclosure, form=form, status=400)
    messages.success(request, _("Saved."))
    return redirect("disclosure_edit", pk=disclosure.pk)


@member_action(methods=["POST"], of="disclosure", refusals=False, htmx=True)
def disclosure_autosave(request, disclosure, _membership):
    try:
        form, disclosure = _save(request, disclosure)
    except (WorkflowError, PermissionDenied) as error:
        status = 409 if isinstance(error, WorkflowError) else 403
        return render(request, "filing/_autosave.html", {"refused": str(error)}, status=status)
    return render(
        request,
        "filing/_autosave.html",
        {
            "form": form,
            "saved_at": localtime(),  # everything valid is stored as of now
            "problems": form.errors,
        },
    )


@member_action(methods=["POST"], of="disclosure", refusals=False, htmx=True)
def disclosure_preview(request, disclosure, _membership):
    lang = "zh" if request.GET.get("lang") == "zh" else "en"
    html = render_markdown(request.POST.get(f"description_{lang}", ""))
    return render(request, "filing/_preview.html", {"html": mark_safe(html), "lang": lang})  # noqa: S308  (sanitised by nh3)


# -- attachments -----------------------------------------------------------------------------


def _edit_url(disclosure, anchor: str) -> str:
    return reverse("disclosure_edit", kwargs={"pk": disclosure.pk}) + "#" + anchor


@member_action(methods=["POST"], of="disclosure")
def attachment_upload(request, disclosure, _membership):
    upload_form = AttachmentForm(request.POST, request.FILES)
    if upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        try:
            attachment = filing.attachment_add(
                disclosure=disclosure,
                by=request.user,
                name=upload.name,
                content=upload.read(),
                role=upload_form.cleaned_data["role"],
            )
        except ValidationError as error:
            upload_form.add_error("file", error)
        else:
            messages.success(
                request, _("“%(name)s” has been added.") % {"name": attachment.display_name}
            )
            return redirect(_edit_url(disclosure, "attachments"))
    return _edit_page(request, disclosure, upload_form=upload_form, status=400)


@member_action(methods=["GET"], of="disclosure", refusals=False)
@never_cache
def attachment_download(request, disclosure, _membership, attachment_id: int):
    attachment = get_object_or_404(Attachment, pk=attachment_id, disclosure=disclosure)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.display_name,
        content_type=attachment.media_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@member_action(methods=["POST"], of="disclosure")
def attachment_remove(request, disclosure, _membership, attachment_id: int):
    attachment = get_object_or_404(Attachment, pk=attachment_id, disclosure=disclosure)
    filing.attachment_remove(attachment=attachment, by=request.user)
    messages.success(request, _("“%(name)s” has been removed.") % {"name": attachment.display_name})
    return redirect(_edit_url(disclosure, "attachments"))


# -- reading and the workflow ----------------------------------------------------------------


@member_action(methods=["GET"], of="disclosure", refusals=False)
def disclosure_detail(request, disclosure, membership):
    return _detail_page(request, disclosure, membership)


def _detail_page(
    request, disclosure, membership, *, return_form=None, approve_form=None, status=200
):
    publication = publication_of(disclosure=disclosure)
    descriptions = [
        (lang, mark_safe(render_markdown(text)))  # noqa: S308  (sanitised by nh3)
        for lang, text in disclosure.text("description").items()
    ]
    return render(
        request,
        "filing/detail.html",
        {
            "disclosure": disclosure,
            "organisation": disclosure.organisation,
            "membership": membership,
            "publication": publication,
            "descriptions": descriptions,
            "attachments": disclosure.attachments.all(),
            "actions": available_actions(disclosure=disclosure, membership=membership),
            "history": disclosure_history(disclosure=disclosure, labels=FIELD_LABELS),
            "return_form": return_form or ReturnForm(),
            "approve_form": approve_form
            or ApproveForm(initial={"publish_at": disclosure.publish_at}),
        },
        status=status,
    )


@member_action(methods=["POST"], of="disclosure")
def disclosure_submit(request, disclosure, _membership):
    """Submit for approval; the edit form may post here too, so its last changes are saved."""
    form = None
    if any(name in request.POST for name in DisclosureForm.base_fields):
        form, disclosure = _save(request, disclosure)
        if form.errors:
            messages.warning(
                request,
                _("Saved, except the fields marked below. Correct them, then submit again."),
            )
            return _edit_page(request, disclosure, form=form, status=400)
    try:
        filing.disclosure_submit(disclosure=disclosure, by=request.user)
    except ValidationError as error:
        form = DisclosureForm.bound_to(disclosure)
        add_service_errors(form, error)
        messages.error(request, _("Not submitted yet: fill in the fields marked below."))
        return _edit_page(request, disclosure, form=form, status=400)
    messages.success(request, _("Submitted. Your organisation's admins can now approve it."))
    return redirect("disclosure_detail", pk=disclosure.pk)


@member_action(methods=["POST"], of="disclosure")
def disclosure_return(request, disclosure, membership):
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, disclosure, membership, return_form=form, status=400)
    filing.disclosure_return(disclosure=disclosure, by=request.user, **form.cleaned_data)
    messages.success(request, _("Returned to draft. The filers can edit it again."))
    return redirect("disclosure_detail", pk=disclosure.pk)


@member_action(methods=["POST"], of="disclosure")
def disclosure_approve(request, disclosure, membership):
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, disclosure, membership, approve_form=form, status=400)
    disclosure = filing.disclosure_approve(
        disclosure=disclosure, by=request.user, publish_at=form.cleaned_data["publish_at"]
    )
    if disclosure.status == Status.PUBLISHED:
        number = publication_of(disclosure=disclosure).number
        messages.success(request, _("Approved and published as %(number)s.") % {"number": number})
    else:
        messages.success(
            request,
            _("Approved. It will be published at %(when)s UTC.")
            % {"when": date_format(localtime(disclosure.publish_at), "DATETIME_FORMAT")},
        )
    return redirect("disclosure_detail", pk=disclosure.pk)


@member_action(methods=["GET", "POST"], of="disclosure")
def disclosure_delete(request, disclosure, membership):
    if request.method == "GET":
        ensure_allowed(disclosure=disclosure, action="delete")
        return render(
            request,
            "filing/delete.html",
            {
                "disclosure": disclosure,
                "organisation": disclosure.organisation,
                "membership": membership,
            },
        )
    organisation = disclosure.organisation
    filing.disclosure_delete(disclosure=disclosure, by=request.user)
    messages.success(request, _("The draft “%(title)s” has been deleted.") % {"title": disclosure})
    return redirect("organisation_detail", slug=organisation.slug)


@member_action(methods=["POST"], of="disclosure")
def disclosure_correct(request, disclosure, _membership):
    publication = publication_of(disclosure=disclosure)
    if publication is None:
        return problem(request, _("Only a published disclosure can be corrected."), status=409)
    draft = filing.disclosure_start_correction(publication=publication, by=request.user)
    messages.success(
        request,
        _("This draft will correct %(number)s once it is published.")
        % {"number": publication.number},
    )
    return redirect("disclosure_edit", pk=draft.pk)
