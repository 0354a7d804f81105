"""Refresh rotation, logout, and tampered or stale tokens: every bad token is a 401."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.core.patient_api import PATIENT_ID_CLAIM
from apps.core.problems import PROBLEM_CONTENT_TYPE
from tests.api.conftest import access_token_for, client_for
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def tokens_for(patient) -> dict[str, str]:
    """A pair as the token endpoint issues it (through the endpoint itself)."""
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": patient.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def refresh(token: str):
    return APIClient().post(REFRESH_URL, {"refresh": token}, format="json")


def me_with(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME_URL)


def assert_unauthorised(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert "mrn" not in response.json()


# --- Refresh -------------------------------------------------------------------------------------


def test_refresh_rotates_and_the_new_access_token_keeps_the_patient_claim(patient_a):
    old = tokens_for(patient_a)

    response = refresh(old["refresh"])

    assert response.status_code == 200
    new = response.json()
    assert new["refresh"] != old["refresh"]
    assert AccessToken(new["access"])[PATIENT_ID_CLAIM] == patient_a.id
    assert me_with(new["access"]).json()["mrn"] == patient_a.mrn
    assert refresh(new["refresh"]).status_code == 200  # the rotated token works once, too


def test_a_rotated_away_refresh_token_is_refused(patient_a):
    old = tokens_for(patient_a)
    assert refresh(old["refresh"]).status_code == 200

    response = refresh(old["refresh"])

    assert_unauthorised(response)
    assert response.json()["code"] == "token_not_valid"


def test_refresh_for_a_deactivated_login_is_refused(patient_a):
    pair = tokens_for(patient_a)
    patient_a.user.is_active = False
    patient_a.user.save(update_fields=["is_active"])

    response = refresh(pair["refresh"])

    assert_unauthorised(response)
    assert response.json()["code"] == "no_active_account"


def test_refresh_for_a_deactivated_patient_record_is_refused(patient_a):
    pair = tokens_for(patient_a)
    patient_a.active = False
    patient_a.save(update_fields=["active"])

    assert_unauthorised(refresh(pair["refresh"]))


def test_a_refresh_token_without_the_patient_claim_is_refused(patient_a):
    # Such a token was never issued by the patient endpoint (a staff or foreign token).
    assert_unauthorised(refresh(str(RefreshToken.for_user(patient_a.user))))


def test_an_access_token_is_not_a_refresh_token(patient_a):
    assert_unauthorised(refresh(tokens_for(patient_a)["access"]))


def test_refresh_needs_the_field():
    response = APIClient().post(REFRESH_URL, {}, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["refresh"]


# --- Tampered and stale access tokens ------------------------------------------------------------


def _claims(patient) -> dict:
    return dict(AccessToken(access_token_for(patient)).payload)


def test_a_valid_token_is_accepted(patient_a):
    # The control for the refusals below: the same claims, properly signed, pass.
    assert me_with(access_token_for(patient_a)).status_code == 200


def test_an_unsigned_alg_none_token_is_refused(patient_a):
    token = jwt.encode(_claims(patient_a), key=None, algorithm="none")

    assert_unauthorised(me_with(token))


def test_a_token_signed_with_another_key_is_refused(patient_a):
    token = jwt.encode(_claims(patient_a), "another-key-entirely-32-bytes-long!", algorithm="HS256")

    assert_unauthorised(me_with(token))


def test_a_token_whose_claims_were_edited_is_refused(patient_a, patient_b):
    header, _, signature = access_token_for(patient_a).split(".")
    forged_claims = {**_claims(patient_a), PATIENT_ID_CLAIM: patient_b.id}
    forged_payload = jwt.encode(forged_claims, settings.SECRET_KEY, algorithm="HS256").split(".")[1]

    assert_unauthorised(me_with(f"{header}.{forged_payload}.{signature}"))


def test_an_expired_token_is_refused(patient_a):
    access = RefreshToken.for_user(patient_a.user).access_token
    access[PATIENT_ID_CLAIM] = patient_a.id
    access.set_exp(from_time=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))

    response = me_with(str(access))

    assert_unauthorised(response)
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_is_not_an_access_token(patient_a):
    assert_unauthorised(me_with(tokens_for(patient_a)["refresh"]))


def test_the_token_of_a_deactivated_login_is_refused(patient_a):
    token = access_token_for(patient_a)
    patient_a.user.is_active = False
    patient_a.user.save(update_fields=["is_active"])

    assert_unauthorised(me_with(token))


# --- Logout --------------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(patient_a):
    pair = tokens_for(patient_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    response = client.post(LOGOUT_URL, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    assert_unauthorised(refresh(pair["refresh"]))


def test_logout_of_someone_elses_session_is_refused_and_leaves_it_alive(patient_a, patient_b):
    pair_b = tokens_for(patient_b)

    response = client_for(patient_a).post(LOGOUT_URL, {"refresh": pair_b["refresh"]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "refresh_token_invalid"
    assert [error["field"] for error in response.json()["errors"]] == ["refresh"]
    assert refresh(pair_b["refresh"]).status_code == 200


@pytest.mark.parametrize("token", ["garbage", ""], ids=["garbage", "blank"])
def test_logout_with_a_bad_refresh_token_names_the_field(api_a, token):
    response = api_a.post(LOGOUT_URL, {"refresh": token}, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["refresh"]


def test_logout_needs_an_access_token(patient_a):
    pair = tokens_for(patient_a)

    response = APIClient().post(LOGOUT_URL, {"refresh": pair["refresh"]}, format="json")

    assert_unauthorised(response)
    assert refresh(pair["refresh"]).status_code == 200
