"""Settings shared by every environment, read from the environment (django-environ).

The defaults are development's (`make run`): PostgreSQL and Redis at DATABASE_URL and REDIS_URL (which
scripts/with_servers.py sets to its embedded servers), a Celery worker, email printed to the console.
Production overrides them in `production.py`.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.apps.StaffAdminConfig",  # django.contrib.admin behind allauth's login and a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "oteapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PrivateCacheMiddleware",
    "accounts.middleware.TenantTransactionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.OrganizationMiddleware",
    "oteapp.api.middleware.ApiKeyContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.layout",
                "oteapp.context_processors.organization",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]


DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/oteapp")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# PostgreSQL row-level security (accounts/rls.py): requests run as this role, which must be neither
# the tables' owner nor a superuser. Empty disables it.
DATABASE_RLS_ROLE = env("DATABASE_RLS_ROLE", default="ote_app")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

# django-allauth: email login, mandatory verification, failed-login throttling.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.OrganizationSignupForm"
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}
# The client address the per-IP limits count: behind N trusted proxies that each append to X-Forwarded-For, set
# ALLAUTH_TRUSTED_PROXY_COUNT=N; behind one that sets a header of its own (e.g. X-Real-IP), set
# ALLAUTH_TRUSTED_CLIENT_IP_HEADER to its name. Unset, the peer address counts and those headers are ignored.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default=None)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[OTE] "
# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) with recovery codes, offered to everyone
# in account settings and required of staff before the admin opens (config/admin.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "OTE Dashboard"

# Content-Security-Policy: our own origin only, no inline script, no third-party host. Style
# attributes stay allowed because progress bars and chart widths are set with style="width: …".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions: a Redis outage signs nobody out. Expired ones are deleted nightly (beat).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Rendered report fragments (oteapp/views/fragments.py): each process's own memory, keyed by the organization's
# data version, so entries never go stale; the entry cap bounds the memory (about 20-80 KB each).
FRAGMENT_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": env.int("FRAGMENT_CACHE_ENTRIES", default=500)},
}
# The default cache holds allauth's rate limits: in PostgreSQL (accounts migration 0007 creates the table), shared
# by every process and still there while Redis is down.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"},
    "fragments": FRAGMENT_CACHE,
}

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OTE Dashboard <noreply@localhost>")

# Celery on Redis, with a worker and beat in every environment (make run starts both; most tests run tasks eagerly).
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
# Above the longest task's hard limit, so Redis never redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
# Keep the worker's database connection across tasks (Celery closes it after each task otherwise: a
# new PostgreSQL connection for every digest). Django's CONN_MAX_AGE still ages it out.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
CELERY_TASK_IGNORE_RESULT = True  # no result backend: tasks record their outcome in the database
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task that loses the broker connection is redelivered anyway (acks_late): stop it rather than finish twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Run exactly one `celery beat`. Month close is hourly because it happens at each organization's own midnight.
CELERY_BEAT_SCHEDULE = {
    "month-close": {"task": "oteapp.month_close", "schedule": crontab(minute=5)},
    "snapshots-nightly": {"task": "oteapp.snapshots_nightly", "schedule": crontab(hour=2, minute=30)},
    "digests-sweep": {"task": "oteapp.digests_sweep", "schedule": crontab(minute="*/5")},
    "sessions-clear": {"task": "accounts.sessions_clear", "schedule": crontab(hour=3, minute=15)},
    "webhooks-sweep": {"task": "oteapp.webhooks_sweep", "schedule": crontab(minute="*")},
    "idempotency-keys-purge": {"task": "oteapp.idempotency_keys_purge", "schedule": crontab(hour=3, minute=45)},
}

# Background jobs (docs/jobs.md).
SNAPSHOT_REFRESH_DEBOUNCE_SECONDS = env.int("SNAPSHOT_REFRESH_DEBOUNCE_SECONDS", default=5)
JOBS_ORGANIZATION_BATCH_SIZE = env.int("JOBS_ORGANIZATION_BATCH_SIZE", default=100)
# Digests go out during the first days after month close only; a member who joins later waits for the next.
DIGEST_SEND_WINDOW_DAYS = env.int("DIGEST_SEND_WINDOW_DAYS", default=7)
# A 'sending' claim older than this is taken to be a dead worker's and is retried. Above the hard task time
# limit, so a live worker's claim is never taken over.
DIGEST_SENDING_TIMEOUT_SECONDS = env.int("DIGEST_SENDING_TIMEOUT_SECONDS", default=600)
DIGEST_MAX_ATTEMPTS = env.int("DIGEST_MAX_ATTEMPTS", default=5)
DIGEST_RETRY_SECONDS = env.int("DIGEST_RETRY_SECONDS", default=120)
# One send task stops claiming after this long and hands the rest to a fresh task, well inside the soft limit.
DIGEST_TASK_BUDGET_SECONDS = env.int("DIGEST_TASK_BUDGET_SECONDS", default=120)
# A hung SMTP server fails the send (and the delivery is retried) instead of blocking a worker until its time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

INVITATION_MAX_AGE_DAYS = 7

# The API (SPEC section 16): requests per key in each window of seconds, and how long a write's Idempotency-Key
# is remembered.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_LIMIT_WINDOW = env.int("API_RATE_LIMIT_WINDOW", default=60)
API_IDEMPOTENCY_HOURS = 24
API_PAGE_SIZE = 100
API_MAX_PAGE_SIZE = 1000

# Webhooks: plain HTTP and private or loopback addresses only where a development setting allows them (SSRF).
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=5)
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_ACTUALS_DEBOUNCE_SECONDS = env.int("WEBHOOK_ACTUALS_DEBOUNCE_SECONDS", default=30)

# Request and import sizes (issue 14 item 2). An import file (configuration JSON, actuals CSV; web or command
# line) is refused beyond these, with a message naming the limit: 400 reps by 36 months (14,400 rows, about
# 1 MB) fits with room to spare. Request bodies other than files are capped by Django: the largest is the
# actuals preview's signed copy of an import file (base64 of the compressed file, so at most 4/3 of its bytes).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
IMPORT_MAX_REPS = env.int("IMPORT_MAX_REPS", default=2_000)
IMPORT_MAX_ROLES = env.int("IMPORT_MAX_ROLES", default=50)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=IMPORT_MAX_BYTES * 3 // 2)
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES  # larger uploads go to a temporary file, then are refused
# 50 roles of about 15 inputs each on the Configuration form; the What-If query string is smaller.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
DATA_UPLOAD_MAX_NUMBER_FILES = 5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates every PDF step by step (statement PDFs) at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}

# The Advisor's optional written summary by a language model (SPEC section 15): off unless the operator sets a key.
# Only aggregates are sent (no names or emails), and the page shows exactly what.
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY", default="")
ADVISOR_MODEL = env("ADVISOR_MODEL", default="claude-sonnet-5-5")
ADVISOR_TIMEOUT_SECONDS = env.float("ADVISOR_TIMEOUT_SECONDS", default=20.0)
