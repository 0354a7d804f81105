"""Writes each request's PHI access records with one INSERT once the response is ready, and
records a patient's calls to /api/v1/me/ (their own record, purpose self) on the way out."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.audit import services
from apps.audit.contracts import Action, Outcome, Purpose
from apps.core.patient_api import CALLER_PATIENT_ATTRIBUTE

ACTIONS_BY_METHOD = {
    "GET": Action.READ,
    "HEAD": Action.READ,
    "POST": Action.CREATE,
    "PUT": Action.UPDATE,
    "PATCH": Action.UPDATE,
    "DELETE": Action.DELETE,
}
REFUSED = frozenset({401, 403, 404})


def _record_own_access(request: HttpRequest, response: HttpResponse) -> None:
    patient_id = getattr(request, CALLER_PATIENT_ATTRIBUTE, None)
    action = ACTIONS_BY_METHOD.get(request.method or "")
    if patient_id is None or action is None:
        return
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        services.actor_set(request, user_id=user.pk, actor_role="patient")
    match = request.resolver_match
    name = (match.url_name or "") if match else ""
    # "me" is the profile; "me-allergies" the allergies; "me-waitlist-entry" one entry.
    resource = name.removeprefix("me-") if name.startswith("me-") else "patient"
    resource_id = "/".join(str(value) for value in match.kwargs.values()) if match else ""
    services.access_record(
        request,
        patient_id=patient_id,
        resource=resource,
        resource_id=resource_id or patient_id,
        action=action,
        purpose=Purpose.SELF,
        outcome=Outcome.DENIED if response.status_code in REFUSED else Outcome.ALLOWED,
    )


class AccessLogMiddleware:
    """Opens the request's buffer, and writes it after the view — on error responses too, so
    refused and failed attempts are kept. Outside any transaction of the view: a rolled-back
    change still leaves the record that it was tried."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        services.buffer_open(request)
        try:
            response = self.get_response(request)
            _record_own_access(request, response)
            return response
        finally:
            services.buffer_flush(request)
