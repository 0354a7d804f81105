"""RFC 9457 problem details for every API error: ApplicationError and DRF's own exceptions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.errors import ApplicationError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_type(code: str) -> str:
    return f"urn:healthportal:problem:{code}"


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _flatten_field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested {field: [ErrorDetail]} becomes [{field: "a.b", code, detail}]."""
    if isinstance(detail, dict):
        flat: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else str(key)
            flat.extend(_flatten_field_errors(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, list):
        flat = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                flat.extend(
                    _flatten_field_errors(value, f"{prefix}.{index}" if prefix else str(index))
                )
            else:
                flat.extend(_flatten_field_errors(value, prefix))
        return flat
    return [
        {
            "field": prefix or "non_field_errors",
            "code": getattr(detail, "code", "invalid"),
            "detail": str(detail),
        }
    ]


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every handled error leaves as application/problem+json."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        errors = [
            {"field": field, "code": exc.code, "detail": message}
            for field, messages in exc.field_errors.items()
            for message in messages
        ]
        return problem_response(
            status=exc.status, code=exc.code, title=exc.title, detail=exc.detail, errors=errors
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return None  # a bug: let Django log it and answer 500

    set_rollback()
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, drf_exceptions.ValidationError):
        return problem_response(
            status=exc.status_code,
            code="validation_error",
            title="The request has invalid fields",
            detail="One or more fields are invalid.",
            errors=_flatten_field_errors(exc.detail),
            headers=headers,
        )
    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt's {"detail", "code", "messages"}
        code = str(detail.get("code") or exc.default_code)
        text = str(detail.get("detail") or exc.default_detail)
    else:
        code = str(getattr(detail, "code", None) or exc.default_code)
        text = str(detail)
    return problem_response(
        status=exc.status_code,
        code=code,
        title=str(exc.default_detail),
        detail=text,
        headers=headers,
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an unknown URL under /api/ is a problem+json 404 like every other API error;
    elsewhere Django's own page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": problem_type("not_found"),
                "title": "Not found",
                "status": 404,
                "detail": "No such resource.",
                "code": "not_found",
            },
            status=404,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    return defaults.page_not_found(request, exception)
