"""Every URL the project serves, read from the resolver, with concrete paths to request.

New routes are covered by the security suite the moment they are mounted: the walks iterate
over `all_routes()`, and a route that fits no rule (public, guarded by the portal's
`staff_view`, or with its own guard listed here) fails `test_every_route_is_classified`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from apps.patients.models import Patient
from apps.portal.access import GRANTS, Permission
from tests.security.conftest import PatientWorld, World, session_client

HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# Anyone may use these, signed in or not. Each says why.
PUBLIC: dict[str, str] = {
    "health/live": "liveness probe for the load balancer: answers OK, nothing else",
    "health/ready": "readiness probe: names the failing dependency, no data",
    "metrics": "Prometheus counters of the outbox (counts and ages, no PHI)",
    "staff/login/": "the staff sign-in form",
    "admin/login/": "serves the staff sign-in form for the admin",
    "admin/logout/": "the admin's sign-out: ends whatever session there is, shows nothing",
    "api/v1/auth/token/": "patients sign in here",
    "api/v1/auth/token/refresh/": "takes a refresh token instead of an access token",
    "api/v1/auth/register/": "patients create their login here",
    "api/v1/auth/password/reset/": "a patient who forgot the password asks for a reset link",
    "api/v1/auth/password/reset/confirm/": "the reset link's token is the credential",
    "api/v1/schema/": "the OpenAPI document: describes the API, holds no data",
    "api/v1/docs/": "Swagger UI over the schema",
    "api/v1/redoc/": "ReDoc over the schema",
}

# Staff pages not wrapped in the portal's staff_view, with the roles they admit and why they
# guard themselves. Roles outside the set must be refused.
STAFF_ROLES = frozenset({"admin", "clinician", "front_desk"})
OWN_GUARD: dict[str, tuple[frozenset[str], str]] = {
    "staff/login/verify/": (
        STAFF_ROLES,
        "second sign-in step: only a staff user who has passed the password gets the form",
    ),
    "staff/login/enrol/": (
        STAFF_ROLES,
        "authenticator enrolment: only a staff user who has passed the password gets the form",
    ),
    "staff/logout/": (
        STAFF_ROLES,
        "POST-only sign-out of whatever session there is; shows nothing",
    ),
    "staff/notifications/": (
        STAFF_ROLES,
        "the notifications service's page: an extracted service cannot import the portal, so "
        "it checks the staff role and the second factor itself",
    ),
}

# Path parameters that name something of one patient: a staff member must be in that
# patient's care (or work at the appointment's location) to use the route.
PATIENT_SCOPED_PARAMETERS = frozenset({"patient_id", "appointment_id", "allergy_id", "entry_id"})
# Patient-scoped routes answered without a care check, and why.
CARE_EXEMPT: dict[str, str] = {
    "staff/reviews/registrations/<int:patient_id>/approve/": (
        "self-registered patients awaiting review are in nobody's care yet: the registration "
        "queue is clinic-wide, and the service refuses a patient who is not pending review"
    ),
}
# Sign-out routes end the walking session: walked last.
SIGN_OUT = frozenset({"staff/logout/", "admin/logout/"})


@dataclasses.dataclass(frozen=True)
class Route:
    template: str  # as the resolver spells it, e.g. "staff/patients/<int:patient_id>/"
    name: str  # namespace:name, or "" for unnamed patterns
    callback: object
    parameters: tuple[str, ...]
    regex_parts: tuple[str, ...]  # the regex of each level, to fill regex patterns

    @property
    def area(self) -> str:
        for area in ("admin", "staff", "api"):
            if self.template.startswith(f"{area}/"):
                return area
        return "other"

    @property
    def is_public(self) -> bool:
        return self.template in PUBLIC

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "view_class", None)

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods to try: a class-based view's handlers, else GET and POST."""
        if self.view_class is not None:
            return tuple(m for m in HTTP_METHODS if hasattr(self.view_class, m))
        return ("get", "post")

    @property
    def staff_permission(self) -> Permission | None:
        return getattr(self.callback, "staff_permission", None)

    @property
    def admitted_roles(self) -> frozenset[str] | None:
        """The staff roles a route admits, read off its guard (the whole admin is for the admin
        role); None when unknown."""
        if self.area == "admin":
            return frozenset({"admin"})
        if self.staff_permission is not None:
            return frozenset(role.value for role in GRANTS[self.staff_permission])
        if self.template in OWN_GUARD:
            return OWN_GUARD[self.template][0]
        return None

    @property
    def is_patient_scoped(self) -> bool:
        return bool(PATIENT_SCOPED_PARAMETERS & set(self.parameters))

    def path(self, values: Mapping[str, object]) -> str:
        """A concrete path, each parameter filled from `values` (a route's own first)."""
        filled = "/"
        for part in self.regex_parts:
            filled += _fill(part, values)
        match = resolve(filled)
        assert match.func is self.callback, f"{filled} does not resolve to {self.template}"
        return filled


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
# Unnamed groups (django-simple-history's admin: "^([^/]+)/history/([^/]+)/$") are the
# object's id, then ids inside it: filled as `object_id`, then "1".
_UNNAMED_GROUP = re.compile(r"\((?!\?)[^()]*\)")


