"""Logs are JSON lines, and every line of a request carries its request id."""

from __future__ import annotations

import io
import json
import logging

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls")]


@pytest.fixture
def console_output():
    """Captures what the project's console handler writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _ours(buffer: io.StringIO) -> list[dict]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line["name"] == "healthportal.test"]


def test_a_request_line_is_json_with_a_generated_request_id(client, console_output):
    response = client.get("/test/log/")

    (line,) = _ours(console_output)
    assert line["message"] == "handled a test request"
    assert line["level"] == "INFO"
    assert len(response["X-Request-ID"]) == 32
    assert line["request_id"] == response["X-Request-ID"]


def test_a_request_id_given_by_the_proxy_is_kept(client, console_output):
    given = "3f2b8c1d9e4a4b6f8a7c5d3e1f0a2b4c"

    response = client.get("/test/log/", HTTP_X_REQUEST_ID=given)

    (line,) = _ours(console_output)
    assert response["X-Request-ID"] == given
    assert line["request_id"] == given


def test_a_request_id_that_is_not_a_uuid_is_replaced(client, console_output):
    response = client.get("/test/log/", HTTP_X_REQUEST_ID="<script>forged\nline")

    (line,) = _ours(console_output)
    assert "forged" not in response["X-Request-ID"]
    assert line["request_id"] == response["X-Request-ID"]
