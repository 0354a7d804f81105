"""Settings shared by every environment; the others override what differs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from csp.constants import NONCE, NONE, SELF
from kombu import Queue
from redis.backoff import NoBackoff
from redis.retry import Retry

from healthportal.settings.environment import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    # The admin site is the project's own: the admin role with a verified second factor.
    "healthportal.admin.HealthPortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_guid",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "health_check",
    "simple_history",
    "csp",
    "apps.core",
    "apps.audit",
    "apps.accounts",
    "apps.patients",
    "apps.providers",
    "apps.allergies",
    "apps.scheduling",
    "apps.portal",
    "apps.demo",
    # Extracted services: own database alias, own queue, fed by events (docs/adr/0006).
    "extracted.notifications",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy of every response, with a fresh nonce per request.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Names the signed-in user (session or, once DRF has authenticated, JWT) in change history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.accounts.sessions.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Writes the request's PHI access records with one INSERT, error responses included.
    "apps.audit.middleware.AccessLogMiddleware",
    # Last, as django-axes asks: it turns a lockout during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthportal.urls"
WSGI_APPLICATION = "healthportal.wsgi.application"
ASGI_APPLICATION = "healthportal.asgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The notifications service's own database: by default beside the monolith's on the same server.
DATABASES["notifications"] = (
    env.db_url("NOTIFICATIONS_DATABASE_URL")
    if env("NOTIFICATIONS_DATABASE_URL", default="")
    else {**DATABASES["default"], "NAME": f"{DATABASES['default']['NAME']}_notifications"}
)
DATABASES["notifications"]["CONN_MAX_AGE"] = 60
DATABASES["notifications"]["CONN_HEALTH_CHECKS"] = True
# Its test database stands alone: a test may ask for it without the monolith's.
DATABASES["notifications"]["TEST"] = {"DEPENDENCIES": []}
DATABASE_ROUTERS = ["extracted.notifications.router.NotificationsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Fail fast when Redis is down: redis-py's default backoff would hold requests seconds.
        "OPTIONS": {
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
            "retry": Retry(NoBackoff(), 1),
        },
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The admin's form sends "username", the patient API "email": count both as the login.
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.login_of"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "new_password", "old_password", "token", "refresh"]

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
PATIENT_APP_URL = env("PATIENT_APP_URL", default="http://localhost:3000")
# Argon2id first: new and changed passwords are hashed with it, and older hashes (PBKDF2) are
# upgraded at the next successful sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
# Staff sign in at the portal with a password and a TOTP code (django-otp). Sessions end after
# SESSION_IDLE_MINUTES without a request (the cookie's age, renewed on each request) and
# SESSION_MAX_HOURS after sign-in (apps.accounts.sessions).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=15)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "HealthPortal"
# manage.py seed_demo runs only where this is True (local, test, bench), never in production.
DEMO_DATA_ALLOWED = False

# --- Content-Security-Policy (django-csp 4): no inline script or style anywhere --------------
# Scripts and styles come from our own origin as files; the style elements ReDoc injects carry
# the request's nonce (static/js/redoc-init.js). Images may be data: URIs (Swagger UI's icons
# are), nothing may frame a page, and forms post only to this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # ReDoc runs its search in a worker it makes from a blob: URL of its own bundle.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": "10/minute", "password_reset": "5/hour"},
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HealthPortal API",
    "DESCRIPTION": "Patient portal API of HealthPortal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.openapi.document_invalid_page",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": [
            "proposed",
            "pending",
            "booked",
            "arrived",
            "fulfilled",
            "cancelled",
            "noshow",
            "entered-in-error",
            "checked-in",
            "waitlist",
        ],
        "WaitlistStatusEnum": ["waiting", "offered", "booked", "expired", "cancelled"],
        "PatientOrStaffEnum": ["staff", "patient"],
    },
}

# --- Celery and the outbox ------------------------------------------------------------------


def celery_broker_url(redis_url: str) -> str:
    """Kombu names a Redis unix socket redis+socket://path, and its database virtual_host."""
    parsed = urlparse(redis_url)
    if parsed.scheme != "unix":
        return redis_url
    db = parse_qs(parsed.query).get("db", ["0"])[0]
    return f"redis+socket://{parsed.path}?virtual_host={db}"


CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or celery_broker_url(REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every queue that exists; make run's worker consumes all of them, compose runs one worker each.
QUEUE_NAMES = ["default", "notifications"]
CELERY_TASK_QUEUES = [Queue(name) for name in QUEUE_NAMES]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Workers keep the project's LOGGING (JSON, redacting filter) instead of Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

OUTBOX_SWEEP_SECONDS = env.int("OUTBOX_SWEEP_SECONDS", default=5)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)
OUTBOX_BATCH_SIZE = 200
OUTBOX_MAX_ATTEMPTS = 10
# Where the relay sends events besides in-process handlers: {queue: (task name, event types)}.
# Extracted services add their entry here as they arrive ("*" subscribes to every event).
OUTBOX_CONSUMERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "notifications": (
        "notifications.consume",
        (
            "patients.PatientContactChanged",
            "patients.PatientDeactivated",
            "providers.LocationChanged",
            "scheduling.AppointmentBooked",
            "scheduling.AppointmentCancelled",
            "scheduling.AppointmentRescheduled",
            "scheduling.AppointmentStatusChanged",
            "scheduling.WaitlistOfferMade",
            "allergies.AllergyRecorded",
            "audit.BreakGlassAccessGranted",
        ),
    ),
}

