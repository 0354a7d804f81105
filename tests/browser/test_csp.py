"""The strict Content-Security-Policy holds in a real browser: Swagger UI, ReDoc, the admin and
the staff portal render fully, and chromium reports no violation on any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import ConsoleMessage, Page, expect

from apps.accounts.contracts import Role
from tests.factories.accounts import user_in_role

# Runs before any page script and outside the page's policy: records every violation event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${where}`
  );
});
"""


@pytest.fixture
def violations(page: Page) -> Iterator[Callable[[], list[str]]]:
    """The page's CSP violations so far: the DOM events and chromium's console reports."""
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            console.append(text)

    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", on_console)

    def collected() -> list[str]:
        events = page.evaluate("window.__cspViolations || []")
        return [*events, *console]

    return collected


def test_swagger_ui_renders_the_api_without_a_violation(page: Page, violations) -> None:
    page.goto("/api/v1/docs/")

    # the split view's script ran and Swagger UI rendered the schema's operations
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("HealthPortal API")
    expect(page.locator(".opblock").first).to_be_visible()
    # its stylesheet applied: an operation block is laid out as Swagger UI styles it
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert violations() == []


def test_redoc_renders_the_api_with_its_styles_and_without_a_violation(
    page: Page, violations
) -> None:
    page.goto("/api/v1/redoc/")

    # ReDoc rendered the schema: the title and the side menu with the operations
    expect(page.locator("h1").first).to_contain_text("HealthPortal API")
    expect(page.locator("[role=menuitem]").first).to_be_visible()
    # its injected styles carry the nonce and apply: the menu is a fixed-width side column
    styled = page.evaluate("[...document.querySelectorAll('style')].filter(s => s.nonce).length")
    assert styled >= 1
    menu_width = page.evaluate("getComputedStyle(document.querySelector('.menu-content')).width")
    assert menu_width != "auto" and float(menu_width.removesuffix("px")) > 100
    assert violations() == []


def test_the_admin_renders_lists_and_forms_without_a_violation(
    page: Page, sign_in: Callable[[AbstractBaseUser], None], violations
) -> None:
    admin = user_in_role(Role.ADMIN)
    other = user_in_role(Role.CLINICIAN)
    sign_in(admin)

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_contain_text(other.email)
    # the actions bar works (admin's scripts ran): selecting a row counts it
    page.locator(f"input.action-select[value='{other.pk}']").check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")
    page.goto(f"/admin/accounts/user/{other.pk}/change/")
    # the groups' two-box selector is built by the admin's SelectFilter script
    expect(page.locator("#id_groups_from")).to_be_visible()
    # django-celery-beat's form script, moved to a file, ran: it hides the translation row
    page.goto("/admin/django_celery_beat/periodictask/add/")
    expect(page.locator("#id_name")).to_be_visible()
    expect(page.locator(".field-crontab_translation")).to_have_count(1)
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    assert violations() == []


def test_the_staff_portal_renders_without_a_violation(
    page: Page, sign_in: Callable[[AbstractBaseUser], None], violations
) -> None:
    page.goto("/staff/login/")
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    sign_in(user_in_role(Role.FRONT_DESK))

    page.goto("/staff/patients/")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    # htmx loaded and was configured by the meta tag, not by an injected style element
    assert page.evaluate("window.htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    # the indicator rules moved to portal.css still hide an idle indicator
    page.evaluate(
        "const indicator = document.createElement('span');"
        "indicator.id = 'ind'; indicator.className = 'htmx-indicator';"
        "document.body.appendChild(indicator)"
    )
    assert page.evaluate("getComputedStyle(document.getElementById('ind')).opacity") == "0"
    assert violations() == []


def test_the_violation_recorder_does_report_a_violation(page: Page, violations) -> None:
    # A check that the recorder is not blind: an inline script is refused and reported.
    page.goto("/staff/login/")

    page.evaluate(
        "const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        "document.body.appendChild(s)"
    )

    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any("script-src" in violation for violation in violations())
