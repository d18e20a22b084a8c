"""Guards: every way to reach an organisation's objects goes through here.

They return the object or raise Http404, so a view cannot forget the tenancy check and
another organisation's objects look exactly like objects that do not exist.
"""

from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from defpub.filing.models import Disclosure
from defpub.filing.workflow import WorkflowError
from defpub.organisations.models import Membership, Organisation
from defpub.permissions import EmailNotVerified


def membership_for(*, user, organisation: Organisation) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def organisation_for_member(*, user, slug: str) -> tuple[Organisation, Membership]:
    membership = (
        Membership.objects.select_related("organisation")
        .filter(user_id=user.pk, organisation__slug=slug)
        .first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise Http404
    return membership.organisation, membership


def disclosure_for_member(*, user, pk: int) -> tuple[Disclosure, Membership]:
    if not user.is_authenticated:
        raise Http404
    disclosure = (
        Disclosure.objects.select_related("organisation")
        .filter(pk=pk, organisation__memberships__user_id=user.pk)
        .first()
    )
    if disclosure is None:
        raise Http404
    return disclosure, Membership.objects.get(user_id=user.pk, organisation=disclosure.organisation)



# -- view guards: every member page is wrapped by member_action ------------------------------


def problem(request, message: str, *, status: int):
    """A page that explains why an action was refused (400, 403 or 409)."""
    titles = {
        400: _("This cannot be done"),
        403: _("You may not do this"),
        409: _("Not possible in the current state"),
    }
    context = {"title": titles.get(status, _("Something went wrong")), "message": message}
    return render(request, "organisations/problem.html", context, status=status)


def verification_needed(request, message: str):
    """403 with the way out: a button that mails a new confirmation link."""
    return render(request, "accounts/verify_needed.html", {"message": message}, status=403)


def refusals_as_pages(view):
    """WorkflowError -> 409 and PermissionDenied -> 403, each with its message (an account
    whose address is unconfirmed gets the button to confirm it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except WorkflowError as error:
            return problem(request, str(error), status=409)
        except EmailNotVerified as error:
            return verification_needed(request, str(error))
        except PermissionDenied as error:
            return problem(request, str(error) or _("You may not do this."), status=403)

    return wrapper


def organisation_view(view):
    """Resolve the organisation first (404 unless a member), before any other check, so an
    outsider learns nothing, not even which methods a URL takes."""

    @wraps(view)
    def wrapper(request, slug: str, **kwargs):
        organisation, membership = organisation_for_member(user=request.user, slug=slug)
        return view(request, organisation, membership, **kwargs)

    return wrapper


def login_required_htmx(view):
    """Like login_required, but an HTMX request from an expired session gets a notice to
    swap in (401) instead of a redirect, so the unsaved text stays in the page."""
    plain = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.headers.get("HX-Request") and not request.user.is_authenticated:
            return render(request, "filing/_signed_out.html", status=401)
        return plain(request, *args, **kwargs)

    return wrapper


def disclosure_view(view):
    """Resolve the disclosure first (404 unless a member of its organisation), before any
    other check, so an outsider learns nothing, not even which methods a URL takes."""

    @wraps(view)
    def wrapper(request, pk: int, **kwargs):
        disclosure, membership = disclosure_for_member(user=request.user, pk=pk)
        return view(request, disclosure, membership, **kwargs)

    return wrapper


def member_action(*, methods: Iterable[str], of: str = "organisation", refusals: bool = True,
                  htmx: bool = False):
    """The guards of a member's page, always in this order: signed in (for `htmx`, a 401
    notice instead of a redirect); then the organisation (`of="organisation"`, the view gets
    `organisation, membership` from the URL's slug) or the disclosure (`of="disclosure"`:
    `disclosure, membership` from pk), 404 unless a member - before the method check, so a
    stranger gets 404, not 405, and learns nothing; then the method (405); then, with
    `refusals`, a WorkflowError or PermissionDenied from the services as a 409/403 page."""
    if of not in ("organisation", "disclosure"):
        raise ValueError(f"member_action(of={of!r}): organisation or disclosure")

    def decorate(view):
        guarded = refusals_as_pages(view) if refusals else view
        guarded = require_http_methods(list(methods))(guarded)
        guarded = (disclosure_view if of == "disclosure" else organisation_view)(guarded)
        return (login_required_htmx if htmx else login_required)(guarded)

    return decorate
