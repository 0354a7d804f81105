"""HealthPortal project wiring: settings, URLs, Celery app, embedded servers."""

from healthportal.celery import app as celery_app

__all__ = ("celery_app",)
