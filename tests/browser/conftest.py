"""Browser-test fixtures: Debian's chromium, driven by Playwright, against the live server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from pytest_django.live_server_helper import LiveServer

from tests.factories.accounts import signed_in_admin

BROWSER_TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# CI sets this to "required" so that a missing chromium fails the run instead of skipping.
REQUIRED_VARIABLE = "HEALTHPORTAL_BROWSER_TESTS"
INSTALL_HINT = "sudo apt-get install chromium"
VIEWPORT = {"width": 1280, "height": 900}
DEFAULT_TIMEOUT_MS = 10_000

phase_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser, before `-m` selects, so `-m "not browser"` works."""
    for item in items:
        if BROWSER_TESTS_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    """Keep each phase's report on the item: the page fixture's teardown asks how the call went."""
    report = yield
    item.stash.setdefault(phase_reports_key, {})[report.when] = report
    return report


def browser_requirement() -> str:
    value = os.environ.get(REQUIRED_VARIABLE, "optional")
    if value not in {"optional", "required"}:
        pytest.fail(f'{REQUIRED_VARIABLE} is "{value}": use "required" or "optional"')
    return value


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for all the browser tests.

    Package scope, so Playwright stops when tests/browser is done: while it runs, its event loop
    counts as running in this thread, which Django takes for an async context.
    """
    requirement = browser_requirement()
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: install Debian's chromium ({INSTALL_HINT})"
        if requirement == "required":
            pytest.fail(f"{message}; {REQUIRED_VARIABLE}=required")
        pytest.skip(message)
    suite_connections = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # The ORM is called from test code and fixtures while Playwright's loop sits idle between
        # calls; nothing runs concurrently, so Django's async-safety check is a false alarm here.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # With a loop marked running, Django's connections (an asgiref Local) are looked up per
        # context instead of per thread: fresh connections, without the test database's
        # serialized contents, so serialized rollback would silently restore nothing. Keep the
        # suite's own.
        for alias, connection in suite_connections.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def base_url(live_server: LiveServer, django_db_serialized_rollback: None) -> str:
    """The live server's root URL.

    The live server needs the transactional database; its flush at the end of the test would
    also empty the roles and catalogues migrations load, so ask for serialized rollback too.
    """
    return live_server.url


@pytest.fixture
def page(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context (no cookies from other tests); relative URLs go to the server.

    When the test fails, a full-page screenshot goes to test-results/screenshots/ and its path
    into the failure report.
    """
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    call = request.node.stash.get(phase_reports_key, {}).get("call")
    if call is not None and call.failed:
        # The summary prints the call report's sections after every test has run.
        call.sections.append(("browser screenshot", save_screenshot(page, request.node)))
    context.close()


def save_screenshot(page: Page, item: pytest.Item) -> str:
    """Save a full-page screenshot; say where, or why there is none (a crashed page)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{item.path.stem}.{item.name}")
    path = item.config.rootpath / "test-results" / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=path, full_page=True)
    except PlaywrightError as error:
        # The test's own failure is the one to report, not a second one from here.
        return f"no screenshot: {error}"
    return f"{path}\n(page was at {page.url})"


@pytest.fixture
def sign_in(page: Page, base_url: str) -> Callable[[AbstractBaseUser], None]:
    """Sign a user in to the page's context with a session made on the server side, past the
    second factor.

    For tests that are not about signing in; a test of the sign-in itself uses the form.
    """

    def sign_in(user: AbstractBaseUser) -> None:
        client = signed_in_admin(Client(), user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
        )

    return sign_in
