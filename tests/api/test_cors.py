"""Patient apps in a browser may call the API from the origins CORS_ALLOWED_ORIGINS names."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.clinic.example"]


def _preflight(client, origin: str):
    return client.options(
        "/api/v1/auth/token/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,authorization",
    )


def test_an_allowed_origin_may_call_the_api(client, allowed):
    response = _preflight(client, "https://app.clinic.example")

    assert response["Access-Control-Allow-Origin"] == "https://app.clinic.example"
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_another_origin_gets_no_cors_grant(client, allowed):
    response = _preflight(client, "https://evil.example")

    assert "Access-Control-Allow-Origin" not in response
