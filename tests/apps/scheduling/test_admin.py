"""Scheduling in the admin: constant changelist queries, actions through the services."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.models import OutboxEvent
from apps.core.pagination import EstimatedCountPaginator
from apps.scheduling.models import Appointment
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/scheduling/appointment/")
    assert response.status_code == 200
    return len(queries)


def test_the_appointment_changelist_query_count_does_not_grow_with_rows(admin_client, clinic):
    for hour in range(3):
        AppointmentFactory(slot=clinic.slot(hour=hour, days_ahead=3))
    few = _changelist_queries(admin_client)
    for hour in range(27):
        AppointmentFactory(slot=clinic.slot(hour=hour % 24, days_ahead=10 + hour))

    many = _changelist_queries(admin_client)

    assert many == few


def test_the_check_in_action_goes_through_the_service(admin_client, clinic):
    appointment = AppointmentFactory(slot=clinic.slot())

    response = admin_client.post(
        "/admin/scheduling/appointment/",
        {"action": "check_in", "_selected_action": [appointment.id]},
    )

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert appointment.status == "checked-in"
    assert OutboxEvent.objects.filter(event_type="scheduling.AppointmentStatusChanged").count() == 1


def test_the_cancel_action_reports_a_refusal(admin_client, clinic):
    done = AppointmentFactory(slot=clinic.slot(), status="fulfilled")

    response = admin_client.post(
        "/admin/scheduling/appointment/",
        {"action": "cancel", "_selected_action": [done.id]},
        follow=True,
    )

    assert Appointment.objects.get(id=done.id).status == "fulfilled"
    assert b"cannot become cancelled" in response.content


def test_the_changelist_counts_exactly_up_to_a_limit_then_estimates(
    admin_client, clinic, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_UP_TO", 5)
    for hour in range(3):
        AppointmentFactory(slot=clinic.slot(hour=hour, days_ahead=3))

    few = admin_client.get("/admin/scheduling/appointment/").context["cl"]
    for hour in range(5):
        AppointmentFactory(slot=clinic.slot(hour=hour, days_ahead=4))
    many = admin_client.get("/admin/scheduling/appointment/").context["cl"]

    assert few.result_count == 3
    # Past the limit: the planner's estimate, never less than what was counted.
    assert many.result_count >= 6
    assert len(many.result_list) == 8
    starts = [appointment.start for appointment in many.result_list]
    assert starts == sorted(starts, reverse=True)