def _fill(regex: str, values: Mapping[str, object]) -> str:
    def group(match: re.Match) -> str:
        name, body = match["name"], match["body"]
        if name in values:
            return str(values[name])
        if "|" in body:  # the admin's app list: any one of the apps
            return body.split("|")[0]
        raise KeyError(f"no value for path parameter {name!r} in {regex}")

    unnamed = iter([values.get("object_id", 1)])

    def positional(match: re.Match) -> str:
        return str(next(unnamed, 1))

    text = _UNNAMED_GROUP.sub(positional, _GROUP.sub(group, regex))
    text = text.removeprefix("^").removesuffix("\\Z").removesuffix("$")
    return text.replace("\\", "")


def _regex_of(pattern: RoutePattern | RegexPattern) -> str:
    return pattern.regex.pattern


def _walk(patterns, template: str = "", regexes: tuple[str, ...] = (), namespace: str = ""):
    for pattern in patterns:
        part = str(pattern.pattern)
        regex = _regex_of(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, (namespace, pattern.namespace or "")))
            yield from _walk(pattern.url_patterns, template + part, (*regexes, regex), inner)
        elif isinstance(pattern, URLPattern):
            full = (*regexes, regex)
            parameters = tuple(name for piece in full for name in re.compile(piece).groupindex)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else ""
            yield Route(
                template=template + part,
                name=name or (pattern.name or ""),
                callback=pattern.callback,
                parameters=parameters,
                regex_parts=full,
            )


@cache
def all_routes() -> tuple[Route, ...]:
    routes = sorted(_walk(get_resolver().url_patterns), key=lambda r: r.template in SIGN_OUT)
    return tuple(routes)


def routes(*areas: str) -> Iterator[Route]:
    return (route for route in all_routes() if route.area in areas)


# --- filling the routes with one patient's ids ------------------------------------------------

# Path parameters whose value must be valid for the guard under test to be reached (an unknown
# action is a 404 before any care check): per route name, over the defaults of values_for.
ROUTE_VALUES: dict[str, dict[str, str]] = {
    "portal:appointment-action": {"action": "check-in"},
}


def values_for(world: World, owner: PatientWorld) -> dict[str, object]:
    """Path parameter values naming `owner`'s records, and B's side of the clinic."""
    return {
        "patient_id": owner.patient.id,
        "appointment_id": owner.appointment.id,
        "allergy_id": owner.allergy.id,
        "entry_id": owner.waitlist_entry.id,
        "practitioner_id": world.role_b.practitioner_id,
        "role_id": world.role_b.id,
        "rule_id": world.rule_id,
        "exception_id": world.exception_id,
        "action": "confirm",
        # The admin: the owner's patient record and login, and any id for other models.
        "object_id": owner.patient.id,
        "content_type_id": ContentType.objects.get_for_model(Patient).id,
        "id": owner.user.id,
        "pk": world.totp_device_id,  # the admin's authenticator pages
        "url": "no-such-page/",
    }


def path_of(route: Route, values: Mapping[str, object]) -> str:
    return route.path({**values, **ROUTE_VALUES.get(route.name, {})})


STAFF_BY_PREFERENCE = ("clinician", "front_desk", "admin")


def staff_client_for(
    world: World,
    route: Route,
    clients: dict[str, Client],
    *,
    enforce_csrf_checks: bool = False,
    preference: tuple[str, ...] = STAFF_BY_PREFERENCE,
) -> Client | None:
    """A signed-in client of a role the route admits (the first of `preference` it admits),
    so a walk reaches the check under test rather than stopping at the role check; one client
    per role, kept in `clients`."""
    for role in preference:
        if role in (route.admitted_roles or ()):
            if role not in clients:
                clients[role] = session_client(
                    getattr(world, role), enforce_csrf_checks=enforce_csrf_checks
                )
            return clients[role]
    return None
