"""Organisations, their members and e-mailed invitations.

Every page that names an organisation reaches it through `organisation_for_member`, which
answers 404 for anyone who is not a member.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from defpub.access import (  # noqa: F401  (problem, refusals_as_pages: their old home)
    EmailNotVerified,
    member_action,
    organisation_view,
    problem,
    refusals_as_pages,
    verification_needed,
)
from defpub.filing.models import Status
from defpub.forms import add_service_errors
from defpub.organisations.forms import InvitationForm, OrganisationForm, RoleForm
from defpub.organisations.invitations import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_resend,
    invitation_revoke,
)
from defpub.organisations.models import Invitation, Membership, Role
from defpub.organisations.selectors import (
    members,
    organisation_disclosures,
    pending_invitations,
)
from defpub.organisations.services import (
    membership_remove,
    membership_set_role,
    organisation_create,
)


def first_message(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s is ready. You are its owner.") % {"name": organisation.name}
            )
            return redirect("organisation_detail", slug=organisation.slug)
    return render(
        request, "organisations/new.html", {"form": form}, status=400 if form.errors else 200
    )


@member_action(methods=["GET"], refusals=False)
def organisation_detail(request, organisation, membership):
    disclosures = organisation_disclosures(organisation=organisation)
    groups = {status: [] for status in Status.values}
    for disclosure in disclosures:
        groups[disclosure.status].append(disclosure)
    sections = [
        (Status.DRAFT, _("Drafts"), groups[Status.DRAFT]),
        (Status.SUBMITTED, _("Submitted for approval"), groups[Status.SUBMITTED]),
        (Status.APPROVED, _("Approved, awaiting publication"), groups[Status.APPROVED]),
        (Status.PUBLISHED, _("Published"), groups[Status.PUBLISHED]),
    ]
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "membership": membership,
            "sections": sections,
        },
    )


def _members_page(request, organisation, membership, *, invite_form=None, status=200):
    invite_form = invite_form or InvitationForm(may_invite_owners=membership.role == Role.OWNER)
    return render(
        request,
        "organisations/members.html",
        {
            "organisation": organisation,
            "membership": membership,
            "members": members(organisation=organisation),
            "invitations": pending_invitations(organisation=organisation),
            "invite_form": invite_form,
            "roles": [
                choice
                for choice in Role.choices
                if membership.role == Role.OWNER or choice[0] != Role.OWNER
            ],
        },
        status=status,
    )


@member_action(methods=["GET"], refusals=False)
def organisation_members(request, organisation, membership):
    return _members_page(request, organisation, membership)


@member_action(methods=["POST"])
def invitation_new(request, organisation, membership):
    form = InvitationForm(request.POST, may_invite_owners=True)  # the service decides
    if form.is_valid():
        try:
            invitation = invitation_create(
                organisation=organisation,
                by=request.user,
                accept_url_base=request.build_absolute_uri("/invitations/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("organisation_members", slug=organisation.slug)
    return _members_page(request, organisation, membership, invite_form=form, status=400)


def _invitation_action(request, organisation, membership, pk: int, action) -> object:
    """Revoke or resend: 404 for an invitation of another organisation; HTMX requests get
    the pending list back to swap in, others a redirect to the members page."""
    invitation = get_object_or_404(Invitation, pk=pk, organisation=organisation)
    try:
        messages.success(request, action(invitation))
    except ValidationError as error:
        messages.error(request, first_message(error))
    if request.headers.get("HX-Request"):  # 200 either way: htmx swaps in 2xx answers only
        return render(request, "organisations/_invitations.html", {
            "organisation": organisation, "membership": membership,
            "invitations": pending_invitations(organisation=organisation), "swapped": True})
    return redirect(reverse("organisation_members", args=[organisation.slug]) + "#invitations")


@member_action(methods=["POST"])
def invitation_revoke_view(request, organisation, membership, pk: int):
    def revoke(invitation):
        invitation_revoke(invitation=invitation, by=request.user)
        return _("The invitation to %(email)s has been revoked; its link no longer works.") % {
            "email": invitation.email}

    return _invitation_action(request, organisation, membership, pk, revoke)


@member_action(methods=["POST"])
def invitation_resend_view(request, organisation, membership, pk: int):
    def resend(invitation):
        invitation_resend(invitation=invitation, by=request.user,
                          accept_url_base=request.build_absolute_uri("/invitations/"))
        return _("The invitation to %(email)s is being sent again, with a new link.") % {
            "email": invitation.email}

    return _invitation_action(request, organisation, membership, pk, resend)


@member_action(methods=["POST"])
def membership_role(request, organisation, _membership, pk: int):
    target = get_object_or_404(Membership, pk=pk, organisation=organisation)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return problem(request, _("Choose one of the roles offered."), status=400)
    try:
        membership_set_role(membership=target, role=form.cleaned_data["role"], by=request.user)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.")
            % {"user": target.user.get_username(), "role": target.get_role_display()},
        )
    return redirect("organisation_members", slug=organisation.slug)


@member_action(methods=["POST"])
def membership_delete(request, organisation, _membership, pk: int):
    target = get_object_or_404(Membership, pk=pk, organisation=organisation)
    try:
        membership_remove(membership=target, by=request.user)
    except ValidationError as error:
        messages.error(request, first_message(error))
        return redirect("organisation_members", slug=organisation.slug)
    if target.user_id == request.user.pk:
        messages.success(request, _("You have left %(name)s.") % {"name": organisation.name})
        return redirect("dashboard")
    messages.success(
        request, _("%(user)s has been removed.") % {"user": target.user.get_username()}
    )
    return redirect("organisation_members", slug=organisation.slug)


@require_http_methods(["GET", "POST"])
def invitation_detail(request, token: str):
    """Anyone holding the link sees the invitation; accepting it takes the invited address."""
    try:
        invitation = invitation_from_token(token)
    except ValidationError as error:
        return problem(request, first_message(error), status=400)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            membership = invitation_accept(token=token, user=request.user)
        except EmailNotVerified as error:
            return verification_needed(request, str(error))
        except ValidationError as error:
            return problem(request, first_message(error), status=400)
        messages.success(
            request,
            _("You have joined %(name)s as %(role)s.")
            % {"name": membership.organisation.name, "role": membership.get_role_display()},
        )
        return redirect("organisation_detail", slug=membership.organisation.slug)
    return render(request, "organisations/invitation.html", {"invitation": invitation})
