"""Settings: every value from the environment (django-environ), with a working local default.

See `.env.example` for the full list and README's configuration table.
"""

import os
import tempfile
from pathlib import Path

import environ

from initiator_site.email_url import email_settings
from initiator_site.secrets import ensure_dev_secrets, require

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
DEV_SECRETS_FILE = BASE_DIR / ".dev-secrets.env"
if DEBUG:
    ensure_dev_secrets(DEV_SECRETS_FILE)
    environ.Env.read_env(DEV_SECRETS_FILE)

SECRET_KEY = require(env, "SECRET_KEY")
# MultiFernet keys, comma separated: the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in require(env, "FIELD_ENCRYPTION_KEYS").split(",") if k.strip()
]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here: the docs work offline
    "django_filters",
    "django_q",
    "anymail",
    "accounts",
    "integrations",
    "workflows",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "initiator_site.urls"
WSGI_APPLICATION = "initiator_site.wsgi.application"

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
                "workflows.alerts.context.open_alerts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend plus a queue for writers (see initiator_site/db/sqlite).
    DATABASES["default"]["ENGINE"] = "initiator_site.db.sqlite"
    # WAL lets the web server and the qcluster (ORM broker) read while one writes; IMMEDIATE
    # transactions plus a busy timeout turn lock contention into waiting instead of errors.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
    # A file, not :memory:, so threads and subprocesses in tests share it; one per test process
    # so parallel runs on one machine never clobber each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": Path(tempfile.gettempdir()) / f"initiator-test-{os.getpid()}.sqlite3"
    }
    # Keep connections: opening one runs the PRAGMAs above, on every request otherwise.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
else:
    # One test database per test process, so parallel runs never drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------------
# SMTP, the console or an email provider through django-anymail (initiator_site/email_url.py).
vars().update(email_settings(env.str("EMAIL_URL", default="consolemail://"), env))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="workflows@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)

# --- Cache (the public pages' rate limit) ---------------------------------------------------
# Local memory per process by default; a shared one (redis://…) makes limits hold across them.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A cache that hangs must not hold a page: the rate limiter lets requests through when
    # the cache fails (initiator_site/ratelimit.py).
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("socket_connect_timeout", 2)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 2)
# How many proxies in front append to X-Forwarded-For (0: none; clients are REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Requests per minute one client address may make to a survey's response page (/s/…/).
SURVEY_PAGE_RATE_LIMIT = env.int("SURVEY_PAGE_RATE_LIMIT", default=60)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "initiator_site.api_schema.ApiSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # JSON only, bounded in size and depth (initiator_site/api.py, initiator_site/json_input.py).
    "DEFAULT_PARSER_CLASSES": ["initiator_site.api.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "initiator_site.api.exception_handler",
}
# Every JSON parsed from outside (API bodies, webhook deliveries, BigCommerce's replies, admin
# step configs) nests at most this deep; API bodies are at most DATA_UPLOAD_MAX_MEMORY_SIZE.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
SPECTACULAR_SETTINGS = {
    "TITLE": "BigCommerce Workflow Initiator API",
    "DESCRIPTION": "Workflows started by BigCommerce store events.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and its favicon from our own static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "valid" badge: Swagger UI would send the schema to validator.swagger.io for it.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # One name for a choice set used in two components: a delivery's status (the list's and one
    # delivery's), what a test event runs on (a run's field and the test action's choice).
    "ENUM_NAME_OVERRIDES": {
        "DeliveryStatusEnum": "integrations.models.DeliveryStatus",
        "TestDataEnum": "workflows.models.TestData",
    },
}

