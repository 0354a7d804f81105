"""Every API error is RFC 9457 application/problem+json with a stable code."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls")]


@pytest.fixture
def api():
    return APIClient()


def test_application_error_becomes_a_problem_with_its_code_and_field_errors(api):
    response = api.post("/test/problem/?conflict=1", {}, format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:healthportal:problem:slot_unavailable",
        "title": "The request conflicts with the current state",
        "status": 409,
        "detail": "The slot was taken meanwhile.",
        "code": "slot_unavailable",
        "errors": [{"field": "slot", "code": "slot_unavailable", "detail": "No capacity left."}],
    }


def test_validation_error_names_each_field_and_rule(api):
    response = api.post("/test/problem/", {"email": "nope", "slots": [3, 0]}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert body["code"] == "validation_error"
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("email", "invalid"),
        ("slots.1", "min_value"),
    }


def test_missing_authentication_is_a_401_problem(api):
    response = api.get("/test/private/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert "WWW-Authenticate" in response


def test_unparseable_body_is_a_400_problem(api):
    response = api.post("/test/problem/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unknown_method_is_a_405_problem(api):
    response = api.delete("/test/problem/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_unknown_api_url_is_a_problem_too(api):
    response = api.get("/api/v1/me/appointments/-5/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_an_unknown_page_elsewhere_is_djangos_own(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
