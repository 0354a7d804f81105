"""Celery entry points of audit: sealing the access log into its hash chain."""

from celery import shared_task

from apps.audit import services


@shared_task(name="audit.seal", ignore_result=True)
def seal() -> int:
    return services.seal_pending()
