"""OpenAPI descriptions of the RFC 9457 problem responses every API view answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Inlined rather than a named component: one shape, described beside each operation.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "example": "urn:healthportal:problem:validation_error"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}


def problem(
    status: int, description: str, cases: Mapping[str, str]
) -> dict[tuple[int, str], OpenApiResponse]:
    """One problem response for @extend_schema(responses=...): `cases` maps each problem code
    this status may carry to its detail, and each becomes an example."""
    return {
        (status, PROBLEM_MEDIA_TYPE): OpenApiResponse(
            response=PROBLEM_SCHEMA,
            description=description,
            examples=[
                OpenApiExample(
                    f"{status} {code}",
                    value={
                        "type": f"urn:healthportal:problem:{code}",
                        "title": description,
                        "status": status,
                        "detail": detail,
                        "code": code,
                    },
                    response_only=True,
                    status_codes=[str(status)],
                )
                for code, detail in cases.items()
            ],
        )
    }


DESCRIPTIONS = {
    400: "Invalid input; `errors` names each field and the rule it breaks.",
    401: "No valid access token.",
    403: "Not a patient token, or the action is not allowed for this patient.",
    404: "No such object for this patient.",
    409: "The request conflicts with the current state; `code` says how.",
}


def problems(
    *statuses: int, codes: dict[int, str] | None = None
) -> dict[tuple[int, str], OpenApiResponse]:
    """problem() for several statuses with a generic description each; `codes` lists the
    stable codes to expect per status ("slot_unavailable, patient_overlap")."""
    responses: dict[tuple[int, str], OpenApiResponse] = {}
    for status in statuses:
        listed = (codes or {}).get(status)
        names = [code.strip() for code in listed.split(",")] if listed else [DEFAULT_CODES[status]]
        description = DESCRIPTIONS[status] + (f" Codes: {listed}." if listed else "")
        responses |= problem(status, description, dict.fromkeys(names, DESCRIPTIONS[status]))
    return responses


DEFAULT_CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    409: "conflict",
}


def document_invalid_page(result: dict, generator: object, request: object, public: bool) -> dict:
    """drf-spectacular postprocessing hook: every paginated list may answer 404 for a page
    past its end (DRF's "Invalid page."), so the schema says so once for all of them."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            if any(p.get("name") == "page" and p.get("in") == "query" for p in parameters):
                operation["responses"].setdefault(
                    "404",
                    {
                        "description": "No such page of the list.",
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
                    },
                )
    return result
