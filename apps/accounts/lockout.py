"""What django-axes counts failed sign-ins against: the login, whichever form sent it."""

from __future__ import annotations

from django.http import HttpRequest

from apps.accounts.models import normalize_email


def login_of(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email signed in with: `email=` (patient API), `username=` (admin and staff forms)."""
    values = credentials or {}
    login = values.get("email") or values.get("username")
    if login is None and request is not None:
        login = request.POST.get("email") or request.POST.get("username")
    return normalize_email(login) if login else None
