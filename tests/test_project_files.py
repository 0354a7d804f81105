"""docker-compose.yml and the README agree with the settings the code reads.

No Docker engine runs here, so compose is checked by reading it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from healthportal.settings.environment import DECLARED, VARIABLES

PROJECT = Path(__file__).resolve().parent.parent
APP_SERVICES_REQUIRED = ("migrate", "web", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((PROJECT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _command(service: dict) -> str:
    return " ".join(service["command"])


def test_compose_has_the_stack(services):
    workers = {f"worker-{queue}" for queue in settings.QUEUE_NAMES}

    assert set(services) == {"postgres", "redis", *APP_SERVICES_REQUIRED, *workers}


def test_each_queue_has_a_worker_consuming_exactly_it(services):
    for queue in settings.QUEUE_NAMES:
        command = services[f"worker-{queue}"]["command"]
        assert command[:4] == ["celery", "-A", "healthportal", "worker"]
        assert command[command.index("-Q") + 1] == queue


def test_commands_run_the_right_programs(services):
    # migrate_all creates the extracted services' databases, then migrates every alias.
    assert _command(services["migrate"]) == "python manage.py migrate_all --noinput"
    assert _command(services["web"]).startswith("gunicorn healthportal.wsgi:application")
    assert _command(services["beat"]).startswith("celery -A healthportal beat")


def test_app_services_get_every_variable_production_requires_and_only_declared_ones(services):
    app_services = [name for name in services if name not in ("postgres", "redis")]
    required = {v.name for v in VARIABLES if v.required_in_production}
    for name in app_services:
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "healthportal.settings.production"
        assert required <= set(environment), name
        assert set(environment) <= set(DECLARED), name


def test_app_services_point_at_the_compose_servers(services):
    environment = services["web"]["environment"]

    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")


def test_servers_have_health_checks_and_apps_wait_for_them(services):
    for server in ("postgres", "redis", "web"):
        assert services[server]["healthcheck"]["test"], server
    for name in ("web", "beat", *(f"worker-{q}" for q in settings.QUEUE_NAMES)):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_web_health_check_probes_readiness(services):
    assert "/health/ready" in " ".join(services["web"]["healthcheck"]["test"])


def test_readme_names_the_two_commands_and_documents_every_variable():
    readme = (PROJECT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))

    assert "make run" in readme
    assert "make test" in readme
    assert documented == set(DECLARED)


def test_every_requirement_is_pinned():
    for path in (PROJECT / "requirements").glob("*.txt"):
        for raw in path.read_text().splitlines():
            line = raw.split("#")[0].strip()
            if line and not line.startswith("-r "):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.\-+]*", line), (
                    f"{path.name}: {line}"
                )


def test_django_stays_on_the_5_2_lts():
    assert "Django==5.2." in (PROJECT / "requirements" / "base.txt").read_text()
