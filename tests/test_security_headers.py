"""Every kind of page answers with a Content-Security-Policy that allows no inline script or
style, and no template puts inline code where that policy would block it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse

from apps.accounts.contracts import Role
from apps.accounts.models import User
from tests.factories.accounts import signed_in_admin, user_in_role, verify_second_factor

DATABASES = ["default", "notifications"]
pytestmark = pytest.mark.django_db(databases=DATABASES)

UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class InlineCode(HTMLParser):
    """Inline scripts and styles of a rendered page, with their nonces, and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str | None] = []
        self.style_elements: list[str | None] = []
        self.style_attributes: list[str] = []
        self.handler_attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # A data block (json_script's application/json) is not run, so no policy applies to it.
        runnable = values.get("type") in (None, "", "module", "text/javascript")
        if tag == "script" and "src" not in values and runnable:
            self.inline_scripts.append(values.get("nonce"))
        if tag == "style":
            self.style_elements.append(values.get("nonce"))
        if "style" in values:
            self.style_attributes.append(f"<{tag} style={values['style']!r}>")
        self.handler_attributes += [f"<{tag} {name}>" for name in values if name.startswith("on")]


def nonces_in(sources: list[str]) -> set[str]:
    return {source[len("'nonce-") : -1] for source in sources if source.startswith("'nonce-")}


def assert_strict(response) -> None:
    """The policy allows scripts and styles from this origin or with this response's nonce
    only, and the page holds nothing that the browser would block under it."""
    policy = policy_of(response)
    for directive in ("default-src", "script-src", "style-src"):
        assert "'self'" in policy[directive], policy
        assert not set(UNSAFE) & set(policy[directive]), (directive, policy[directive])
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    if not response["Content-Type"].startswith("text/html"):
        return
    page = InlineCode()
    page.feed(response.content.decode())
    script_nonces = nonces_in(policy["script-src"])
    assert all(nonce in script_nonces for nonce in page.inline_scripts), page.inline_scripts
    style_nonces = nonces_in(policy["style-src"])
    assert all(nonce in style_nonces for nonce in page.style_elements), page.style_elements
    assert page.style_attributes == []
    assert page.handler_attributes == []


@pytest.fixture
def admin_client() -> Client:
    return signed_in_admin(Client(), user_in_role(Role.ADMIN))


@pytest.mark.parametrize(
    "path",
    [
        "/staff/login/",
        "/no-such-page/",  # Django's 404 page
        "/api/v1/no-such-resource/",  # problem+json 404
        "/api/v1/docs/",
        "/api/v1/docs/?script=",  # Swagger UI's start-up script, served as a file
        "/api/v1/redoc/",
        "/api/v1/schema/",
        "/health/live",
    ],
)
def test_anonymous_pages_carry_the_strict_policy(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code in (200, 302, 401, 404), (path, response.status_code)
    assert_strict(response)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/",
        "/staff/patients/",
        "/staff/notifications/",
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/core/outboxevent/",
    ],
)
def test_signed_in_pages_carry_the_strict_policy(admin_client: Client, path: str) -> None:
    response = admin_client.get(path)

    assert response.status_code == 200, (path, response.status_code)
    assert_strict(response)


def test_every_admin_list_and_add_page_carries_the_strict_policy(admin_client: Client) -> None:
    checked = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        pages = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        if model_admin.has_add_permission(_admin_request(admin_client)):
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        for page in pages:
            response = admin_client.get(page)
            assert response.status_code == 200, (page, response.status_code)
            assert_strict(response)
            checked.append(page)

    assert len(checked) > 10


def _admin_request(client: Client) -> HttpRequest:
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(pk=client.session["_auth_user_id"])
    return request


def test_an_admin_change_form_carries_the_strict_policy(admin_client: Client) -> None:
    user = user_in_role(Role.CLINICIAN)

    response = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")

    assert response.status_code == 200
    assert_strict(response)


def test_the_forbidden_page_carries_the_strict_policy() -> None:
    # given: a front-desk user past the second factor, who may not use the admin
    client = signed_in_admin(Client(), user_in_role(Role.FRONT_DESK))

    response = client.get("/admin/login/")

    assert response.status_code == 403
    assert_strict(response)


def test_the_csrf_failure_page_carries_the_strict_policy() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/staff/login/", {"email": "a@clinic.test", "password": "x"})

    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()
    assert_strict(response)


