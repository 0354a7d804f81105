"""Property-based tests of the whole API from its OpenAPI schema (schemathesis).

As a demo patient with data to act on, schemathesis generates requests for every operation and
checks that none is answered with a server error, or with a status, content type or body that
the schema does not describe. Examples per operation are bounded to keep CI fast.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.cache import cache
from django.test.client import ClientHandler
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import access_token_for
from tests.apps.scheduling.conftest import clinic  # noqa: F401 - the fixture
from tests.factories.allergies import AllergyFactory
from tests.factories.scheduling import AppointmentFactory

# Every operation, the notifications service's included, so every database.
pytestmark = pytest.mark.django_db(databases=["default", "notifications"])
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _wsgi_app():
    """The project as a WSGI app that, like the test client, keeps the test's database
    connection (and its transaction) open across requests."""
    handler = ClientHandler()

    def app(environ, start_response):
        response = handler(environ)
        headers = [*response.items()]
        headers += [("Set-Cookie", c.output(header="")) for c in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content]

    return app


@pytest.fixture
def api_schema():
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", _wsgi_app())


@pytest.fixture
def demo_patient_token(clinic, make_patient):  # noqa: F811 - pytest fixture injection
    """A patient with an allergy, an upcoming appointment and free slots to book."""
    cache.clear()  # throttling counters of earlier tests
    patient = make_patient()
    AllergyFactory(patient=patient)
    AppointmentFactory(patient=patient, slot=clinic.slot(days_ahead=5))
    for hour in (9, 10, 11):
        clinic.slot(hour=hour, days_ahead=6)
    clinic.role.practitioner.languages = ["en", "es"]
    clinic.role.practitioner.save()
    assert clinic.slot(hour=12, days_ahead=6).start > dt.datetime.now(dt.UTC)
    return access_token_for(patient)


def test_the_api_never_errors_and_always_answers_as_documented(api_schema, demo_patient_token):
    headers = {"Authorization": f"Bearer {demo_patient_token}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # noqa: BLE001 - collected, reported together below
            failures[operation.label] = str(failure)[:2000]

    assert len(operations) >= 20
    assert failures == {}
