"""POST /api/v1/auth/token/: patients sign in; staff are sent away; lockout and throttling."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.db.models import F
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.contracts import Role
from apps.core.patient_api import PATIENT_ID_CLAIM
from apps.core.problems import PROBLEM_CONTENT_TYPE
from tests.factories.accounts import PASSWORD, user_in_role

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache, which outlives each test's database rollback."""
    cache.clear()
    yield
    cache.clear()


def sign_in(email: str, password: str = PASSWORD, client: APIClient | None = None):
    return (client or APIClient()).post(
        TOKEN_URL, {"email": email, "password": password}, format="json"
    )


def test_a_patient_gets_tokens_whose_access_token_names_their_record(patient_a):
    response = sign_in(patient_a.email)

    assert response.status_code == 200
    access = AccessToken(response.json()["access"])
    assert access[PATIENT_ID_CLAIM] == patient_a.id
    assert access["exp"] - access["iat"] == 600  # SIMPLE_JWT's 10 minutes
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.get("/api/v1/me/").json()["mrn"] == patient_a.mrn


def test_the_email_is_matched_whatever_its_case_and_surrounding_space(patient_a):
    response = sign_in(f"  {patient_a.email.upper()} ")

    assert response.status_code == 200


def test_a_stale_authorization_header_does_not_block_signing_in(patient_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert sign_in(patient_a.email, client=client).status_code == 200


def test_a_patient_waiting_for_review_may_sign_in(make_patient):
    patient = make_patient(review_status="pending")

    response = sign_in(patient.email)

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])[PATIENT_ID_CLAIM] == patient.id


@pytest.mark.parametrize("known_email", [True, False], ids=["wrong-password", "unknown-email"])
def test_bad_credentials_get_one_answer_whether_or_not_the_email_exists(patient_a, known_email):
    email = patient_a.email if known_email else "nobody@example.test"

    response = sign_in(email, "not-the-password-at-all")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert body["detail"] == "The email or password is not correct."
    assert "access" not in body


def test_missing_fields_are_named():
    response = APIClient().post(TOKEN_URL, {"email": "a@example.test"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert [error["field"] for error in response.json()["errors"]] == ["password"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK])
def test_staff_with_correct_credentials_are_sent_to_the_staff_portal(role):
    staff = user_in_role(role)

    response = sign_in(staff.email)

    assert response.status_code == 403
    assert response.json()["code"] == "staff_use_portal"
    assert response.json()["detail"] == "Staff sign in at the staff portal."


def test_a_patient_login_that_is_also_staff_is_refused(patient_a):
    patient_a.user.groups.add(*user_in_role(Role.CLINICIAN).groups.all())

    assert sign_in(patient_a.email).json()["code"] == "staff_use_portal"


def test_a_patient_role_login_without_a_record_is_refused():
    user = user_in_role(Role.PATIENT)

    response = sign_in(user.email)

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_patient_account"


def test_a_login_of_a_deactivated_record_is_refused(make_patient):
    patient = make_patient(active=False)

    assert sign_in(patient.email).json()["code"] == "not_a_patient_account"


def test_a_deactivated_login_gets_the_bad_credentials_answer(patient_a):
    patient_a.user.is_active = False
    patient_a.user.save(update_fields=["is_active"])

    response = sign_in(patient_a.email)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_five_failures_lock_the_login_out_until_the_cool_off_has_passed(patient_a, patient_b):
    statuses = [sign_in(patient_a.email, "wrong-password-x").status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 401, 429]
    locked = sign_in(patient_a.email)  # even the right password
    assert locked.status_code == 429
    assert locked["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert locked.json()["code"] == "login_locked"
    assert "access" not in locked.json()
    # The lockout is per email and IP: another patient at the same address is not locked.
    assert sign_in(patient_b.email).status_code == 200

    # The cool-off (15 minutes) passes.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))

    assert sign_in(patient_a.email).status_code == 200


def test_a_lockout_counts_spellings_of_one_email_together(patient_a):
    for spelling in [patient_a.email, patient_a.email.upper(), f" {patient_a.email} "] * 2:
        sign_in(spelling, "wrong-password-x")

    assert sign_in(patient_a.email).json()["code"] == "login_locked"


def test_a_successful_sign_in_clears_earlier_failures(patient_a):
    for _ in range(4):
        sign_in(patient_a.email, "wrong-password-x")
    assert sign_in(patient_a.email).status_code == 200

    statuses = [sign_in(patient_a.email, "wrong-password-x").status_code for _ in range(4)]

    assert statuses == [401] * 4
    assert sign_in(patient_a.email).status_code == 200


def test_sign_ins_are_throttled_per_client(patient_a, monkeypatch):
    # DRF binds the rates to the throttle class when it is imported, so override them there.
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/minute", "password_reset": "5/hour"}
    )

    statuses = [sign_in(patient_a.email).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    throttled = sign_in(patient_a.email)
    assert throttled["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
