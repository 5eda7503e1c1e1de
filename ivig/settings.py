"""Django settings, typed, from environment variables (docs/clinical-rules.md 2).

With no variable set the app runs as a laptop demo: SQLite file, Celery eager, console email,
DEBUG on. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
``DJANGO_ENV=production`` demands ``SECRET_KEY`` and ``ALLOWED_HOSTS`` and turns on every
``check --deploy`` protection.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import dj_database_url
from celery.schedules import crontab
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-never-used-in-production-ivig-0123456789"


class Environment(BaseSettings):
    """Every environment variable the app reads, with its type and default (README lists them)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    django_env: Literal["development", "production"] = "development"
    secret_key: str = ""
    allowed_hosts: str = ""
    csrf_trusted_origins: str = ""
    database_url: str = ""
    redis_url: str = ""
    time_zone: str = "UTC"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    session_idle_timeout_minutes: int = Field(default=15, ge=1)
    session_absolute_timeout_hours: int = Field(default=12, ge=1)
    login_failure_limit: int = Field(default=5, ge=1)
    login_cooloff_minutes: int = Field(default=15, ge=1)
    celery_visibility_timeout_seconds: int = Field(default=600, ge=5)
    trusted_proxy_count: int = Field(default=0, ge=0)
    # A lab export with more rows than this is imported in the background (docs/api.md).
    lab_import_background_rows: int = Field(default=500, ge=1)
    email_host: str = ""
    email_port: int = 587
    email_host_user: str = ""
    email_host_password: str = ""
    default_from_email: str = "ivig@localhost"
    # The identifier system (a URI) under which the FHIR server states a patient's MRN
    # (docs/fhir.md): the hospital's own, so the EHR matches patients by it.
    fhir_mrn_system: str = Field(default="urn:ivig:mrn", pattern=r"^[a-z][a-z0-9+.-]*:\S+$")
    # The EHR's FHIR R4 base URL that verified/discontinued orders and completed sessions are
    # pushed to (docs/fhir.md, "Out"); empty = no push. The token is sent as a Bearer token.
    fhir_push_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    fhir_push_token: str = ""

    @property
    def is_production(self) -> bool:
        return self.django_env == "production"


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


# A production SECRET_KEY: at least this long, with at least this many distinct characters.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 20


def weak_secret_key_reason(key: str) -> str | None:
    """Why ``key`` may not sign production sessions, or None when it is strong enough."""
    if key == DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure"):
        return "is a development default"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        return f"has fewer than {SECRET_KEY_MIN_DISTINCT} distinct characters"
    return None


ENV = Environment()

if ENV.is_production:
    missing = [name for name in ("secret_key", "allowed_hosts") if not getattr(ENV, name)]
    if missing:
        raise RuntimeError(
            "DJANGO_ENV=production needs " + " and ".join(name.upper() for name in missing)
        )
    weakness = weak_secret_key_reason(ENV.secret_key)
    if weakness:
        raise RuntimeError(
            f"DJANGO_ENV=production refuses this SECRET_KEY: it {weakness}; make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

DEBUG = not ENV.is_production
SECRET_KEY = ENV.secret_key or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = _split(ENV.allowed_hosts) or (
    [] if ENV.is_production else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _split(ENV.csrf_trusted_origins)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "ivig.accounts",
    "ivig.audit",
    "ivig.notifications",
    "ivig.outbox",
    "formulary",
    "orders",
    "authorizations",
    "infusions",
    "reminders",
    "reports",
    "interop",
]
if not ENV.is_production:  # seed_demo and seed_scale: development and tests only (demo/)
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Compresses only what reflects nothing the requester chose (BREACH; ivig/web/compression.py).
    "ivig.web.compression.SafeGZipMiddleware",
    "ivig.web.middleware.NoStoreMiddleware",
    "ivig.web.middleware.RequestBoundsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ivig.accounts.middleware.AbsoluteSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "ivig.accounts.recheck.CurrentRequestMiddleware",
]

