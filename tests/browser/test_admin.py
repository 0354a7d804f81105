"""The Django admin in a real browser: its page and static files load, and staff can sign in."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import Page, Response, expect

from apps.accounts.contracts import Role
from tests.factories.accounts import PASSWORD, user_in_role

ADMIN_STYLESHEET = "/static/css/healthportal-admin.css"


def test_login_page_is_styled_by_static_files_the_server_serves(page: Page) -> None:
    # given: the status of every static file the page loads is recorded
    static: dict[str, int] = {}

    def record(response: Response) -> None:
        path = urlsplit(response.url).path
        if path.startswith("/static/"):
            static[path] = response.status

    page.on("response", record)

    # when
    page.goto("/admin/login/")

    # then: HealthPortal's login page, with every static file served
    expect(page).to_have_title("Log in | HealthPortal")
    expect(page.locator("#site-name")).to_have_text("HealthPortal administration")
    assert ADMIN_STYLESHEET in static
    assert set(static.values()) == {200}, static
    # and applied: without it, Django's own header colour (#417690) would be here
    header_colour = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--header-bg').trim()"
    )
    assert header_colour == "#0b4650"


def test_staff_sign_in_through_the_login_form(page: Page) -> None:
    # given: an admin created through the ORM, visible to the server's own connection
    admin = user_in_role(Role.ADMIN)

    # when
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # then
    expect(page).to_have_url("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text(admin.email)


def test_sign_in_fixture_gives_the_browser_a_session(
    page: Page, sign_in: Callable[[AbstractBaseUser], None]
) -> None:
    # given
    admin = user_in_role(Role.ADMIN)
    sign_in(admin)

    # when
    page.goto("/admin/")

    # then: the admin index, not the login form it redirects strangers to
    expect(page).to_have_url("/admin/")
    expect(page.locator("#user-tools")).to_contain_text(admin.email)
