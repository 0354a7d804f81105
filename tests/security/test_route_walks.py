"""Cross-patient and cross-role route walks over every URL the resolver knows.

Each walk requests every route (with every method its view answers) as one kind of caller,
filling path parameters with real ids of patient B's records, and collects what went wrong so
one run lists every offending route. Routes are read from the resolver, so a new page or
endpoint is walked the day it is mounted; routes.py holds the short lists of exceptions.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.security.conftest import session_client
from tests.security.routes import (
    CARE_EXEMPT,
    OWN_GUARD,
    PUBLIC,
    SIGN_OUT,
    Route,
    all_routes,
    path_of,
    routes,
    staff_client_for,
    values_for,
)

pytestmark = [pytest.mark.security, pytest.mark.django_db(databases=["default", "notifications"])]

# Query strings that name a patient on routes without a patient in the path.
PATIENT_QUERIES: dict[str, str] = {"staff/book/": "patient"}


SIGN_IN_PATHS = {"/staff/login/", "/admin/login/"}


def sends_to_sign_in(response: HttpResponse) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path in SIGN_IN_PATHS


def describe(response: HttpResponse) -> str:
    where = f" -> {response['Location']}" if response.has_header("Location") else ""
    return f"{response.status_code}{where}"


def request(client: Client, method: str, path: str, **extra: object) -> HttpResponse:
    return getattr(client, method)(path, **extra)


def test_every_route_is_classified():
    """A route is public, an API route (JWT), the admin's, guarded by staff_view, or listed
    with its own guard; anything else must be added to a list in routes.py with a reason."""
    unclassified = [
        route.template
        for route in all_routes()
        if not route.is_public and route.area != "api" and route.admitted_roles is None
    ]
    stale = (set(PUBLIC) | set(OWN_GUARD) | set(CARE_EXEMPT) | set(SIGN_OUT)) - {
        route.template for route in all_routes()
    }
    patient_scoped = [route for route in routes("staff") if route.is_patient_scoped]

    assert unclassified == []
    assert stale == set()
    assert len(patient_scoped) >= 10


def test_anonymous_callers_are_sent_to_sign_in_or_refused_everywhere_not_public(world):
    client = Client()
    values = values_for(world, world.b)
    failures: dict[str, str] = {}

    for route in all_routes():
        if route.is_public:
            continue
        path = path_of(route, values)
        for method in route.methods:
            response = request(client, method, path)
            if route.area == "api":
                ok = (
                    response.status_code == 401
                    and response["Content-Type"] == "application/problem+json"
                )
            else:
                ok = sends_to_sign_in(response) or response.status_code in (401, 405)
            if not ok or world.b.leaked_in(response.content.decode(errors="replace")):
                failures[f"{method.upper()} {path}"] = describe(response)

    assert failures == {}


@pytest.mark.parametrize("credential", ["jwt", "session"])
def test_a_patient_never_opens_a_staff_or_admin_page(world, credential):
    """With a valid access token, or even a session past the second factor, a patient is
    sent to sign in or refused on every staff and admin page; nothing of B is ever shown."""
    if credential == "jwt":
        client = Client(headers={"Authorization": f"Bearer {world.a.access_token()}"})
    else:
        client = session_client(world.a.user)
    values = values_for(world, world.b)
    before = world.b.rows()
    failures: dict[str, str] = {}
    walked = 0

    for route in routes("staff", "admin"):
        if route.is_public:
            continue
        path = path_of(route, values)
        statuses = set()
        for method in route.methods:
            response = request(client, method, path)
            statuses.add(response.status_code)
            refused = sends_to_sign_in(response) or response.status_code in (403, 405)
            if not refused or world.b.leaked_in(response.content.decode(errors="replace")):
                failures[f"{method.upper()} {path}"] = describe(response)
        if statuses == {405}:
            failures[path] = "no method reached the guard"
        walked += 1

    assert failures == {}
    assert walked > 100  # the admin's pages and the portal's
    assert world.b.rows() == before


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_staff_are_refused_every_page_their_role_is_not_admitted_to(world, role):
    """Front desk on the admin, schedule management and every admin-only page; a clinician
    likewise; front desk on clinician-only allergy actions. The admitted roles are read off
    each view's staff_view permission, so a new admin-only page is walked automatically."""
    client = session_client(getattr(world, role))
    values = values_for(world, world.b)
    failures: dict[str, str] = {}
    refused_routes = []

    for route in routes("staff", "admin"):
        admitted = route.admitted_roles
        if route.is_public or route.template in SIGN_OUT or admitted is None or role in admitted:
            continue
        path = path_of(route, values)
        statuses = set()
        for method in route.methods:
            response = request(client, method, path)
            statuses.add(response.status_code)
            refused = response.status_code in (403, 405) or (
                route.area == "admin" and sends_to_sign_in(response)
            )
            if not refused:
                failures[f"{method.upper()} {path}"] = describe(response)
        if statuses == {405}:
            failures[path] = "no method reached the guard"
        refused_routes.append(route.template)

    assert failures == {}
    assert "staff/schedules/" in refused_routes
    # Where the admin sends a signed-in non-administrator: a forbidden page, not a sign-in loop.
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_the_admin_opens_the_admin_only_pages(world):
    """The control for the walk above: the pages refuse by role, not for another reason."""
    client = session_client(world.admin)
    values = values_for(world, world.b)
    failures = {}
    admin_only = [r for r in routes("staff") if r.admitted_roles == frozenset({"admin"})]

    for route in admin_only:
        path = path_of(route, values)
        response = client.get(path)
        if response.status_code not in (200, 405):
            failures[path] = describe(response)

    assert len(admin_only) >= 4
    assert failures == {}
    assert client.get(reverse("admin:index")).status_code == 200


