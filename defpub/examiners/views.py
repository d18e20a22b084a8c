"""The examiner's own API keys: issue (shown once), rotate, revoke, and daily use."""


from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from defpub.examiners.selectors import key_for_owner, keys_with_usage
from defpub.examiners.services import api_key_issue, api_key_revoke, api_key_rotate
from defpub.forms import add_service_errors

USAGE_DAYS = 30


class ApiKeyForm(forms.Form):
    office = forms.CharField(
        label=gettext_lazy("Office you search for"), max_length=120,
        help_text=gettext_lazy("e.g. EPO, USPTO, CNIPA, JPO, a national office, or a firm."))
    name = forms.CharField(
        label=gettext_lazy("Key name"), max_length=50, required=False,
        help_text=gettext_lazy("To tell your keys apart, e.g. “search scripts”."))


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
    keys, today_total = keys_with_usage(user=request.user, days=USAGE_DAYS)
    context = {
        "form": form, "keys": keys, "new_key": new_key, "rotated": rotated,
        "usage_days": USAGE_DAYS, "anonymous_rate": settings.API_RATE_ANONYMOUS,
        "today_total": today_total,
    }
    return render(request, "accounts/api_keys.html", context, status=status)
