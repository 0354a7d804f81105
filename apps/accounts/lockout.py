"""What django-axes counts failed sign-ins against: the login, whichever form sent it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from apps.accounts.models import normalize_email


def login_of(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email signed in with: `email=` (patient API), `username=` (admin and staff forms)."""
    values = credentials or {}
    login = values.get("email") or values.get("username")
    if login is None and request is not None:
        login = request.POST.get("email") or request.POST.get("username")
    return normalize_email(login) if login else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """Each sign-in form says itself that the login is locked (the portal's form error, the
    API's problem+json), so the view's answer stands; a bare 403 only if there is none."""
    if original_response is not None and original_response.status_code in (401, 403, 429):
        return original_response
    return HttpResponse("Too many failed sign-ins; try again in 15 minutes.", status=403)
