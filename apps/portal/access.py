"""Who may do what in the staff portal: the roles behind each permission, and the view guard.

Every portal view is wrapped in `staff_view(permission)`: the user must be signed in, in a
staff role, have passed the second factor in this session, and hold a role the permission
grants; otherwise they are sent to sign in, or shown a forbidden page saying what was needed.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from apps.accounts import public as accounts
from apps.accounts.contracts import Role
from apps.providers import public as providers
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import AppointmentDetail, AppointmentNotFound


class Permission(enum.StrEnum):
    VIEW = "view"
    BOOK = "book"
    CHANGE_ALLERGIES = "change_allergies"
    MANAGE_SCHEDULES = "manage_schedules"


GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW: frozenset({Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK}),
    Permission.BOOK: frozenset({Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK}),
    Permission.CHANGE_ALLERGIES: frozenset({Role.CLINICIAN}),
    Permission.MANAGE_SCHEDULES: frozenset({Role.ADMIN}),
}
# What the forbidden page says the refused action was, and who may do it.
DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW: "use the staff portal",
    Permission.BOOK: "book appointments, check patients in and register patients",
    Permission.CHANGE_ALLERGIES: "record, confirm, refute or correct allergies",
    Permission.MANAGE_SCHEDULES: "manage practitioners' schedules",
}
ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: "administrator",
    Role.CLINICIAN: "clinician",
    Role.FRONT_DESK: "front desk",
    Role.PATIENT: "patient",
}


@dataclasses.dataclass(frozen=True)
class Staff:
    """The signed-in staff member as the portal's views and templates see them."""

    user_id: int
    email: str
    roles: frozenset[Role]

    def can(self, permission: Permission) -> bool:
        return bool(self.roles & GRANTS[permission])

    @property
    def may(self) -> dict[str, bool]:
        """For templates: `staff.may.book` shows or hides an action."""
        return {permission.value: self.can(permission) for permission in Permission}

    @property
    def role_names(self) -> str:
        return ", ".join(sorted(ROLE_NAMES[role] for role in self.roles))


def forbidden(request: HttpRequest, *, action: str, allowed: str, reason: str = "") -> HttpResponse:
    """The forbidden page: what was refused, who may do it, and what to do instead."""
    return render(
        request,
        "portal/forbidden.html",
        {"action": action, "allowed": allowed, "reason": reason},
        status=403,
    )


def _allowed_roles(permission: Permission) -> str:
    return " or ".join(sorted(ROLE_NAMES[role] for role in GRANTS[permission]))


def _to_sign_in(request: HttpRequest, route: str) -> HttpResponse:
    url = f"{reverse(route)}?{urlencode({'next': request.get_full_path()})}"
    if request.headers.get("HX-Request"):
        # htmx would swap the sign-in page into a table cell: make the browser go there.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def staff_view(
    permission: Permission = Permission.VIEW,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _to_sign_in(request, "portal:login")
            roles = accounts.user_roles(user_id=user.pk)
            staff = Staff(user_id=user.pk, email=user.email, roles=roles)
            if not staff.can(Permission.VIEW):
                return forbidden(
                    request,
                    action=DESCRIPTIONS[Permission.VIEW],
                    allowed=_allowed_roles(Permission.VIEW),
                    reason="This account is not a staff account.",
                )
            if not user.is_verified():
                return _to_sign_in(request, "portal:two-factor")
            if not staff.can(permission):
                return forbidden(
                    request,
                    action=DESCRIPTIONS[permission],
                    allowed=_allowed_roles(permission),
                    reason=f"You are signed in as {staff.role_names}.",
                )
            request.staff = staff
            return view(request, *args, **kwargs)

        # Read by the security suite's route walks (tests/security): which roles may use a URL.
        guarded.staff_permission = permission
        return guarded

    return decorate


# --- whose patients and appointments a staff member may touch ---------------------------------

CARE_RULE = (
    "Staff may open a patient seen at one of their locations in the last 24 months or booked "
    "there in the next 12, or one they registered themselves in the last 30 days."
)


def in_care(request: HttpRequest, patient_id: int) -> bool:
    """Checked before anything of the patient is read: an unknown id and a patient in someone
    else's care get the same answer, so ids cannot be probed."""
    return scheduling.has_care_relationship(user_id=request.staff.user_id, patient_id=patient_id)


def outside_care(request: HttpRequest, *, action: str) -> HttpResponse:
    return forbidden(
        request,
        action=action,
        allowed="staff caring for the patient",
        reason=f"You have no care relationship with this patient. {CARE_RULE}",
    )


def my_location_ids(request: HttpRequest) -> list[int]:
    return providers.location_ids_for_user(user_id=request.staff.user_id)


def appointment_at_my_location(
    request: HttpRequest, appointment_id: int, *, action: str
) -> tuple[AppointmentDetail | None, HttpResponse | None]:
    """The appointment if it is at one of the user's locations, else the forbidden page to
    answer with; an unknown id is a 404."""
    try:
        appointment = scheduling.appointment_detail(appointment_id=appointment_id)
    except AppointmentNotFound as exc:
        raise Http404("No such appointment.") from exc
    if appointment.location_id not in my_location_ids(request):
        return None, forbidden(
            request,
            action=action,
            allowed="staff who work at the appointment's location",
            reason="This appointment is at a location you are not assigned to.",
        )
    return appointment, None
