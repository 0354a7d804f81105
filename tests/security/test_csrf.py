"""CSRF is enforced on every form the browser posts: the staff portal, the admin, sign-in.

Test clients skip CSRF checks unless asked; these enforce them, as a browser meets them. Every
/staff/ and /admin/ route is posted to by a signed-in user the route admits: without a token
the answer is 403 from the CSRF check and nothing in the database changes; with the token the
same request gets past the check (whatever the view then answers).
"""

from __future__ import annotations

import hashlib
import logging
import re

import pytest
from django.apps import apps
from django.test import Client

from tests.factories.accounts import PASSWORD, current_code, with_authenticator
from tests.security.conftest import World
from tests.security.routes import path_of, routes, staff_client_for, values_for

pytestmark = [pytest.mark.security, pytest.mark.django_db(databases=["default", "notifications"])]

CSRF_LOGGER = "django.security.csrf"
# Rows that change on any request, refused or not: sessions, lockout bookkeeping, the access log.
VOLATILE_APPS = {"sessions", "axes", "audit"}
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def database_fingerprint() -> dict[str, str]:
    """A digest of every row of every model, per model (the volatile ones aside)."""
    digests = {}
    for model in apps.get_models():
        if model._meta.app_label in VOLATILE_APPS or not model._meta.managed:
            continue
        database = "notifications" if model._meta.app_label == "notifications" else "default"
        rows = model._base_manager.using(database).order_by("pk").values_list()
        digests[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


def csrf_token(client: Client, page: str) -> str:
    """The token a form on `page` carries, as the browser would send it back."""
    response = client.get(page)
    found = _TOKEN.search(response.content.decode())
    assert found, f"no CSRF token in the form of {page} ({response.status_code})"
    return found.group(1)


def csrf_rejections(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == CSRF_LOGGER]


def _posts(world: World):
    """Each /staff/ and /admin/ route with a signed-in client it admits and A's ids."""
    clients: dict[str, Client] = {}
    values = values_for(world, world.a)
    for route in routes("staff", "admin"):
        client = staff_client_for(world, route, clients, enforce_csrf_checks=True)
        if client is None:  # sign-in pages: posted to anonymously below
            continue
        yield client, path_of(route, values)


def test_every_staff_and_admin_post_without_a_token_is_refused_and_changes_nothing(world, caplog):
    posts = list(_posts(world))  # signs the clients in before the fingerprint
    before = database_fingerprint()
    failures = {}
    posted = 0

    for client, path in posts:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=CSRF_LOGGER):
            response = client.post(path, {"reason": "x", "code": "000000"})
        if response.status_code != 403 or not csrf_rejections(caplog):
            failures[path] = response.status_code
        posted += 1

    assert failures == {}
    assert posted > 100
    assert database_fingerprint() == before


def test_every_staff_and_admin_post_with_the_token_gets_past_the_check(world, caplog):
    failures = {}
    tokens: dict[int, str] = {}

    for client, path in _posts(world):
        if id(client) not in tokens:
            # A page every signed-in staff member sees: its sign-out form carries the token.
            tokens[id(client)] = csrf_token(client, "/staff/")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=CSRF_LOGGER):
            response = client.post(path, {"csrfmiddlewaretoken": tokens[id(client)]})
        if csrf_rejections(caplog):
            failures[path] = response.status_code

    assert failures == {}


def test_an_htmx_post_carries_the_token_in_a_header(world, caplog):
    """The portal's htmx buttons send the token as X-CSRFToken (portal/base.html)."""
    clients: dict[str, Client] = {}
    route = next(r for r in routes("staff") if r.name == "portal:appointment-action")
    client = staff_client_for(world, route, clients, enforce_csrf_checks=True)
    path = path_of(route, values_for(world, world.a))

    refused = client.post(path, headers={"HX-Request": "true"})
    accepted = client.post(
        path, headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/staff/")}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200
    world.a.appointment.refresh_from_db()
    assert world.a.appointment.status == "checked-in"


@pytest.mark.parametrize("sign_in_page", ["/staff/login/", "/admin/login/"])
def test_the_sign_in_forms_refuse_a_post_without_a_token(world, sign_in_page, caplog):
    """Login CSRF: another site must not sign a browser in to an account of its choosing."""
    with_authenticator(world.clinician)
    credentials = {"email": world.clinician.email, "password": PASSWORD}
    client = Client(enforce_csrf_checks=True)

    with caplog.at_level(logging.WARNING, logger=CSRF_LOGGER):
        refused = client.post(sign_in_page, credentials)
    assert refused.status_code == 403
    assert csrf_rejections(caplog)
    assert "_auth_user_id" not in client.session

    token = csrf_token(client, sign_in_page)
    signed_in = client.post(sign_in_page, {**credentials, "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302
    token = csrf_token(client, "/staff/login/verify/")
    assert client.post("/staff/login/verify/", {"code": current_code()}).status_code == 403
    verified = client.post(
        "/staff/login/verify/", {"code": current_code(), "csrfmiddlewaretoken": token}
    )
    assert verified.status_code == 302
