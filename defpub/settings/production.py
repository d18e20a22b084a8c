"""Production: `DJANGO_SETTINGS_MODULE=defpub.settings.production`.

Nothing is guessed: `SECRET_KEY` and `ALLOWED_HOSTS` must come from the environment, DEBUG
is off whatever the environment says, and the site is served over HTTPS only (a
TLS-terminating proxy in front sets `X-Forwarded-Proto: https`). `manage.py check --deploy`
is clean with it (tests/test_production_settings.py; docs/operations.md).
"""

import os

from django.core.exceptions import ImproperlyConfigured

_missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        f"defpub.settings.production needs {' and '.join(_missing)} in the environment "
        "(docs/operations.md, 'Production')."
    )

from defpub.settings.base import *  # noqa: E402, F403
from defpub.settings.base import env  # noqa: E402

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

DEFPUB_TLS = True
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
