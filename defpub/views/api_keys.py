"""The examiner's own API keys: issue (shown once), rotate, revoke, and daily use."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from defpub.forms import add_service_errors
from defpub.models import ApiKeyUsage, ExaminerKey
from defpub.services.api_keys import api_key_issue, api_key_revoke, api_key_rotate

USAGE_DAYS = 30


class ApiKeyForm(forms.Form):
    office = forms.CharField(
        label=gettext_lazy("Office you search for"), max_length=120,
        help_text=gettext_lazy("e.g. EPO, USPTO, CNIPA, JPO, a national office, or a firm."))
    name = forms.CharField(
        label=gettext_lazy("Key name"), max_length=50, required=False,
        help_text=gettext_lazy("To tell your keys apart, e.g. “search scripts”."))


def key_for_owner(*, user, prefix: str) -> ExaminerKey:
    """The caller's own key, else 404: nobody can see or touch another person's key."""
    key = ExaminerKey.objects.filter(owner=user, prefix=prefix).first()
    if key is None:
        raise Http404
    return key


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _row, new_key = api_key_issue(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = ApiKeyForm()
    status = 400 if form.is_bound and form.errors else 200
    return _page(request, form=form, new_key=new_key, status=status)


@never_cache
@login_required
@require_POST
def api_key_rotate_view(request, prefix: str):
    key = key_for_owner(user=request.user, prefix=prefix)
    if key.revoked:
        messages.error(request, _("A revoked key cannot be rotated; create a new one."))
        return redirect("api_keys")
    _row, new_key = api_key_rotate(key=key, by=request.user)
    return _page(request, form=ApiKeyForm(), new_key=new_key, rotated=key)


@login_required
@require_POST
def api_key_revoke_view(request, prefix: str):
    key = key_for_owner(user=request.user, prefix=prefix)
    api_key_revoke(key=key, by=request.user)
    messages.success(request, _("Key %(prefix)s… is revoked; it stops working at once.")
                     % {"prefix": key.prefix})
    return redirect("api_keys")


def _page(request, *, form, new_key: str | None, rotated=None, status: int = 200):
    keys = list(ExaminerKey.objects.filter(owner=request.user).order_by("revoked", "-created"))
    since = timezone.now().date() - timedelta(days=USAGE_DAYS - 1)
    usage = ApiKeyUsage.objects.filter(key__owner=request.user, day__gte=since)
    for key in keys:
        key.rate = key.rate_per_minute or settings.API_RATE_KEY
        key.days = [row for row in usage if row.key_id == key.pk]
        key.total = sum(row.served for row in key.days)
    context = {
        "form": form, "keys": keys, "new_key": new_key, "rotated": rotated,
        "usage_days": USAGE_DAYS, "anonymous_rate": settings.API_RATE_ANONYMOUS,
        "today_total": usage.filter(day=timezone.now().date()).aggregate(n=Sum("served"))["n"]
        or 0,
    }
    return render(request, "accounts/api_keys.html", context, status=status)