# --- BigCommerce and webhooks ---------------------------------------------------------------
BIGCOMMERCE_API_BASE_URL = env.str(
    "BIGCOMMERCE_API_BASE_URL", default="https://api.bigcommerce.com"
)
# One BigCommerce request's timeouts, its retries within a task, and the longest sleep before
# one retry (a 429 asking for longer reschedules the delivery instead). With the fetch plan's
# calls and FANOUT_INLINE_SECONDS they must fit in Q_TIMEOUT: a system check says so at
# start-up (integrations/bigcommerce/budget.py computes it).
BIGCOMMERCE_CONNECT_TIMEOUT = env.float("BIGCOMMERCE_CONNECT_TIMEOUT", default=5.0)
BIGCOMMERCE_READ_TIMEOUT = env.float("BIGCOMMERCE_READ_TIMEOUT", default=10.0)
BIGCOMMERCE_MAX_RETRIES = env.int("BIGCOMMERCE_MAX_RETRIES", default=2)
BIGCOMMERCE_MAX_WAIT_SECONDS = env.float("BIGCOMMERCE_MAX_WAIT_SECONDS", default=3.0)
# The longest wait BigCommerce's headers may ask for (a rate-limit reset, Retry-After): a longer
# one, or inf, reads as this (integrations/bigcommerce/headers.py).
BIGCOMMERCE_RETRY_HORIZON_SECONDS = env.float("BIGCOMMERCE_RETRY_HORIZON_SECONDS", default=3600.0)
# The most of each store's API quota (per BigCommerce's window) this app may use, in percent,
# shared by every worker and node: the store's other apps need the rest
# (integrations/bigcommerce/quota.py).
BIGCOMMERCE_API_SHARE = env.float("BIGCOMMERCE_API_SHARE", default=50.0)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_MAX_BODY_BYTES = 64 * 1024
OUTBOUND_HTTP_ALLOWLIST = env.list("OUTBOUND_HTTP_ALLOWLIST", default=[])
# A delivery not finished this long after it was received or claimed is handed out again by
# the sweeper (a worker killed mid-task, a lost broker message). Must exceed Q_TIMEOUT.
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=300)
# A delivery failing with errors worth retrying (BigCommerce down, 5xx, 429) is retried for this
# long after its first failure, as BigCommerce retries its own webhooks for 48 hours, then given
# up (dead). DELIVERY_MAX_ATTEMPTS, when set, gives up earlier after that many attempts (0: no
# limit by count).
DELIVERY_RETRY_HOURS = env.float("DELIVERY_RETRY_HOURS", default=48.0)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=0)
# A bulk replay makes its deliveries due at most this many per second, so that the deliveries
# arriving meanwhile don't queue behind it.
DELIVERY_REPLAY_PER_SECOND = env.int("DELIVERY_REPLAY_PER_SECOND", default=20)
# Retention (pruned daily, in batches): deliveries and runs older than this many days are
# deleted; 0 keeps them for ever. Runs and deliveries still under way are always kept.
DELIVERY_RETENTION_DAYS = env.int("DELIVERY_RETENTION_DAYS", default=90)
RUN_RETENTION_DAYS = env.int("RUN_RETENTION_DAYS", default=365)
# Alerts (a pass every 15 minutes): a workflow whose runs failed more than ALERT_FAILURE_RATE
# of the time over the last ALERT_FAILURE_WINDOW_HOURS, with at least ALERT_FAILURE_MIN_RUNS
# runs that succeeded or failed; each open alert is emailed at most once per interval.
ALERT_FAILURE_RATE = env.float("ALERT_FAILURE_RATE", default=0.25)
ALERT_FAILURE_MIN_RUNS = env.int("ALERT_FAILURE_MIN_RUNS", default=10)
ALERT_FAILURE_WINDOW_HOURS = env.int("ALERT_FAILURE_WINDOW_HOURS", default=24)
ALERT_EMAIL_INTERVAL_HOURS = env.int("ALERT_EMAIL_INTERVAL_HOURS", default=24)
# The delivery task runs the new runs itself for up to this long, then enqueues the rest.
FANOUT_INLINE_SECONDS = env.float("FANOUT_INLINE_SECONDS", default=10.0)

# --- django-q2 ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="initiator"),
    "workers": env.int("Q_WORKERS", default=4),
    # A worker is replaced after this many tasks (0: never; the bench's memory part uses it to
    # show that a worker's memory does not grow per delivery).
    "recycle": env.int("Q_RECYCLE", default=500),
    # A task may run `timeout` seconds; the broker hands an unacknowledged task out again after
    # `retry` seconds, so retry must exceed timeout or a slow task would run twice.
    "timeout": env.int("Q_TIMEOUT", default=120),
    "retry": env.int("Q_RETRY", default=180),
    # Our own code retries deliveries with backoff; the broker never re-runs a failed task.
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    # Successful task results are not kept (-1): runs and deliveries record their own outcome,
    # and each saved result would cost the cluster a write per task. Failures are kept.
    "save_limit": env.int("Q_SAVE_LIMIT", default=-1),
    "label": "Task queue",
    "sync": env.bool("Q_SYNC", default=False),
    # Several cluster nodes may share a broker; exactly one should run the scheduler (the
    # periodic sweeper and hook health check). Set Q_SCHEDULER=false on the others.
    "scheduler": env.bool("Q_SCHEDULER", default=True),
    "poll": 0.2,
}
# Both with the delivery relay: the receiver stores deliveries, the cluster takes them from
# the table (workflows/broker.py), woken when one is stored (off: the relay's poll alone).
RELAY_WAKEUP = env.bool("RELAY_WAKEUP", default=True)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    Q_CLUSTER["broker_class"] = "workflows.broker.RelayRedis"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "workflows.broker.FastORM"

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"tokens": {"()": "initiator_site.log_filters.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The loggers that write request paths: the survey and unsubscribe tokens redacted.
        "django.request": {"filters": ["tokens"]},
        # (runserver's request lines: Django's own handler for them is replaced by ours.)
        "django.server": {"filters": ["tokens"], "handlers": ["console"], "propagate": False},
        "initiator.access": {"filters": ["tokens"]},
    },
}

# --- Deployment hardening (DEBUG off) -------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
