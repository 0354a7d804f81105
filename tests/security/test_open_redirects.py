"""No page sends the browser to another site, whatever its `next` or `back` parameter says.

An open redirect lends the clinic's address to a phishing link (ASVS 5.1.5). Every /staff/
and /admin/ route is requested, by GET and POST, by a signed-in user it admits and anonymously,
with off-site targets in the query and the body: any redirect must stay on this site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.factories.accounts import PASSWORD, current_code, with_authenticator
from tests.security.routes import path_of, routes, staff_client_for, values_for

pytestmark = [pytest.mark.security, pytest.mark.django_db(databases=["default", "notifications"])]

# Absolute and scheme-relative; Django's redirect escapes a backslash, so "/\\evil" is safe.
OFF_SITE = ["https://evil.example/phish", "//evil.example/phish"]


def leaves_the_site(response) -> bool:
    if not response.has_header("Location") and not response.has_header("HX-Redirect"):
        return False
    target = response.get("Location") or response["HX-Redirect"]
    parts = urlsplit(target.replace("\\", "/"))
    return bool(parts.scheme or parts.netloc)


def test_no_staff_or_admin_route_redirects_off_site(world):
    clients: dict[str, Client] = {}
    anonymous = Client()
    values = values_for(world, world.a)
    # One off-site spelling in each place a view might read a target from.
    query = f"?next={OFF_SITE[1]}"
    body = {"next": OFF_SITE[0], "back": OFF_SITE[0]}
    offenders = {}

    for route in routes("staff", "admin"):
        path = path_of(route, values)
        signed_in = staff_client_for(world, route, clients)
        for client in filter(None, (signed_in, anonymous)):
            for response in (client.get(path + query), client.post(path + query, body)):
                if leaves_the_site(response):
                    offenders[path] = response.get("Location")

    assert offenders == {}


def test_signing_in_with_an_off_site_next_stays_on_the_site(world):
    with_authenticator(world.clinician)
    client = Client()
    target = OFF_SITE[0]

    password = client.post(
        f"/staff/login/?next={target}", {"email": world.clinician.email, "password": PASSWORD}
    )
    code = client.post(f"/staff/login/verify/?next={target}", {"code": current_code()})

    assert password.status_code == 302
    assert code.status_code == 302
    assert not leaves_the_site(password)
    assert not leaves_the_site(code)


@pytest.mark.parametrize(
    ("back", "expected"),
    [
        ("/staff/?date=2030-01-07", "/staff/?date=2030-01-07"),
        ("https://evil.example/phish", "/staff/"),
        ("//evil.example/phish", "/staff/"),
    ],
)
def test_an_appointment_action_returns_to_its_own_page_only(world, back, expected):
    """The reschedule page posts `back` (the day it showed); an off-site one goes to today."""
    clients: dict[str, Client] = {}
    route = next(r for r in routes("staff") if r.name == "portal:appointment-action")
    client = staff_client_for(world, route, clients)

    response = client.post(path_of(route, values_for(world, world.a)), {"back": back})

    assert response.status_code == 302
    assert response["Location"] == expected
