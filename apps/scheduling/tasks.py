"""Celery entry points of scheduling: the rolling slot horizon and daily housekeeping."""

from celery import shared_task

from apps.scheduling import services


@shared_task(name="scheduling.slots_extend_horizon", ignore_result=True)
def slots_extend_horizon() -> int:
    return services.slots_extend_horizon()


@shared_task(name="scheduling.housekeeping", ignore_result=True)
def housekeeping() -> dict[str, int]:
    """No-shows for visits that passed without arrival; lapsed waitlist offers released."""
    return {
        "no_shows": services.appointments_mark_no_shows(),
        "expired_offers": services.waitlist_expire_offers(),
    }