# Outside the care relationship a page is forbidden; a POST may also be refused as invalid
# (the break-glass form without a reason): either way nothing of B is shown or changed.
OUTSIDE_CARE_ANSWERS = {"get": (403,), "post": (400, 403)}
# A refusal may name the patient id it refers to (the break-glass form for B's allergy offers
# to open B's record): an internal reference, not PHI, and the record itself stays closed.
STAFF_MAY_SEE = frozenset({"patient id"})


def _patient_scoped_routes() -> list[Route]:
    return [
        route
        for route in routes("staff")
        if route.is_patient_scoped and route.template not in CARE_EXEMPT
    ]


@pytest.mark.parametrize("role", ["clinician", "front_desk", "admin"])
def test_staff_outside_the_care_relationship_are_refused_every_patient_scoped_page(world, role):
    """B is seen at a location none of the staff work at: every page naming B, or one of B's
    appointments, allergies or waitlist entries, is forbidden to each role it admits (an admin
    included) and shows nothing of B."""
    clients: dict[str, Client] = {}
    values = values_for(world, world.b)
    before = world.b.rows()
    failures: dict[str, str] = {}
    walked = 0

    for route in _patient_scoped_routes():
        client = staff_client_for(world, route, clients, preference=(role,))
        if client is None:  # the role is refused the route itself (the role walk's concern)
            continue
        walked += 1
        path = path_of(route, values)
        statuses = set()
        for method in route.methods:
            response = request(client, method, path)
            statuses.add(response.status_code)
            if response.status_code == 405:
                continue
            body = response.content.decode(errors="replace")
            leaked = world.b.leaked_in(body, sent=path, ignoring=STAFF_MAY_SEE)
            if response.status_code not in OUTSIDE_CARE_ANSWERS.get(method, (403,)) or leaked:
                failures[f"{method.upper()} {path}"] = f"{describe(response)} {leaked}"
        if statuses == {405}:
            failures[path] = "no method reached the guard"
    client = clients[role]
    for template, parameter in PATIENT_QUERIES.items():
        response = client.get(f"/{template}", {parameter: world.b.patient.id})
        if response.status_code != 403:
            failures[f"GET /{template}?{parameter}="] = describe(response)

    assert failures == {}
    assert walked >= 5
    assert world.b.rows() == before
    # Nothing the walk posted opened B's record (a break-glass needs a reason).
    assert client.get(f"/staff/patients/{world.b.patient.id}/").status_code == 403


