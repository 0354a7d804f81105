"""The API documents itself: OpenAPI 3 schema, Swagger UI and ReDoc, offline, no inline code."""

from __future__ import annotations

import re

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_openapi_3_with_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/me/appointments/",
        "/api/v1/slots/",
    ):
        assert path in schema["paths"], path


def test_every_operation_documents_its_responses_and_errors(schema):
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            successes = [code for code in responses if code.startswith("2")]
            problems = [
                code
                for code, response in responses.items()
                if "application/problem+json" in response.get("content", {})
            ]
            if not successes or not problems:
                undocumented.append(f"{method.upper()} {path}")

    assert undocumented == []


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_pages_have_no_inline_code_and_fetch_nothing_outside(client, page):
    response = client.get(page)
    html = response.content.decode()

    assert response.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html
    assert not re.search(r"(src|href)=\"https?://", html), "a resource from outside"


def test_every_operation_has_examples(schema):
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            if body and not any(content.get("examples") for content in body.values()):
                missing.append(f"{method.upper()} {path} request")
            responses = operation.get("responses", {}).values()
            if not any(c.get("examples") for r in responses for c in r.get("content", {}).values()):
                missing.append(f"{method.upper()} {path} responses")

    assert missing == []
