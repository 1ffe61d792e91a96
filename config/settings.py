"""HotCRM settings, read once from the environment.

Unset, everything falls back to the embedded default: a SQLite file next to the
project and Celery tasks run in-process. Set DATABASE_URL and REDIS_URL for
PostgreSQL and a real broker.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = _flag("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "insecure-development-key-set-SECRET_KEY-in-production"
)
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS")

DATABASE_URL = (
    os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'hotcrm.sqlite3'}"
)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=600, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend plus a Unicode-aware lower() (config/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    # WAL lets the dev server read while a task writes; the timeout rides out
    # the short write locks of in-process tasks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

REDIS_URL = os.environ.get("REDIS_URL", "")
REQUIRE_SERVICES = _flag("HOTCRM_REQUIRE_SERVICES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "accounts",
    "crm",
    "api",
    "webhooks",
    "ai",
]

MIDDLEWARE = [
    "api.common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "crm.views.errors.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "crm.views.context.shell",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            if _flag("STATIC_MANIFEST")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: reliable defaults, and in-process execution when no broker is set.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task unacknowledged this long is handed to another worker. Every task's
# time limit is far below it, and no task is sent with a countdown or eta (the
# webhook retry schedule lives in the database).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# With acks_late, a worker that loses the broker stops its running tasks, which
# are then redelivered (Celery 6 makes this the default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# ``expires`` is Celery's own option; django-celery-beat's DatabaseScheduler
# drops it and reads ``expire_seconds`` instead, so entries carry both.
CELERY_BEAT_SCHEDULE = {
    "webhooks.dispatch": {
        "task": "webhooks.dispatch",
        "schedule": 30.0,
        "kwargs": {"sweep": True},
        "options": {"expires": 25, "expire_seconds": 25},
    },
    "webhooks.sweep": {
        "task": "webhooks.sweep",
        "schedule": 30.0,
        "options": {"expires": 25, "expire_seconds": 25},
    },
    "webhooks.check_failing": {
        "task": "webhooks.check_failing",
        "schedule": 3600.0,
        "options": {"expires": 3000, "expire_seconds": 3000},
    },
    "webhooks.purge": {
        "task": "webhooks.purge",
        "schedule": 86400.0,
        "options": {"expires": 82800, "expire_seconds": 82800},
    },
    "crm.purge_recycle_bin": {
        "task": "crm.purge_recycle_bin",
        "schedule": 3600.0,
        "options": {"expires": 3000, "expire_seconds": 3000},
    },
    "crm.sweep_jobs": {
        "task": "crm.sweep_jobs",
        "schedule": 30.0,
        "options": {"expires": 25, "expire_seconds": 25},
    },
    "crm.purge_jobs": {
        "task": "crm.purge_jobs",
        "schedule": 86400.0,
        "options": {"expires": 82800, "expire_seconds": 82800},
    },
    "api.purge_idempotency_keys": {
        "task": "api.purge_idempotency_keys",
        "schedule": 3600.0,
        "options": {"expires": 3000, "expire_seconds": 3000},
    },
}

# Records stay in the recycle bin this many days before the purge task removes them.
RECYCLE_BIN_RETENTION_DAYS = int(os.environ.get("RECYCLE_BIN_RETENTION_DAYS", "30"))

# -- jobs: bulk writes, CSV import and export (crm/jobs.py) ---------------------------

#: Rows per chunk; each chunk commits with the job's checkpoint. Fewer, larger
#: chunks cost less per row (bench/bulk_bench.py: 2,500 is where the gain ends).
#: A killed worker redoes at most one chunk.
JOB_CHUNK_ROWS = int(os.environ.get("JOB_CHUNK_ROWS", "2500"))
#: A running job's worker renews its lease with every chunk; a job whose lease
#: ran out (its worker died) is sent again by the crm.sweep_jobs beat task.
JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", "60"))
#: How long one crm.run_job task works before it sends the job on again.
JOB_TASK_BUDGET_SECONDS = float(os.environ.get("JOB_TASK_BUDGET_SECONDS", "60"))
#: A queued job no worker took this long is sent again.
JOB_QUEUE_GRACE_SECONDS = int(os.environ.get("JOB_QUEUE_GRACE_SECONDS", "60"))
#: Claims before a job that never finishes is failed.
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "5"))
#: Finished jobs (their rows, errors and files) are deleted after this many days.
JOB_RETENTION_DAYS = int(os.environ.get("JOB_RETENTION_DAYS", "30"))
#: Seconds each chunk waits before it commits: 0 in production; the crash
#: tests set it to stop a worker in the middle of a chunk.
JOB_CHUNK_PAUSE_SECONDS = float(os.environ.get("JOB_CHUNK_PAUSE_SECONDS", "0"))
#: Limits of a CSV import and of a CSV export.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "50000"))
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 2**20)))
EXPORT_MAX_ROWS = int(os.environ.get("EXPORT_MAX_ROWS", "100000"))

# -- webhooks and the event stream (webhooks/) ---------------------------------------

#: Hosts a webhook may call although they resolve to private or loopback
#: addresses (comma-separated; e.g. an internal receiver, or tests).
WEBHOOK_ALLOWED_HOSTS = _list("WEBHOOK_ALLOWED_HOSTS")
#: Attempts per delivery; retries wait base * factor^(n-1) seconds (±20 %),
#: capped: 30 s, 1.5 min, 4.5 min, … — ten attempts span about three days.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "10"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_FACTOR = float(os.environ.get("WEBHOOK_RETRY_FACTOR", "3"))
WEBHOOK_RETRY_MAX_SECONDS = float(
    os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", str(48 * 3600))
)
#: A subscription whose deliveries all fail this long is disabled.
WEBHOOK_DISABLE_AFTER_DAYS = float(os.environ.get("WEBHOOK_DISABLE_AFTER_DAYS", "5"))
#: After a rotation the old secret keeps signing this long (default a day).
WEBHOOK_SECRET_OVERLAP_SECONDS = int(
    os.environ.get("WEBHOOK_SECRET_OVERLAP_SECONDS", str(24 * 3600))
)
#: Deliveries one send task claims, and how many it posts at once.
WEBHOOK_BATCH_SIZE = int(os.environ.get("WEBHOOK_BATCH_SIZE", "100"))
WEBHOOK_CONCURRENCY = int(os.environ.get("WEBHOOK_CONCURRENCY", "16"))
WEBHOOK_SWEEP_MAX_TASKS = int(os.environ.get("WEBHOOK_SWEEP_MAX_TASKS", "50"))
#: How long a transaction may hold an event before committing it and still be
#: dispatched (the watermark stays this far behind).
WEBHOOK_DISPATCH_GRACE_SECONDS = int(
    os.environ.get("WEBHOOK_DISPATCH_GRACE_SECONDS", "300")
)
WEBHOOK_DELIVERY_RETENTION_DAYS = int(
    os.environ.get("WEBHOOK_DELIVERY_RETENTION_DAYS", "30")
)
#: How far back the event stream reaches.
WEBHOOK_EVENT_RETENTION_DAYS = int(os.environ.get("WEBHOOK_EVENT_RETENTION_DAYS", "7"))
#: Long-poll (?wait=) and server-sent-event connections hold a worker under
#: WSGI; these cap them (a client reconnects with its cursor).
EVENT_STREAM_MAX_WAIT_SECONDS = int(
    os.environ.get("EVENT_STREAM_MAX_WAIT_SECONDS", "25")
)
EVENT_STREAM_SSE_SECONDS = int(os.environ.get("EVENT_STREAM_SSE_SECONDS", "55"))
EVENT_STREAM_POLL_SECONDS = float(os.environ.get("EVENT_STREAM_POLL_SECONDS", "1"))

# Mail (a disabled webhook's owner is told why). Without EMAIL_HOST, mail is
# written to the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "HotCRM <noreply@hotcrm.local>"
)

# -- the REST API (api/) -------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.common.auth.BearerAuthentication",
        "api.common.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["api.common.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.common.parsers.OrjsonParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.common.renderers.JsonOnlyNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.common.errors.exception_handler",
}
#: Requests per window for a token or key without a limit of its own, and for a
#: browser session; anonymous callers are counted per client address.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "1000"))
API_RATE_LIMIT_ANONYMOUS = int(os.environ.get("API_RATE_LIMIT_ANONYMOUS", "100"))
API_RATE_LIMIT_WINDOW = int(os.environ.get("API_RATE_LIMIT_WINDOW", "3600"))
#: Prepare the fixed-shape lookups (credentials, a record by id) on the
#: PostgreSQL server (crm/query/prepared.py); off behind a pooler that drops
#: prepared statements.
DATABASE_PREPARED_LOOKUPS = _flag("DATABASE_PREPARED_LOOKUPS", default=True)
#: Requests a window to /oauth/token and /oauth/revoke_token per client address.
OAUTH_RATE_LIMIT = int(os.environ.get("OAUTH_RATE_LIMIT", "1000"))
#: Reverse proxies in front of the app. With N > 0 the client's address (rate
#: limits, the sign-in throttle) is the Nth entry from the right of
#: X-Forwarded-For; with 0 the header is ignored.
TRUSTED_PROXIES = max(0, int(os.environ.get("TRUSTED_PROXIES", "0")))
#: Failed sign-ins (/login/, /admin/login/, POST /api/v1/auth/token) allowed
#: per email and per client address in each window of seconds.
API_LOGIN_FAILURES_PER_USER = int(os.environ.get("API_LOGIN_FAILURES_PER_USER", "5"))
API_LOGIN_FAILURES_PER_IP = int(os.environ.get("API_LOGIN_FAILURES_PER_IP", "20"))
API_LOGIN_FAILURE_WINDOW = int(os.environ.get("API_LOGIN_FAILURE_WINDOW", "900"))
#: The largest request body the API reads, in bytes.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
#: Rows one synchronous batch request may carry.
API_BATCH_MAX_ROWS = int(os.environ.get("API_BATCH_MAX_ROWS", "200"))
#: How long an Idempotency-Key keeps its first response, in seconds.
API_IDEMPOTENCY_TTL = int(os.environ.get("API_IDEMPOTENCY_TTL", str(24 * 3600)))

# DOT's models, named so that migrations referring to them resolve.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth.Validator",
    "SCOPES_BACKEND_CLASS": "accounts.oauth.Scopes",
    "SCOPES": {
        "read:crm": "Read every object you can read",
        "write:crm": "Create, change and delete records of every object you can",
    },
    "DEFAULT_SCOPES": ["read:crm"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    # Plain http redirect URIs only while developing (RFC 9700 §2.6).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "REQUEST_APPROVAL_PROMPT": "force",
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "HotCRM API",
    "DESCRIPTION": (
        "The HotCRM REST API: every object of the registry, standard and custom, "
        "under /api/v1/. Authenticate with an OAuth 2.0 access token, a personal "
        "access token (pat_…) or an API key (ak_…) as a Bearer token."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"usePkceWithAuthorizationCodeGrant": True},
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "faker": {"level": "WARNING"},
        # One line per webhook request is too many; deliveries keep the log.
        "httpx": {"level": "WARNING"},
    },
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_SAMESITE = "Lax"
