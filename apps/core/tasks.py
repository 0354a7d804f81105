"""Celery entry points of the kernel: the outbox relay (kick and sweep) and pruning."""

from celery import shared_task

from apps.core import outbox


@shared_task(name="core.outbox_relay", ignore_result=True)
def outbox_relay() -> int:
    return outbox.outbox_relay_all()


@shared_task(name="core.outbox_prune", ignore_result=True)
def outbox_prune() -> int:
    return outbox.outbox_prune()
