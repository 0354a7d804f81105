"""/staff/notifications/: failed messages for signed-in staff past the second factor."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.contracts import Role
from apps.audit.models import AccessRecord
from extracted.notifications.models import Message, Status
from tests.extracted.notifications.conftest import BOTH
from tests.factories.accounts import signed_in_admin, user_in_role

pytestmark = pytest.mark.django_db(databases=BOTH)
URL = "/staff/notifications/"


def test_staff_see_the_messages_that_failed_and_why():
    Message.objects.create(
        kind="confirmation", channel="sms", patient_id=77, appointment_id=900,
        status=Status.FAILED, reason="sms_http_400", attempts=1,
    )  # fmt: skip
    Message.objects.create(kind="confirmation", channel="email", patient_id=78, status="sent")
    client = signed_in_admin(Client(), user_in_role(Role.FRONT_DESK))

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "sms_http_400" in html
    assert 'href="/staff/patients/77/"' in html
    assert "/staff/patients/78/" not in html


def test_the_page_answers_with_a_constant_number_of_queries():
    client = signed_in_admin(Client(), user_in_role(Role.CLINICIAN))
    for patient_id in range(30):
        Message.objects.create(
            kind="cancellation", channel="email", patient_id=patient_id, status=Status.FAILED
        )

    def count() -> int:
        with CaptureQueriesContext(connections["notifications"]) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    few = count()
    Message.objects.bulk_create(
        Message(kind="cancellation", channel="sms", patient_id=n, status=Status.FAILED)
        for n in range(30)
    )
    assert count() == few


def test_a_signed_out_visitor_is_sent_to_sign_in():
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/staff/notifications/"


def test_a_password_without_the_second_factor_is_not_enough():
    client = Client()
    client.force_login(user_in_role(Role.ADMIN))

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_a_patient_account_is_refused():
    client = signed_in_admin(Client(), user_in_role(Role.PATIENT))

    response = client.get(URL)

    assert response.status_code == 403


def test_the_patients_the_page_names_are_recorded_in_the_access_log():
    failed = Message.objects.create(
        kind="confirmation", channel="sms", patient_id=77, status=Status.FAILED
    )
    Message.objects.create(kind="confirmation", channel="email", patient_id=78, status="sent")
    user = user_in_role(Role.FRONT_DESK)
    client = signed_in_admin(Client(), user)

    with CaptureQueriesContext(connections["default"]) as queries:
        assert client.get(URL).status_code == 200

    inserts = [q for q in queries.captured_queries if "audit_accessrecord" in q["sql"]]
    assert len(inserts) == 1
    [row] = AccessRecord.objects.all()
    assert (row.user_id, row.actor_role, row.patient_id) == (user.id, "front_desk", 77)
    assert (row.resource_type, row.resource_id, row.purpose) == (
        "notification_message",
        str(failed.id),
        "administration",
    )