if ENV.is_production:  # whitenoise serves collected static files; runserver does it in DEBUG
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Request bodies above 1 MB answer 413 (ivig.web.middleware.RequestBoundsMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

ROOT_URLCONF = "ivig.urls"
WSGI_APPLICATION = "ivig.wsgi.application"

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
                "ivig.accounts.context_processors.navigation",
            ],
            "builtins": ["ivig.templatetags.clinical", "ivig.templatetags.links"],
        },
    }
]
# Django's form renderer, with its simplest widget templates drawn in Python (issue 21).
FORM_RENDERER = "ivig.form_renderer.FormRenderer"

if ENV.database_url:
    DATABASES = {"default": dj_database_url.parse(ENV.database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: in Redis with REDIS_URL (no database query per request), else in the database
# (shared by every process, unlike a per-process cache). Both timeouts are enforced by
# ivig.accounts.middleware from times kept in the session: the idle one (SESSION_COOKIE_AGE,
# also the store's expiry) is renewed at most once per SESSION_IDLE_RENEWAL_SECONDS, so a
# signed-in request does not save the session; the absolute one counts from sign-in.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cache"
    if ENV.redis_url
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_AGE = ENV.session_idle_timeout_minutes * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_IDLE_RENEWAL_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_TIMEOUT_SECONDS = ENV.session_absolute_timeout_hours * 3600

# Failed logins (django-axes): locked per username *and* address, for a cool-off only, so one
# user's typos never lock out a ward behind the same proxy and nobody is locked out for good.
AXES_FAILURE_LIMIT = ENV.login_failure_limit
AXES_COOLOFF_TIME = timedelta(minutes=ENV.login_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = ENV.trusted_proxy_count or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if ENV.trusted_proxy_count else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = ENV.time_zone
# ISO 4217 code shown after every amount of money (the ``money`` template filter).
CURRENCY = ENV.currency
FHIR_MRN_SYSTEM = ENV.fhir_mrn_system
FHIR_PUSH_URL = ENV.fhir_push_url.rstrip("/")
FHIR_PUSH_TOKEN = ENV.fhir_push_token
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if ENV.is_production
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if ENV.email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = ENV.email_host
    EMAIL_PORT = ENV.email_port
    EMAIL_HOST_USER = ENV.email_host_user
    EMAIL_HOST_PASSWORD = ENV.email_host_password
    EMAIL_USE_TLS = True
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = ENV.default_from_email

# Celery: eager (in-process) without Redis, the laptop default; real broker with REDIS_URL.
CELERY_BROKER_URL = ENV.redis_url or "memory://"
CELERY_RESULT_BACKEND = ENV.redis_url or None
CELERY_TASK_ALWAYS_EAGER = not ENV.redis_url
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that is down must not hold a request: a publish gives up within about 3 s (the
# change is saved and its task waits in the outbox, ivig/outbox) instead of Celery's default of
# retrying for about 19 s. The worker keeps retrying to connect at start-up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# Redis redelivers a task a worker took but never acknowledged (acks_late: the worker died)
# after the visibility timeout. It must exceed the longest task: the cycle-reminder sweep over
# 10,000 active orders takes about 7 s (bench/reminder_sweeps.py) and an e-mail batch of 200
# a few seconds per SMTP timeout, so 10 minutes leaves a wide margin while a lost sweep is
# redone within minutes rather than Celery's default hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": ENV.celery_visibility_timeout_seconds,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
# The result backend (same Redis) subscribes for each published task's result: give up as fast.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 0.5,
    }
}
CELERY_TIMEZONE = TIME_ZONE
# A lab export with more rows is imported by a Celery task with progress (docs/api.md).
LAB_IMPORT_BACKGROUND_ROWS = ENV.lab_import_background_rows
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "health-heartbeat": {"task": "ivig.tasks.heartbeat", "schedule": timedelta(minutes=5)},
    # Tasks whose publish failed (broker down) are sent once it is back (ivig/outbox).
    "outbox-flush": {"task": "outbox.flush", "schedule": timedelta(minutes=1)},
    # FHIR pushes to the EHR that failed are sent again when their back-off is over (docs/fhir.md).
    "fhir-push-retry": {"task": "interop.fhir_push_retry", "schedule": timedelta(minutes=1)},
    # Large lab imports a lost worker left unfinished are resumed, then ended (docs/api.md).
    "lab-imports-resume": {
        "task": "orders.lab_imports_resume",
        "schedule": timedelta(minutes=5),
    },
    # docs/clinical-rules.md 6: sessions of past days that never started become missed, before the
    # sweeps.
    "sessions-mark-missed": {
        "task": "infusions.sessions_mark_missed",
        "schedule": crontab(hour=0, minute=15),
    },
    # docs/clinical-rules.md 8: the daily reminder sweeps, at 06:00 in TIME_ZONE.
    "cycle-reminders": {
        "task": "notifications.cycle_reminders",
        "schedule": crontab(hour=6, minute=0),
    },
    "authorization-follow-ups": {
        "task": "notifications.authorization_follow_ups",
        "schedule": crontab(hour=6, minute=0),
    },
    # The stewardship report's roll-up: the days changed since it was counted (reports/rollup.py).
    "stewardship-rollup": {
        "task": "reports.stewardship_rollup",
        "schedule": timedelta(minutes=10),
    },
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous call a 401 (sign in), not a
    # 403 (forbidden); a browser's session is still read when no token is sent.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ivig.accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bounded limit (at most 100) and offset, bounded JSON nesting, no NUL (docs/api.md).
    "DEFAULT_PAGINATION_CLASS": "ivig.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [
        "ivig.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "ivig.api.errors.exception_handler",
    # JSON only in production: the browsable API's HTML pages are a laptop convenience.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *([] if ENV.is_production else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IVIg orders and infusions API",
    "DESCRIPTION": "Dose plans, formulary, orders, infusion sessions and authorizations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ivig.api.schema.document_errors",
        "ivig.api.schema.document_local_times",
        "ivig.api.schema.strip_document_citations",
    ],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "OAS_VERSION": "3.1.0",  # pydantic models describe null as a type (3.1 style)
    # The patient's choice sets by name; without this they collide with the dose-plan API's
    # label-less enums of the same field names (drf_spectacular.W001 fails check --deploy).
    "ENUM_NAME_OVERRIDES": {
        "BloodGroupEnum": "orders.models.BloodGroup",
        "IgaStatusEnum": "orders.models.IgaStatus",
        "RiskFactorEnum": "orders.models.RiskFactor",
        "SexEnum": "orders.models.Sex",
        # Two "severity" choice sets: an adverse event's and an engine finding's.
        "AdverseEventSeverityEnum": "infusions.models.Severity",
        "FindingSeverityEnum": ["stop", "override", "warn"],
        "DosingWeightBasisEnum": "orders.models.DosingWeightBasis",
        "RateProtocolEnum": "orders.models.RateProtocol",
        "OrderStatusEnum": "orders.models.OrderStatus",
        # Two "decision" choice sets: a payer's and a response review's (docs/clinical-rules.md 10).
        "ReviewDecisionEnum": "orders.reviews.models.Decision",
        "ReviewResponseEnum": "orders.reviews.models.Response",
    },
}

# Content-Security-Policy (django-csp), in every environment so the tests see what production
# sends: scripts only from this site's static files (no inline script, no on* handler). Inline
# style attributes stay allowed: the schedule's timeline places each session on its CSS grid
# with a computed ``style``; scripts are the risk CSP guards against here.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_on_one_line": {"()": "ivig.web.log_filters.RefusalsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Once (not again through Django's own console handler) and a 403 without traceback.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["refusals_on_one_line"],
        },
    },
}

if ENV.is_production:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
