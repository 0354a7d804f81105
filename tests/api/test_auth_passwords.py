"""Password change and reset by emailed link: both sign every session out."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from apps.accounts.contracts import Role
from apps.core.models import OutboxEvent
from apps.core.problems import PROBLEM_CONTENT_TYPE
from tests.factories.accounts import PASSWORD, user_in_role

pytestmark = pytest.mark.django_db

CHANGE_URL = "/api/v1/auth/password/change/"
RESET_URL = "/api/v1/auth/password/reset/"
CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"
NEW_PASSWORD = "another-long-passphrase-7"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def sign_in(email: str, password: str):
    return APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


def refresh(token: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def password_events() -> list[dict]:
    return list(
        OutboxEvent.objects.filter(event_type="accounts.UserPasswordChanged").values_list(
            "payload", flat=True
        )
    )


# --- Change --------------------------------------------------------------------------------------


def test_a_patient_changes_their_password_and_every_session_ends(patient_a):
    first = sign_in(patient_a.email, PASSWORD).json()
    second = sign_in(patient_a.email, PASSWORD).json()

    response = bearer(first["access"]).post(
        CHANGE_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204
    assert refresh(first["refresh"]).status_code == 401
    assert refresh(second["refresh"]).status_code == 401
    assert sign_in(patient_a.email, PASSWORD).status_code == 401
    assert sign_in(patient_a.email, NEW_PASSWORD).status_code == 200
    assert password_events() == [{"user_id": patient_a.user_id, "reason": "change"}]


def test_a_wrong_old_password_changes_nothing(patient_a, api_a):
    response = api_a.post(
        CHANGE_URL, {"old_password": "not-the-password", "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "old_password_incorrect"
    assert [error["field"] for error in response.json()["errors"]] == ["old_password"]
    patient_a.user.refresh_from_db()
    assert patient_a.user.check_password(PASSWORD)
    assert password_events() == []


@pytest.mark.parametrize("weak", ["short", "password123456", "12345678901234"])
def test_a_weak_new_password_is_refused_naming_the_field(patient_a, api_a, weak):
    response = api_a.post(CHANGE_URL, {"old_password": PASSWORD, "new_password": weak})

    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"new_password"}
    patient_a.user.refresh_from_db()
    assert patient_a.user.check_password(PASSWORD)


def test_changing_the_password_needs_a_patient_token():
    response = APIClient().post(
        CHANGE_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 401


# --- Reset ---------------------------------------------------------------------------------------


def reset_link_params() -> dict[str, str]:
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if "/reset-password?" in word)
    assert link.startswith("http://localhost:3000/reset-password?")
    return {key: values[0] for key, values in parse_qs(urlparse(link).query).items()}


def test_the_reset_flow_end_to_end(patient_a):
    old_session = sign_in(patient_a.email, PASSWORD).json()

    asked = APIClient().post(RESET_URL, {"email": patient_a.email.upper()}, format="json")

    assert asked.status_code == 202
    assert mail.outbox[0].to == [patient_a.user.email]
    params = reset_link_params()
    confirmed = APIClient().post(
        CONFIRM_URL, {**params, "new_password": NEW_PASSWORD}, format="json"
    )
    assert confirmed.status_code == 204
    assert sign_in(patient_a.email, NEW_PASSWORD).status_code == 200
    assert refresh(old_session["refresh"]).status_code == 401
    assert password_events() == [{"user_id": patient_a.user_id, "reason": "reset"}]
    # The link is single use: the new password invalidates its token.
    again = APIClient().post(CONFIRM_URL, {**params, "new_password": "yet-another-pass-99"})
    assert again.status_code == 400
    assert again.json()["code"] == "reset_link_invalid"


@pytest.mark.parametrize(
    "email_of",
    [
        lambda: "nobody@example.test",
        lambda: user_in_role(Role.CLINICIAN).email,
        lambda: user_in_role(Role.PATIENT, is_active=False).email,
    ],
    ids=["unknown", "staff", "inactive-patient-login"],
)
def test_reset_answers_alike_and_sends_nothing_for_other_addresses(patient_a, email_of):
    email = email_of()

    response = APIClient().post(RESET_URL, {"email": email}, format="json")
    patient_response = APIClient().post(RESET_URL, {"email": patient_a.email}, format="json")

    assert response.status_code == patient_response.status_code == 202
    assert response.json() == patient_response.json()
    assert [message.to for message in mail.outbox] == [[patient_a.user.email]]


def test_reset_names_an_invalid_email_field():
    response = APIClient().post(RESET_URL, {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["email"]
    assert mail.outbox == []


def _reset_params(user, *, token: str | None = None) -> dict[str, str]:
    return {
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": token or default_token_generator.make_token(user),
    }


@pytest.mark.parametrize(
    "tamper",
    [
        lambda params: {**params, "token": params["token"][:-1] + "x"},
        lambda params: {**params, "uid": "!!!"},
        lambda params: {**params, "uid": "OTk5OTk5OTk"},  # a user that does not exist
    ],
    ids=["token", "garbled-uid", "unknown-uid"],
)
def test_a_tampered_reset_link_is_refused(patient_a, tamper):
    params = tamper(_reset_params(patient_a.user))

    response = APIClient().post(CONFIRM_URL, {**params, "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "reset_link_invalid"
    patient_a.user.refresh_from_db()
    assert patient_a.user.check_password(PASSWORD)


def test_an_expired_reset_link_is_refused(patient_a, settings):
    # Minted as if issued just over PASSWORD_RESET_TIMEOUT ago (no clock mocking needed).
    generator = default_token_generator
    issued = generator._num_seconds(generator._now()) - settings.PASSWORD_RESET_TIMEOUT - 60
    token = generator._make_token_with_timestamp(patient_a.user, issued, generator.secret)

    response = APIClient().post(
        CONFIRM_URL, {**_reset_params(patient_a.user, token=token), "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "reset_link_invalid"


def test_a_weak_password_through_a_valid_link_names_the_field_and_keeps_the_link(patient_a):
    params = _reset_params(patient_a.user)

    weak = APIClient().post(CONFIRM_URL, {**params, "new_password": "short"})

    assert weak.status_code == 400
    assert [error["field"] for error in weak.json()["errors"]] == ["new_password"]
    strong = APIClient().post(CONFIRM_URL, {**params, "new_password": NEW_PASSWORD})
    assert strong.status_code == 204


def test_reset_requests_are_throttled(patient_a, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"auth": "10/minute", "password_reset": "2/hour"}
    )

    statuses = [
        APIClient().post(RESET_URL, {"email": patient_a.email}).status_code for _ in range(3)
    ]

    assert statuses == [202, 202, 429]
    assert len(mail.outbox) == 2
