"""Sign up, sign in, sign out, change password, and the signed-in dashboard."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from defpub.forms import SignUpForm
from defpub.models import Membership
from defpub.models.disclosures import Status


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to DefPub. Your account is ready."))
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.is_bound else 200,
    )


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
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .annotate(
            drafts=Count(
                "organisation__disclosures",
                filter=Q(organisation__disclosures__status=Status.DRAFT),
            ),
            awaiting=Count(
                "organisation__disclosures",
                filter=Q(organisation__disclosures__status=Status.SUBMITTED),
            ),
            published=Count(
                "organisation__disclosures",
                filter=Q(organisation__disclosures__status=Status.PUBLISHED),
            ),
        )
        .order_by("organisation__name")
    )
    return render(request, "accounts/dashboard.html", {"memberships": memberships})
