"""GET/PUT /api/v1/me/notification-preferences/: the patient's own choices, by the token's
patient_id claim, served from the notifications database."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.contracts import Role
from apps.core.patient_api import PATIENT_ID_CLAIM
from extracted.notifications.models import Preference
from tests.extracted.notifications.conftest import BOTH, consume, contact
from tests.factories.accounts import user_in_role

pytestmark = pytest.mark.django_db(databases=BOTH)
URL = "/api/v1/me/notification-preferences/"


def _client(patient_id: int | None) -> APIClient:
    refresh = RefreshToken.for_user(user_in_role(Role.PATIENT if patient_id else Role.FRONT_DESK))
    if patient_id:
        refresh[PATIENT_ID_CLAIM] = patient_id
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    return client


def test_a_patient_who_never_chose_reads_the_defaults_and_their_consent():
    consume(contact(41, consent_sms=False))

    response = _client(41).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "email": True,
        "sms": True,
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "consent_email": True,
        "consent_sms": False,
    }


def test_put_replaces_the_callers_choices_and_no_one_elses():
    client_a = _client(41)
    Preference.objects.create(patient_id=42, sms_enabled=True)

    response = client_a.put(
        URL,
        {"email": True, "sms": False, "quiet_hours_start": "21:00", "quiet_hours_end": "07:30"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["quiet_hours_end"] == "07:30"
    mine = Preference.objects.get(pk=41)
    assert (mine.sms_enabled, str(mine.quiet_hours_start)) == (False, "21:00:00")
    assert Preference.objects.get(pk=42).sms_enabled is True
    assert _client(42).get(URL).json()["sms"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quiet_hours_start": "21:00", "quiet_hours_end": None}, "quiet_hours_end"),
        ({"quiet_hours_start": None, "quiet_hours_end": "08:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "08:00", "quiet_hours_end": "08:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "08:00"}, "quiet_hours_start"),
    ],
)
def test_bad_quiet_hours_are_refused_naming_the_field_and_nothing_changes(body, field):
    response = _client(41).put(URL, {"email": False, "sms": False, **body}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Preference.objects.filter(pk=41).exists()


def test_only_patient_tokens_may_use_it():
    assert APIClient().get(URL).status_code == 401
    assert _client(None).get(URL).status_code == 403
