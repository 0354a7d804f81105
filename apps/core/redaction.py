"""What leaves the process in logs and error reports carries no PHI, tokens or query strings.

`RedactingFilter` is installed on every logging handler (settings.LOGGING); the Sentry hooks
are passed to sentry_sdk.init. Both rely on the same rule: we never log names, birth dates or
free text on purpose, and this is the net for what libraries log on their own (a URL with a
search term, an email in an integrity error, a bearer token in a header dump).

This module is imported by the settings: it must not import models or DRF.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

REDACTED = "[redacted]"

# Order matters: a JWT or an email inside a query string goes with the query string.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A JSON Web Token (header.payload.signature, base64url; every JWT header starts "eyJ").
    (re.compile(r"eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}"), "[jwt]"),
    # Any other bearer credential in a header dump.
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [token]"),
    # The query string of a URL or path: search terms, reset tokens, emails typed in a filter.
    (re.compile(r"(?<=[\w/])\?[^\s\"'<>]+"), "?" + REDACTED),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # Phone numbers: international (+ and 7 to 15 digits, with separators) and North American.
    (re.compile(r"\+\d[\d\s().-]{5,18}\d"), "[phone]"),
    (re.compile(r"(?<!\d)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"), "[phone]"),
)

# Keys whose values are PHI or secrets wherever they appear in an error report's data.
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "new_password",
        "old_password",
        "token",
        "access",
        "refresh",
        "authorization",
        "cookie",
        "cookies",
        "set-cookie",
        "x-csrftoken",
        "csrfmiddlewaretoken",
        "sessionid",
        "secret",
        "email",
        "phone",
        "family_name",
        "given_name",
        "display_name",
        "birth_date",
        "address",
        "notes",
        "note",
        "reason",
        "description",
        "q",
        "query_string",
    }
)


def redact(text: str) -> str:
    """`text` without JWTs, bearer tokens, query strings, email addresses and phone numbers."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _is_request(value: object) -> bool:
    return isinstance(value, HttpRequest) or isinstance(
        getattr(value, "_request", None), HttpRequest
    )


def _request_summary(request: Any) -> str:
    """A request as a log may name it: method and path, never its query, headers or body."""
    return f"<{request.method} {redact(request.path)}>"


def _safe_arg(value: object) -> object:
    if _is_request(value):
        return _request_summary(value)
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact(str(value))


# The attributes every LogRecord has; anything else came in through `extra=` and a JSON
# formatter would write it out.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Rewrites each record before any handler writes it: the message formatted and redacted
    (arguments are dropped, so no handler formats them again), request objects reduced to
    method and path, `extra` strings and the traceback redacted. It never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True  # a record passes every handler; the first one did the work
        args = record.args
        if isinstance(args, Mapping):
            safe_args: Any = {key: _safe_arg(value) for key, value in args.items()}
        elif args:
            safe_args = tuple(_safe_arg(value) for value in args)
        else:
            safe_args = args
        try:
            message = str(record.msg) % safe_args if safe_args else str(record.msg)
        except (TypeError, ValueError, KeyError):
            message = f"{record.msg} {safe_args}"
        record.msg = redact(message)
        record.args = ()
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRIBUTES or name.startswith("_"):
                continue
            if _is_request(value):
                setattr(record, name, _request_summary(value))
            elif isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._redacted = True
        return True


# --- Sentry -----------------------------------------------------------------------------------


def _scrub(value: Any) -> Any:
    """Sensitive keys filtered, every string redacted, all the way down."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if str(key).lower() in SENSITIVE_KEYS else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    if _is_request(value):
        return _request_summary(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return redact(repr(value))


def _frames_without_locals(event: dict[str, Any]) -> None:
    for key in ("exception", "threads"):
        for entry in (event.get(key) or {}).get("values") or []:
            for frame in (entry.get("stacktrace") or {}).get("frames") or []:
                frame.pop("vars", None)


def _logentry_redacted(logentry: dict[str, Any]) -> dict[str, Any]:
    """The log message formatted with its parameters, redacted; no parameters left to send."""
    formatted = logentry.get("formatted") or logentry.get("message") or ""
    params = logentry.get("params") or ()
    if params and not logentry.get("formatted"):
        try:
            formatted = str(formatted) % tuple(params)
        except (TypeError, ValueError):
            formatted = f"{formatted} {params}"
    return {"message": redact(str(formatted)), "params": []}


def sentry_before_send(event: dict[str, Any], hint: dict[str, Any] | None) -> dict[str, Any]:
    """An error report without request bodies, cookies, headers, query strings, user details,
    local variables or PHI fields; messages and exception texts redacted."""
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {
            "method": request.get("method"),
            "url": redact(str(request.get("url", ""))).split("?", 1)[0],
        }
    user = event.get("user")
    if isinstance(user, dict):
        # The id alone lets an engineer find the account; email, name and IP are not sent.
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
    _frames_without_locals(event)
    if isinstance(event.get("logentry"), dict):
        event["logentry"] = _logentry_redacted(event["logentry"])
    if isinstance(event.get("message"), str):
        event["message"] = redact(event["message"])
    for key in ("extra", "contexts", "tags"):
        if key in event:
            event[key] = _scrub(event[key])
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and isinstance(breadcrumbs.get("values"), list):
        crumbs = (sentry_before_breadcrumb(crumb, None) for crumb in breadcrumbs["values"])
        breadcrumbs["values"] = [crumb for crumb in crumbs if crumb is not None]
    return event


def sentry_before_breadcrumb(
    crumb: dict[str, Any], hint: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A breadcrumb with its message redacted and its data scrubbed; SQL keeps its statement
    (placeholders only) but never its parameters."""
    if isinstance(crumb.get("message"), str):
        crumb["message"] = redact(crumb["message"])
    data = crumb.get("data")
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if key not in ("params", "query_params")}
        if isinstance(data.get("url"), str):
            data["url"] = redact(data["url"]).split("?", 1)[0]
        data.pop("http.query", None)
        crumb["data"] = _scrub(data)
    return crumb
