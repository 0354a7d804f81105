"""The redacting log filter and the Sentry hooks: no token, query string, email, phone, request
dump, local variable or PHI field leaves the process."""

from __future__ import annotations

import importlib
import json
import logging
import sys

import pytest
from django.test import RequestFactory

from apps.core.redaction import (
    RedactingFilter,
    redact,
    sentry_before_breadcrumb,
    sentry_before_send,
)

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0MiwicGF0aWVudF9pZCI6N30"
    ".Sf1KxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {JWT} refused", "token [jwt] refused"),
        ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer [token]"),
        ("GET /staff/patients/?q=Quixtonbury&page=2 200", "GET /staff/patients/?[redacted] 200"),
        ("reset?uid=MQ&token=abc-123", "reset?[redacted]"),
        ("Key (email)=(ana.garcia+x@example.test) exists", "Key (email)=([email]) exists"),
        ("sms to +1 555 013 4477 failed", "sms to [phone] failed"),
        ("sms to +34600111222 failed", "sms to [phone] failed"),
        ("call (555) 013-4477 now", "call [phone] now"),
        ("call 555-013-4477 now", "call [phone] now"),
    ],
)
def test_redact_removes_tokens_queries_emails_and_phones(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "outbox event 1234 (scheduling.AppointmentBooked) failed attempt 3",
        "sweep at 2026-12-03 18:41:09 took 0.25 s",
        "Not Found: /staff/patients/42/",
        "why? because",
    ],
)
def test_redact_leaves_ordinary_operational_text_alone(text):
    assert redact(text) == text


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, msg, args or None, None)
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_the_filter_formats_and_redacts_the_message_and_drops_the_args():
    record = _record("sign-in of %s with %s from %s", "ana@example.test", JWT, 42)

    assert RedactingFilter().filter(record) is True

    assert record.getMessage() == "sign-in of [email] with [jwt] from 42"
    assert record.args == ()


def test_the_filter_reduces_a_request_to_its_method_and_path():
    request = RequestFactory().get("/staff/patients/", {"q": "Quixtonbury"})
    record = _record("handled %s", request, request=request, status_code=200)

    RedactingFilter().filter(record)

    assert record.getMessage() == "handled <GET /staff/patients/>"
    assert record.request == "<GET /staff/patients/>"
    assert record.status_code == 200


def test_the_filter_redacts_extra_fields_and_the_traceback():
    try:
        raise ValueError("duplicate phone +15550134477")
    except ValueError:
        record = logging.LogRecord(
            "test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    record.detail = "for ana@example.test"

    RedactingFilter().filter(record)

    assert record.detail == "for [email]"
    assert "+15550134477" not in record.exc_text
    assert "[phone]" in record.exc_text


def test_the_filter_is_on_the_projects_handler_and_its_json_output_is_clean():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    record = _record("GET %s", "/api/v1/me/?email=ana@example.test", user_email="a@b.example")

    assert all(f.filter(record) for f in handler.filters)
    line = json.loads(handler.format(record))

    assert line["message"] == "GET /api/v1/me/?[redacted]"
    assert line["user_email"] == "[email]"


def test_a_mapping_argument_is_formatted_and_redacted():
    record = logging.LogRecord(
        "test", logging.INFO, __file__, 1, "to %(to)s", ({"to": "+1 555 013 4477"},), None
    )

    RedactingFilter().filter(record)

    assert record.getMessage() == "to [phone]"


# --- Sentry -------------------------------------------------------------------------------------


def _event() -> dict:
    return {
        "message": "lookup for ana@example.test",
        "request": {
            "method": "POST",
            "url": "https://portal.example.org/api/v1/auth/token/?email=ana@example.test",
            "query_string": "email=ana@example.test",
            "data": {"email": "ana@example.test", "password": "secret-password"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Authorization": f"Bearer {JWT}", "User-Agent": "x"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": "42", "email": "ana@example.test", "ip_address": "203.0.113.9"},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": "Key (phone)=(+15550134477) already exists.",
                    "stacktrace": {
                        "frames": [{"function": "save", "vars": {"family_name": "Quixtonbury"}}]
                    },
                }
            ]
        },
        "logentry": {"message": "patient %s", "params": ["Quixtonbury <q@example.test>"]},
        "extra": {"family_name": "Quixtonbury", "birth_date": "1983-07-19", "count": 3},
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": "SELECT * FROM patients WHERE email = %s",
                    "data": {"params": ["ana@example.test"]},
                },
                {"category": "httplib", "data": {"url": "https://sms.example/send?to=%2B1555"}},
            ]
        },
    }


