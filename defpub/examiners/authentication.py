"""`Authorization: Api-Key <key>`: an examiner's key, checked against its stored hash.

No Authorization header means an anonymous caller (allowed, at a lower rate). A header
that names a wrong, revoked or expired key is refused with 401, never served anonymously,
so a client notices at once that its key stopped working. Each refusal is counted against
the caller's address and logged (defpub.examiners.quotas.key_check_failed): a flood of guessed
keys gets 429 once the address's anonymous quota is spent, like a flood of searches.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from defpub.examiners.models import ExaminerKey
from defpub.examiners.quotas import key_check_failed

KEYWORD = "Api-Key"
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is for people; no write per request


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _space, plain = header.partition(" ")
        plain = plain.strip()
        if keyword.lower() != KEYWORD.lower() or not plain:
            key_check_failed(request, prefix="", reason="malformed header")
            raise exceptions.AuthenticationFailed(
                _("Send the key as “Authorization: Api-Key <key>”, or no Authorization "
                  "header to search anonymously."))
        prefix = plain.partition(".")[0]
        key = (ExaminerKey.objects.select_related("owner")
               .filter(prefix=prefix, revoked=False).first())
        if key is None or not key.is_valid(plain):
            key_check_failed(request, prefix=prefix, reason="unknown or revoked")
            raise exceptions.AuthenticationFailed(_("This API key is unknown or was revoked."))
        if key.has_expired or not key.owner.is_active:
            key_check_failed(request, prefix=prefix, reason="expired")
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
            ExaminerKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.owner, key

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="DefPub examiner API"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <your key>`. Free keys come from /accounts/api-keys; "
                           "without a key the API is open at a lower rate per IP address.",
        }