CELERY_BEAT_SCHEDULE = {
    "outbox-relay-sweep": {
        "task": "core.outbox_relay",
        "schedule": OUTBOX_SWEEP_SECONDS,
        "options": {"queue": "default", "expires": OUTBOX_SWEEP_SECONDS * 2},
    },
    "scheduling-slot-horizon": {
        "task": "scheduling.slots_extend_horizon",
        "schedule": timedelta(hours=24),
        "options": {"queue": "default"},
    },
    "scheduling-housekeeping": {
        "task": "scheduling.housekeeping",
        "schedule": timedelta(minutes=15),
        "options": {"queue": "default"},
    },
    "outbox-prune": {
        "task": "core.outbox_prune",
        "schedule": timedelta(hours=6),
        "options": {"queue": "default"},
    },
    "audit-seal": {
        "task": "audit.seal",
        "schedule": timedelta(minutes=1),
        "options": {"queue": "default", "expires": 60},
    },
    "notifications-deliver-due": {
        "task": "notifications.deliver_due",
        "schedule": 10,
        "options": {"queue": "notifications", "expires": 20},
    },
}

# --- Notifications (extracted/notifications) ------------------------------------------------
NOTIFICATIONS_STAFF_EMAIL = env("NOTIFICATIONS_STAFF_EMAIL", default="clinic-staff@localhost")
# Security alerts (break-glass access) go to the administrators.
NOTIFICATIONS_ADMIN_EMAIL = (
    env("NOTIFICATIONS_ADMIN_EMAIL", default="") or NOTIFICATIONS_STAFF_EMAIL
)
NOTIFICATIONS_REMINDER_HOURS = [
    int(hours) for hours in env.list("NOTIFICATIONS_REMINDER_HOURS", default=["48", "2"])
]
# The development file channels write under <dir>/mail and <dir>/sms (set in local and test).
NOTIFICATIONS_OUTPUT_DIR = env("NOTIFICATIONS_OUTPUT_DIR", default="")
# Email of the service goes through this backend (production: SMTP, the project's own).
NOTIFICATIONS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SMS_PROVIDER = env("SMS_PROVIDER", default="none")
SMS_HTTP_URL = env("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=10.0)
# A transient failure is retried after base * 2**(attempt - 1) seconds, up to the maximum.
NOTIFICATIONS_RETRY_BASE_SECONDS = 30
NOTIFICATIONS_MAX_ATTEMPTS = 6
NOTIFICATIONS_BATCH_SIZE = 100

EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="HealthPortal <no-reply@localhost>")

# Change history of clinical records (docs/adr/0009): read-only, never a way to undo.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Audit (apps/audit, docs/adr/0007-audit-log.md) ------------------------------------------
# A staff member's break-glass access to a patient outside their care lasts this long.
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=60)
BREAK_GLASS_REASON_MIN_LENGTH = 15
# The sealer leaves rows younger than this (and any written after the oldest open transaction
# began) for its next run, so a lower id committed late is never skipped.
AUDIT_SEAL_GRACE_SECONDS = 30

# --- Scheduling policy ---------------------------------------------------------------------
SLOT_HORIZON_DAYS = 60  # slots are materialised this far ahead, daily
CANCELLATION_WINDOW_HOURS = 24  # patients may cancel online until this long before the visit
WAITLIST_OFFER_HOURS = 2  # a freed place is held this long for the offered patient
NO_SHOW_GRACE_MINUTES = 60  # after the visit's end, an unarrived booking becomes a no-show

# --- Logging: JSON lines, a request id on every line of a request, no PHI --------------------
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,  # a client cannot write arbitrary text into our logs
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [],
    "UUID_LENGTH": 32,
}
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
        # On every handler: no JWT, query string, email or phone number, no request dumps.
        "redact": {"()": "apps.core.redaction.RedactingFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "correlation_id": "request_id",
            },
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # INFO or higher, always: at DEBUG it logs every SQL statement with its parameters.
        "django.db.backends": {"level": "INFO"},
        # Django's own handlers (a plain console, mail to ADMINS with the request attached)
        # would write before the redacting one: its records go to ours only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_guid": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # django-axes names the login (an email) in its warnings: PHI stays out of the logs.
        "axes": {"level": "ERROR"},
    },
}

# --- Sentry: only with a DSN, never personal data --------------------------------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from apps.core.redaction import sentry_before_breadcrumb, sentry_before_send

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=sentry_before_send,
        before_breadcrumb=sentry_before_breadcrumb,
        traces_sample_rate=0.0,
    )

# Slot and provider search keep the bookable catalogue per process under a version token in
# Redis that providers' services replace on commit (apps/providers/catalogue_cache.py); entries
# also expire after this many seconds. 0 turns the cache off.
PROVIDERS_CATALOGUE_CACHE_SECONDS = 60
