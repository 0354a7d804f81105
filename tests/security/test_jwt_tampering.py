"""Forged, altered, stale and misused JWTs are refused with 401 problem+json.

Each case starts from a token the token endpoint would issue to patient A and breaks one
thing; the API must refuse it before anything of A (or of B, whose id a forger would write
into the claims) is read.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from apps.core.patient_api import PATIENT_ID_CLAIM
from tests.security.conftest import World

pytestmark = [
    pytest.mark.security,
    pytest.mark.django_db,
    # The forged HS512 token is signed with the test settings' short key on purpose.
    pytest.mark.filterwarnings("ignore:The HMAC key is"),
]

ME = "/api/v1/me/"
REFRESH = "/api/v1/auth/token/refresh/"


def _segments(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return _decode(header), _decode(payload), signature


def _decode(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _encode(part: dict) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _with_claims(token: str, **claims: object) -> str:
    """The token with some claims changed and the original signature kept."""
    header, payload, signature = _segments(token)
    return f"{_encode(header)}.{_encode({**payload, **claims})}.{signature}"


def alg_none(world: World) -> str:
    _, payload, _ = _segments(world.a.access_token())
    return f"{_encode({'alg': 'none', 'typ': 'JWT'})}.{_encode(payload)}."


def signed_with_a_wrong_key(world: World) -> str:
    _, payload, _ = _segments(world.a.access_token())
    return jwt.encode(payload, "not-the-servers-key-" + "x" * 32, algorithm="HS256")


def signed_with_another_algorithm(world: World) -> str:
    """The server's own key, but HS512: only the configured algorithm is accepted."""
    _, payload, _ = _segments(world.a.access_token())
    return jwt.encode(payload, settings.SECRET_KEY, algorithm="HS512")


def patient_id_changed(world: World) -> str:
    return _with_claims(world.a.access_token(), **{PATIENT_ID_CLAIM: world.b.patient.id})


def user_id_changed(world: World) -> str:
    return _with_claims(world.a.access_token(), user_id=str(world.b.user.id))


def expiry_extended(world: World) -> str:
    later = int((timezone.now() + dt.timedelta(days=365)).timestamp())
    return _with_claims(world.a.access_token(), exp=later)


def expired(world: World) -> str:
    token = AccessToken.for_user(world.a.user)
    token[PATIENT_ID_CLAIM] = world.a.patient.id
    token.set_exp(from_time=timezone.now() - dt.timedelta(hours=1))
    return str(token)


def of_a_deactivated_user(world: World) -> str:
    token = world.a.access_token()
    world.a.user.is_active = False
    world.a.user.save(update_fields=["is_active"])
    return token


def a_refresh_token(world: World) -> str:
    return str(world.a.refresh_token())


def garbage(world: World) -> str:
    return "eyJhbGciOiJIUzI1NiJ9.not-json.nope"


ACCESS_CASES: dict[str, Callable[[World], str]] = {
    "alg none": alg_none,
    "HS256 with a wrong key": signed_with_a_wrong_key,
    "HS512 with the right key": signed_with_another_algorithm,
    "patient_id changed, old signature": patient_id_changed,
    "user_id changed, old signature": user_id_changed,
    "expiry extended, old signature": expiry_extended,
    "expired": expired,
    "user deactivated": of_a_deactivated_user,
    "refresh token used as access token": a_refresh_token,
    "not a JWT": garbage,
}


def assert_refused(response, world: World) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 401
    body = response.content.decode()
    assert world.a.leaked_in(body) == []
    assert world.b.leaked_in(body) == []


@pytest.mark.parametrize("case", sorted(ACCESS_CASES))
def test_a_tampered_or_misused_access_token_is_refused(world, case):
    token = ACCESS_CASES[case](world)

    response = Client().get(ME, headers={"Authorization": f"Bearer {token}"})

    assert_refused(response, world)


def test_the_untampered_token_is_accepted(world):
    """The control: the same request with the token as issued reads A's profile."""
    response = Client().get(ME, headers={"Authorization": f"Bearer {world.a.access_token()}"})

    assert response.status_code == 200
    assert response.json()["mrn"] == world.a.patient.mrn


def _refresh(token: str):
    return Client().post(REFRESH, {"refresh": token}, content_type="application/json")


def test_an_access_token_is_refused_at_the_refresh_endpoint(world):
    assert_refused(_refresh(world.a.access_token()), world)


def test_a_refresh_token_with_a_changed_patient_id_is_refused(world):
    forged = _with_claims(str(world.a.refresh_token()), **{PATIENT_ID_CLAIM: world.b.patient.id})

    assert_refused(_refresh(forged), world)


def test_a_refresh_token_is_single_use(world):
    """Rotation blacklists the refresh token it consumed: a replay (a stolen copy) fails."""
    original = str(world.a.refresh_token())
    rotated = _refresh(original)
    assert rotated.status_code == 200

    assert_refused(_refresh(original), world)
    assert _refresh(rotated.json()["refresh"]).status_code == 200


def test_a_deactivated_users_refresh_token_is_refused(world):
    refresh = str(world.a.refresh_token())
    world.a.user.is_active = False
    world.a.user.save(update_fields=["is_active"])

    assert_refused(_refresh(refresh), world)