def test_staff_in_the_care_relationship_get_past_the_care_check(world):
    """The control for the walk above: with A, seen at the clinician's location, the same
    routes answer something other than forbidden."""
    clients: dict[str, Client] = {}
    values = values_for(world, world.a)
    forbidden = {}

    for route in _patient_scoped_routes():
        client = staff_client_for(world, route, clients)
        path = path_of(route, values)
        for method in route.methods:
            response = request(client, method, path)
            if response.status_code == 405:
                continue
            if response.status_code == 403:
                forbidden[f"{method.upper()} {path}"] = describe(response)
            break  # the first method that reaches the view is enough

    assert forbidden == {}


def test_staff_lists_and_searches_never_show_a_patient_outside_care(world):
    """Pages without a patient in the path (today, search, reviews, the waitlist board)
    list only patients in the clinician's care, even when asked for B by name."""
    client = session_client(world.clinician)
    leaks = {}

    for route in routes("staff"):
        if route.parameters or route.template in SIGN_OUT or route.is_public:
            continue
        for query in ({}, {"q": world.b.patient.family_name}, {"q": world.b.patient.mrn}):
            response = client.get(f"/{route.template}", query)
            body = response.content.decode(errors="replace")
            leaked = world.b.leaked_in(body, sent=query.get("q", ""))
            if leaked:
                leaks[f"/{route.template} {query}"] = leaked

    assert leaks == {}


def test_a_patient_token_never_reaches_another_patients_records(world):
    """A's token on every API route with B's ids in the path and in the body: B's objects are
    404 (or 403), and no answer carries any of B's identifiers."""
    client = world.a.api_client()
    values = values_for(world, world.b)
    b_refresh = str(world.b.refresh_token())
    body = {
        "patient": world.b.patient.id,
        "patient_id": world.b.patient.id,
        "appointment": world.b.appointment.id,
        "appointment_id": world.b.appointment.id,
        "entry": world.b.waitlist_entry.id,
        "allergy": world.b.allergy.id,
        "user": world.b.user.id,
        "user_id": world.b.user.id,
        "slot": world.b.slot.id,
        "refresh": b_refresh,
    }
    before = world.b.rows()
    failures: dict[str, str] = {}

    for route in routes("api"):
        if route.is_public:
            continue
        path = path_of(route, values)
        for method in route.methods:
            # A query string would come back in a list's page links: bodies only.
            sent = {} if method == "get" else {"data": body, "format": "json"}
            response = request(client, method, path, **sent)
            leaked = world.b.leaked_in(response.content.decode(errors="replace"))
            names_b = bool(route.parameters) and route.template not in _DIRECTORY_OBJECTS
            if leaked or (names_b and response.status_code not in (403, 404)):
                failures[f"{method.upper()} {path}"] = f"{describe(response)} {leaked}"

    assert failures == {}
    assert world.b.rows() == before
    # A could not sign B out: B's refresh token still works.
    refreshed = Client().post(
        "/api/v1/auth/token/refresh/", {"refresh": b_refresh}, content_type="application/json"
    )
    assert refreshed.status_code == 200, refreshed.content


# API object routes over the clinic's directory, not anybody's record.
_DIRECTORY_OBJECTS = {"api/v1/providers/<int:practitioner_id>/"}


def test_a_browser_session_is_no_api_credential(world):
    """The API authenticates bearer tokens only: a session cookie (which a cross-site form
    would send along) opens no API route, for a patient or for an admin."""
    values = values_for(world, world.b)
    failures = {}

    for user in (world.a.user, world.admin):
        client = session_client(user)
        for route in routes("api"):
            if route.is_public:
                continue
            path = path_of(route, values)
            for method in route.methods:
                response = request(client, method, path)
                if response.status_code != 401:
                    failures[f"{user.email} {method.upper()} {path}"] = describe(response)

    assert failures == {}


def test_a_deactivated_staff_members_session_ends_everywhere(world):
    """Deactivating an account closes its open sessions at once: every staff and admin page
    sends the browser to sign in."""
    client = session_client(world.admin)
    assert client.get(reverse("admin:index")).status_code == 200
    world.admin.is_active = False
    world.admin.save(update_fields=["is_active"])
    values = values_for(world, world.a)
    failures = {}

    for route in routes("staff", "admin"):
        if route.is_public or route.template in SIGN_OUT:
            continue
        path = path_of(route, values)
        response = client.get(path)
        if not (sends_to_sign_in(response) or response.status_code == 405):
            failures[path] = describe(response)

    assert failures == {}
