"""Who may do what in the staff portal: the roles behind each permission, and the view guard.

Every portal view is wrapped in `staff_view(permission)`: the user must be signed in, in a
staff role, have passed the second factor in this session, and hold a role the permission
grants; otherwise they are sent to sign in, or shown a forbidden page saying what was needed.

The PHI access log is fed here, so a view needs no line of its own: `in_care` and
`appointment_at_my_location` record the access they allow or refuse (apps.audit.public).
A staff member refused by `in_care` gets the break-glass screen from `outside_care`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from apps.accounts import public as accounts
from apps.accounts.contracts import Role
from apps.audit import public as audit
from apps.audit.contracts import Action, Outcome, Purpose
from apps.portal.forms_audit import BreakGlassForm
from apps.providers import public as providers
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import AppointmentDetail, AppointmentNotFound


class Permission(enum.StrEnum):
    VIEW = "view"
    BOOK = "book"
    CHANGE_ALLERGIES = "change_allergies"
    MANAGE_SCHEDULES = "manage_schedules"
    VIEW_AUDIT_LOG = "view_audit_log"


GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW: frozenset({Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK}),
    Permission.BOOK: frozenset({Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK}),
    Permission.CHANGE_ALLERGIES: frozenset({Role.CLINICIAN}),
    Permission.MANAGE_SCHEDULES: frozenset({Role.ADMIN}),
    Permission.VIEW_AUDIT_LOG: frozenset({Role.ADMIN}),
}
# What the forbidden page says the refused action was, and who may do it.
DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW: "use the staff portal",
    Permission.BOOK: "book appointments, check patients in and register patients",
    Permission.CHANGE_ALLERGIES: "record, confirm, refute or correct allergies",
    Permission.MANAGE_SCHEDULES: "manage practitioners' schedules",
    Permission.VIEW_AUDIT_LOG: "browse and export the access log",
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

    @property
    def role_label(self) -> str:
        """The roles as the access log records them ("clinician", "admin,clinician")."""
        return ",".join(sorted(role.value for role in self.roles))


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
            audit.actor_set(request, user_id=staff.user_id, actor_role=staff.role_label)
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


# The request attribute that tells outside_care which patient was refused.
REFUSED_PATIENT = "_refused_patient_id"


def _action_of(request: HttpRequest) -> Action:
    return Action.READ if request.method in ("GET", "HEAD") else Action.UPDATE


def in_care(
    request: HttpRequest, patient_id: int, *, resource: str = "patient", resource_id: object = ""
) -> bool:
    """Checked before anything of the patient is read: an unknown id and a patient in someone
    else's care get the same answer, so ids cannot be probed.

    A live break-glass grant of this user for this patient counts too. Either way the access
    (or the refusal) is recorded, with purpose treatment or break-glass.
    """
    user_id = request.staff.user_id
    allowed, purpose = True, Purpose.TREATMENT
    if not scheduling.has_care_relationship(user_id=user_id, patient_id=patient_id):
        allowed = audit.break_glass_active(user_id=user_id, patient_id=patient_id) is not None
        purpose = Purpose.BREAK_GLASS if allowed else Purpose.TREATMENT
    audit.record_access(
        request,
        patient_id=patient_id,
        resource=resource,
        resource_id=resource_id or patient_id,
        action=_action_of(request),
        purpose=purpose,
        outcome=Outcome.ALLOWED if allowed else Outcome.DENIED,
    )
    if not allowed:
        setattr(request, REFUSED_PATIENT, patient_id)
    return allowed


def record_shown(
    request: HttpRequest, *, patient_ids: Iterable[int], resource: str = "patient_search"
) -> None:
    """Patients listed on a page (search results, a day's schedule, a review queue): one
    record each, written with the request's one INSERT."""
    for patient_id in dict.fromkeys(patient_ids):
        audit.record_access(
            request,
            patient_id=patient_id,
            resource=resource,
            resource_id=patient_id,
            action=Action.SEARCH,
            purpose=Purpose.TREATMENT,
        )


def record_created(request: HttpRequest, *, patient_id: int) -> None:
    audit.record_access(
        request,
        patient_id=patient_id,
        resource="patient",
        resource_id=patient_id,
        action=Action.CREATE,
        purpose=Purpose.TREATMENT,
    )


def outside_care(request: HttpRequest, *, action: str) -> HttpResponse:
    """The answer to a refused in_care: the break-glass screen (403), asking for a reason."""
    patient_id = getattr(request, REFUSED_PATIENT, None)
    if patient_id is None:
        return forbidden(
            request,
            action=action,
            allowed="staff caring for the patient",
            reason=f"You have no care relationship with this patient. {CARE_RULE}",
        )
    back = (
        request.get_full_path()
        if request.method in ("GET", "HEAD")
        else reverse("portal:patient-chart", args=[patient_id])
    )
    return break_glass_screen(
        request, patient_id=patient_id, action=action, form=BreakGlassForm(initial={"next": back})
    )


def break_glass_screen(
    request: HttpRequest, *, patient_id: int, action: str, form: object
) -> HttpResponse:
    return render(
        request,
        "portal/break_glass.html",
        {
            "action": action,
            "care_rule": CARE_RULE,
            "patient_id": patient_id,
            "form": form,
            "minutes": settings.BREAK_GLASS_MINUTES,
        },
        status=403,
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
    allowed = appointment.location_id in my_location_ids(request)
    audit.record_access(
        request,
        patient_id=appointment.patient_id,
        resource="appointment",
        resource_id=appointment_id,
        action=_action_of(request),
        purpose=Purpose.TREATMENT,
        outcome=Outcome.ALLOWED if allowed else Outcome.DENIED,
    )
    if not allowed:
        return None, forbidden(
            request,
            action=action,
            allowed="staff who work at the appointment's location",
            reason="This appointment is at a location you are not assigned to.",
        )
    return appointment, None
