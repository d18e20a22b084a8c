"""Test settings: a separate embedded home, so tests never touch a developer's var/."""

import os
from pathlib import Path

os.environ.setdefault("DEFPUB_HOME", str(Path(__file__).resolve().parents[2] / "var" / "test"))

from defpub.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in prod
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
DEFPUB_TLS = False
SECURE_SSL_REDIRECT = False
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when absent)
# Tests wait for no warm-up unless they ask for one (tests/test_warm_start.py does).
DEFPUB_WARM_UP = env.bool("DEFPUB_WARM_UP", default=False)  # noqa: F405