def test_before_send_strips_the_request_to_method_and_path():
    event = sentry_before_send(_event(), None)

    assert event["request"] == {
        "method": "POST",
        "url": "https://portal.example.org/api/v1/auth/token/",
    }


def test_before_send_keeps_only_the_user_id():
    assert sentry_before_send(_event(), None)["user"] == {"id": "42"}


def test_before_send_redacts_exceptions_messages_and_drops_local_variables():
    event = sentry_before_send(_event(), None)

    exception = event["exception"]["values"][0]
    assert exception["value"] == "Key (phone)=([phone]) already exists."
    assert "vars" not in exception["stacktrace"]["frames"][0]
    assert event["message"] == "lookup for [email]"
    assert event["logentry"] == {"message": "patient Quixtonbury <[email]>", "params": []}


def test_before_send_filters_phi_fields_and_breadcrumbs():
    event = sentry_before_send(_event(), None)

    assert event["extra"] == {"family_name": "[redacted]", "birth_date": "[redacted]", "count": 3}
    query, http = event["breadcrumbs"]["values"]
    assert "params" not in query["data"]
    assert http["data"]["url"] == "https://sms.example/send"


def test_nothing_sensitive_is_left_anywhere_in_the_event():
    text = json.dumps(sentry_before_send(_event(), None))

    for secret in (
        "ana@example.test",
        "secret-password",
        "sessionid",
        "eyJ",
        "+15550134477",
        "1983-07-19",
        "203.0.113.9",
        "Authorization",
    ):
        assert secret not in text


def test_before_breadcrumb_redacts_a_log_breadcrumb():
    request = RequestFactory().get("/staff/patients/", {"q": "x"})
    crumb = {
        "category": "django.request",
        "message": "Not Found: /api/v1/x/?token=abc",
        "data": {"request": request, "email": "ana@example.test"},
    }

    result = sentry_before_breadcrumb(crumb, None)

    assert result["message"] == "Not Found: /api/v1/x/?[redacted]"
    assert result["data"] == {"request": "<GET /staff/patients/>", "email": "[redacted]"}


def test_sentry_is_initialised_with_the_hooks_and_without_pii(monkeypatch):
    import sentry_sdk

    # given: the options the settings pass when a DSN is set
    captured: dict = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: captured.update(options))
    monkeypatch.setenv("SENTRY_DSN", "https://key@sentry.example/1")
    from healthportal.settings import base

    importlib.reload(base)
    monkeypatch.delenv("SENTRY_DSN")
    importlib.reload(base)

    assert captured["send_default_pii"] is False
    assert captured["include_local_variables"] is False
    assert captured["max_request_body_size"] == "never"
    assert captured["before_send"] is sentry_before_send
    assert captured["before_breadcrumb"] is sentry_before_breadcrumb


def test_sql_statements_and_their_parameters_never_log():
    # django.db.backends logs every statement with its parameters at DEBUG only
    assert logging.getLogger("django.db.backends").getEffectiveLevel() >= logging.INFO
    # and a root logger at DEBUG does not change that
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        assert not logging.getLogger("django.db.backends").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(level)


def test_every_handler_of_the_project_redacts(settings):
    # every handler the settings define is configured with the filter...
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    # ...and the live ones have it (the root's, and django.server's, which does not propagate)
    # (pytest adds capturing handlers of its own, without names)
    live = [
        handler
        for logger in (logging.getLogger(), logging.getLogger("django.server"))
        for handler in logger.handlers
        if handler.get_name() in settings.LOGGING["handlers"]
    ]
    assert len(live) == 2
    for handler in live:
        assert any(isinstance(f, RedactingFilter) for f in handler.filters), handler
    # Django's own handlers (console when DEBUG, mail to ADMINS) no longer write first
    assert logging.getLogger("django").handlers == []
