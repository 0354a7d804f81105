"""The service's staff page, /staff/notifications/: messages that could not be delivered.

It uses the staff portal's look (portal/base.html) but not its code: Django auth's groups name
the staff roles, and django-otp's `is_verified()` says the second factor was passed.
"""

from __future__ import annotations

import dataclasses

from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from apps.accounts.contracts import Role
from apps.audit import public as audit
from apps.audit.contracts import Action, Purpose
from extracted.notifications import selectors
from extracted.notifications.models import Message
from extracted.notifications.router import DATABASE

STAFF_ROLES = frozenset({Role.ADMIN.value, Role.CLINICIAN.value, Role.FRONT_DESK.value})


@dataclasses.dataclass(frozen=True)
class _StaffHeader:
    """What portal/base.html's header shows of the signed-in user."""

    email: str
    role_names: str
    may: dict[str, bool] = dataclasses.field(default_factory=dict)


def failed_messages(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or not user.is_verified():
        return redirect_to_login(request.get_full_path())
    roles = set(user.groups.values_list("name", flat=True)) & STAFF_ROLES
    if not roles:
        return render(
            request,
            "notifications/staff/forbidden.html",
            {"reason": "This page is for clinic staff."},
            status=403,
        )
    request.staff = _StaffHeader(
        email=user.email, role_names=", ".join(sorted(r.replace("_", " ") for r in roles))
    )
    failed = list(selectors.messages_failed())
    # The page names patients (by id) beside their failed messages: that is an access.
    audit.actor_set(request, user_id=user.pk, actor_role=",".join(sorted(roles)))
    for message in failed:
        if message.patient_id is not None:
            audit.record_access(
                request,
                patient_id=message.patient_id,
                resource="notification_message",
                resource_id=message.id,
                action=Action.READ,
                purpose=Purpose.ADMINISTRATION,
            )
    counts = dict(
        Message.objects.using(DATABASE)
        .values_list("status")
        .annotate(total=Count("id"))
        .values_list("status", "total")
    )
    return render(
        request,
        "notifications/staff/failed.html",
        {"messages_failed": failed, "counts": counts},
    )


app_name = "notifications"
urlpatterns = [path("", failed_messages, name="failed")]
