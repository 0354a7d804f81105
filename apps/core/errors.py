"""The ApplicationError family: what a service raises when a request cannot be honoured.

Plain Python (no Django), so apps' contracts.py may subclass these for their public exceptions.
The API layer renders them as RFC 9457 problem details (apps.core.problems).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ApplicationError(Exception):
    """A refusal with a stable machine-readable `code` and a human `detail`."""

    status: int = 400
    code: str = "invalid_request"
    title: str = "The request cannot be processed"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        field_errors: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.field_errors = {
            field: list(messages) for field, messages in (field_errors or {}).items()
        }


class ValidationFailed(ApplicationError):
    status = 400
    code = "validation_error"
    title = "The request has invalid fields"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    title = "Not found"


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
    title = "Not allowed"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    title = "The request conflicts with the current state"
