"""Sign up, confirm the e-mail address, sign in, sign out, change password, and the
signed-in dashboard."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from defpub.accounts.counters import client_address, counter_hit
from defpub.accounts.forms import SignUpForm
from defpub.accounts.selectors import memberships_with_counts
from defpub.accounts.services import (
    account_sign_up,
    email_verify,
    verification_resend,
    verification_user,
)
from defpub.permissions import email_verified


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _site(request) -> str:
    """Where links in mails point: DEFPUB_PUBLIC_URL, else this request's own host."""
    return settings.DEFPUB_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "POST"])
def signup(request):
    """One answer for every well-formed sign-up: "check your e-mail". Whether the name or
    the address was taken is told only to the address (docs/security.md)."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if counter_hit(key=f"signup:{address}", window=3600) > settings.DEFPUB_SIGNUPS_PER_HOUR:
            response = render(request, "accounts/signup_throttled.html",
                              {"limit": settings.DEFPUB_SIGNUPS_PER_HOUR}, status=429)
            response["Retry-After"] = "3600"
            return response
        account_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            site=_site(request),
        )
        target = reverse("signup_sent")
        if next_page := _safe_next(request):
            target += "?" + urlencode({"next": next_page})
        return redirect(target)
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.is_bound else 200,
    )


@require_GET
def signup_sent(request):
    return render(request, "accounts/signup_sent.html", {"next": _safe_next(request)})


@require_http_methods(["GET", "POST"])
def email_verify_view(request, token: str):
    """GET shows a button, POST confirms: a mail scanner that follows links changes nothing."""
    try:
        user = verification_user(token) if request.method == "GET" else email_verify(token=token)
    except ValidationError as error:
        return render(request, "organisations/problem.html",
                      {"title": _("This link cannot be used"), "message": " ".join(error.messages)},
                      status=400)
    if request.method == "GET":
        return render(request, "accounts/verify.html", {"account": user})
    messages.success(request, _("Thank you: your e-mail address is confirmed."))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return redirect("login")


@login_required
@require_POST
def verification_resend_view(request):
    try:
        verification_resend(user=request.user, site=_site(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new link is on its way to %(email)s.")
                         % {"email": request.user.email})
    return redirect("dashboard")


class SignInView(auth_views.LoginView):
    """Django's LoginView authenticates with the request, so django-axes can lock out."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """POST only (Django refuses GET with 405), so no link or image can sign anyone out."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@login_required
def dashboard(request):
    memberships = memberships_with_counts(user=request.user)
    return render(request, "accounts/dashboard.html",
                  {"memberships": memberships, "email_verified": email_verified(request.user)})
