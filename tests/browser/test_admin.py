"""Signing in, in a real browser: the styled sign-in page, password then TOTP code, the admin."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import Page, Response, expect

from apps.accounts.contracts import Role
from tests.factories.accounts import PASSWORD, current_code, user_in_role, with_authenticator

PORTAL_STYLESHEET = "/static/portal/portal.css"


def test_the_sign_in_page_loads_its_styles_and_scripts_from_static_files(page: Page) -> None:
    # given: the status of every static file the page loads is recorded
    static: dict[str, int] = {}

    def record(response: Response) -> None:
        path = urlsplit(response.url).path
        if path.startswith("/static/"):
            static[path] = response.status

    page.on("response", record)

    # when
    page.goto("/staff/login/")

    # then: the sign-in page, with its stylesheet, htmx and the portal's script all served
    expect(page).to_have_title("Sign in · HealthPortal staff")
    assert PORTAL_STYLESHEET in static
    assert any("htmx" in path for path in static), static
    assert set(static.values()) == {200}, static
    # and applied: the header has the portal's brand colour
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert colour == "rgb(11, 70, 80)"


def test_an_admin_signs_in_with_password_and_code_and_reaches_the_admin(page: Page) -> None:
    # given: an admin with an authenticator app
    admin = user_in_role(Role.ADMIN)
    with_authenticator(admin)

    # when: the admin is opened, it sends to the staff sign-in; password, then code
    page.goto("/admin/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("textbox", name="Code").fill(current_code())
    page.get_by_role("button", name="Sign in").click()

    # then
    expect(page).to_have_url("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text(admin.email)


def test_sign_in_fixture_gives_the_browser_a_verified_session(
    page: Page, sign_in: Callable[[AbstractBaseUser], None]
) -> None:
    # given
    admin = user_in_role(Role.ADMIN)
    sign_in(admin)

    # when
    page.goto("/admin/")

    # then: the admin index, not the sign-in page it sends strangers to
    expect(page).to_have_url("/admin/")
    expect(page.locator("#user-tools")).to_contain_text(admin.email)