def test_a_bad_host_gets_the_strict_policy_too(client: Client) -> None:
    response = client.get("/staff/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert_strict(response)


def test_the_enrolment_and_backup_code_pages_are_strict_and_never_cached() -> None:
    # given: a clinician signed in with a password, not yet enrolled
    user = user_in_role(Role.CLINICIAN)
    client = Client()
    client.force_login(user)

    enrol = client.get("/staff/login/enrol/")
    verify_second_factor(client, user)
    codes = client.post("/staff/account/backup-codes/")

    for response in (enrol, codes):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert_strict(response)


def test_redoc_is_started_with_the_nonce_of_the_policy(client: Client) -> None:
    response = client.get("/api/v1/redoc/")

    # the start-up file carries the nonce that ReDoc puts on the styles it injects
    nonce = re.search(r'redoc-init\.js" nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in policy_of(response)["style-src"]
    assert f"'nonce-{nonce}'" in policy_of(response)["script-src"]
    # and it is fresh on every response
    again = client.get("/api/v1/redoc/").content.decode()
    assert f'nonce="{nonce}"' not in again


def test_htmx_is_told_not_to_inject_its_indicator_style(client: Client) -> None:
    html = client.get("/staff/login/").content.decode()

    assert '"includeIndicatorStyles": false' in html


# --- templates --------------------------------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""=\s*["']\s*javascript:""", re.IGNORECASE)
COMMENTS = re.compile(
    r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|<!--.*?-->", re.DOTALL | re.IGNORECASE
)


def project_templates() -> list[Path]:
    roots = [settings.BASE_DIR / "templates"]
    roots += sorted(settings.BASE_DIR.glob("apps/*/templates"))
    roots += sorted(settings.BASE_DIR.glob("extracted/*/templates"))
    return [path for root in roots for path in sorted(root.rglob("*.html"))]


def inline_code_in(text: str) -> list[str]:
    """What a template holds that a strict CSP blocks: a script without src or nonce, a style
    element, a style attribute, an event handler attribute or a javascript: URL."""
    text = COMMENTS.sub("", text)
    found = []
    for match in SCRIPT_TAG.finditer(text):
        attributes = match.group(1)
        if "src=" not in attributes and "nonce=" not in attributes:
            found.append(match.group(0))
    for pattern in (STYLE_TAG, STYLE_ATTRIBUTE, HANDLER_ATTRIBUTE, JAVASCRIPT_URL):
        found += [match.group(0).strip() for match in pattern.finditer(text)]
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        "<style>p { color: red }</style>",
        '<p style="color: red">',
        "<button onclick='go()'>",
        '<a href="javascript:go()">',
    ],
)
def test_the_scan_finds_each_kind_of_inline_code(snippet: str) -> None:
    assert inline_code_in(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/portal/portal.js" defer></script>',
        '<script src="x.js" nonce="{{ CSP_NONCE }}"></script>',
        '<link rel="stylesheet" href="/static/portal/portal.css">',
        '<p class="styled">',
        "{# no <style> here: the CSP forbids it #}",
        "{% comment %}<script>old()</script>{% endcomment %}",
    ],
)
def test_the_scan_lets_files_and_nonced_scripts_pass(snippet: str) -> None:
    assert inline_code_in(snippet) == []


@pytest.mark.django_db(databases=[])
def test_no_template_holds_inline_script_or_style() -> None:
    templates = project_templates()
    assert len(templates) > 20  # the scan really reads the project's templates

    offenders = {
        str(path.relative_to(settings.BASE_DIR)): found
        for path in templates
        if (found := inline_code_in(path.read_text()))
    }

    assert offenders == {}


# --- production settings ----------------------------------------------------------------------

PROJECT = Path(__file__).resolve().parent.parent
# What a real deployment looks like: a long random secret, a host name, URLs of its servers.
DEPLOY_ENV = {
    "DJANGO_SETTINGS_MODULE": "healthportal.settings.production",
    "DJANGO_SECRET_KEY": "k7#Qz9!vR2mX8pL4wN6tY1uB3cE5gH0jK_sD-fA+zV@qW%eR^tY&uI*oP",
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://u:p@db.internal:5432/healthportal",
    "REDIS_URL": "redis://cache.internal:6379/0",
}
HEADER_PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in ("
    "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT', "
    "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', "
    "'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
    "'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', 'CSRF_COOKIE_SAMESITE', 'DEBUG')}))"
)


def run_with_production_settings(
    *command: str, **overrides: str
) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name != "SENTRY_DSN"}
    environment.update(DEPLOY_ENV, **overrides)
    return subprocess.run(
        [sys.executable, *command],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.django_db(databases=[])
def test_check_deploy_reports_nothing_with_production_settings() -> None:
    result = run_with_production_settings(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db(databases=[])
def test_check_deploy_does_complain_about_a_weak_secret() -> None:
    # The test above could pass with the deploy checks silenced; a weak secret must be caught.
    result = run_with_production_settings(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY="short"
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.django_db(databases=[])
def test_production_sends_the_transport_and_cookie_headers() -> None:
    result = run_with_production_settings("-c", HEADER_PROBE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "DEBUG": False,
    }


def test_every_response_says_nosniff_referrer_and_deny_framing(client: Client) -> None:
    response = client.get("/staff/login/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
