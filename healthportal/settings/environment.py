"""Every environment variable the project reads, declared once.

Settings read variables only through `env`, which refuses an undeclared name, so this table is
the single source for the README's table and the docker-compose check.
"""

from __future__ import annotations

import dataclasses

import environ


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    description: str
    default: str = ""
    required_in_production: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "DJANGO_SETTINGS_MODULE",
        "Settings module: healthportal.settings.local, .test, .production or .bench.",
        "healthportal.settings.local",
    ),
    Variable(
        "DJANGO_SECRET_KEY",
        "Secret for signing sessions and tokens. No default in production.",
        "a dev-only key in local and test",
        required_in_production=True,
    ),
    Variable(
        "DJANGO_ALLOWED_HOSTS",
        "Comma-separated host names the site answers to.",
        "localhost,127.0.0.1 in local and test",
        required_in_production=True,
    ),
    Variable(
        "DATABASE_URL",
        "Postgres URL. Unset in local and test: an embedded Postgres under .data/ is started.",
        "embedded Postgres",
        required_in_production=True,
    ),
    Variable(
        "REDIS_URL",
        "Redis URL for the cache and the Celery broker. Unset in local and test: an embedded "
        "Redis under .data/ is started.",
        "embedded Redis",
        required_in_production=True,
    ),
    Variable(
        "CELERY_BROKER_URL",
        "Celery broker when it is not the Redis of REDIS_URL (for example RabbitMQ).",
        "REDIS_URL",
    ),
    Variable("SENTRY_DSN", "Sentry DSN; Sentry is off when unset. No personal data is sent."),
    Variable("SENTRY_ENVIRONMENT", "Environment name reported to Sentry.", "production"),
    Variable("LOG_LEVEL", "Root log level of the JSON logs.", "INFO"),
    Variable(
        "DJANGO_SECURE_SSL_REDIRECT",
        "Redirect plain HTTP to HTTPS (production; off in bench).",
        "true",
    ),
    Variable(
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        "Comma-separated origins trusted for CSRF behind a TLS proxy (https://portal.example).",
    ),
    Variable(
        "CORS_ALLOWED_ORIGINS",
        "Comma-separated origins of patient apps allowed to call the API from a browser.",
    ),
    Variable(
        "PATIENT_APP_URL",
        "Base URL of the patient app; password-reset links point at <url>/reset-password.",
        "http://localhost:3000",
    ),
    Variable("OUTBOX_RETENTION_DAYS", "Days delivered outbox rows are kept before pruning.", "7"),
    Variable("OUTBOX_SWEEP_SECONDS", "Interval of the beat sweep that relays pending events.", "5"),
    Variable(
        "SESSION_IDLE_MINUTES",
        "Staff and admin sessions end after this many minutes without a request.",
        "15",
    ),
    Variable(
        "SESSION_MAX_HOURS",
        "Staff and admin sessions end this many hours after sign-in, however active.",
        "12",
    ),
    Variable(
        "NOTIFICATIONS_DATABASE_URL",
        "Postgres URL of the notifications service's own database. Unset: a database named "
        "<default database>_notifications on the same server, created by manage.py migrate_all.",
        "<DATABASE_URL's database>_notifications",
    ),
    Variable(
        "NOTIFICATIONS_STAFF_EMAIL",
        "Address of the clinic staff mailbox that receives the notifications service's alerts.",
        "clinic-staff@localhost",
    ),
    Variable(
        "NOTIFICATIONS_ADMIN_EMAIL",
        "Address of the administrators who receive security alerts (break-glass access).",
        "NOTIFICATIONS_STAFF_EMAIL",
    ),
    Variable(
        "BREAK_GLASS_MINUTES",
        "Minutes a staff member's break-glass access to a patient outside their care lasts.",
        "60",
    ),
    Variable(
        "NOTIFICATIONS_REMINDER_HOURS",
        "Comma-separated hours before an appointment at which reminders are sent.",
        "48,2",
    ),
    Variable(
        "NOTIFICATIONS_OUTPUT_DIR",
        "Where the development file channels write: mail/<message id>.eml and "
        "sms/<message id>.json.",
        "the data directory (.data/)",
    ),
    Variable(
        "SMS_PROVIDER",
        "How SMS leave: file (development, under NOTIFICATIONS_OUTPUT_DIR), http (SMS_HTTP_URL) "
        "or none (SMS off).",
        "file in local and test, none in production",
    ),
    Variable(
        "SMS_HTTP_URL",
        "Endpoint the http SMS provider POSTs each message to (JSON, Idempotency-Key header).",
    ),
    Variable("SMS_HTTP_TOKEN", "Bearer token of the http SMS provider."),
    Variable("SMS_HTTP_TIMEOUT_SECONDS", "Timeout of one SMS provider request.", "10"),
    Variable("EMAIL_HOST", "SMTP server for outgoing mail (production).", "localhost"),
    Variable("EMAIL_PORT", "SMTP port.", "587"),
    Variable("EMAIL_HOST_USER", "SMTP user name."),
    Variable("EMAIL_HOST_PASSWORD", "SMTP password."),
    Variable("EMAIL_USE_TLS", "Use STARTTLS towards the SMTP server.", "true"),
    Variable(
        "DEFAULT_FROM_EMAIL",
        "Sender address of every email the portal sends.",
        "HealthPortal <no-reply@localhost>",
    ),
    Variable("PORT", "Port of the web server started by make run.", "8000"),
    Variable(
        "HEALTHPORTAL_DATA_DIR",
        "Where make run and make test keep the embedded servers' data.",
        ".data/ in the project",
    ),
)

DECLARED = {variable.name: variable for variable in VARIABLES}


class DeclaredEnv(environ.Env):
    """django-environ's Env that refuses to read a variable missing from VARIABLES."""

    def get_value(self, var, *args, **kwargs):
        if var not in DECLARED:
            raise KeyError(f"{var} is read by the settings but not declared in VARIABLES")
        return super().get_value(var, *args, **kwargs)


env = DeclaredEnv()
