"""A whole flow, every logger at DEBUG: the patient's names, birth date, email, phone and any JWT
appear in no log record.

Front desk registers a walk-in in the staff portal and issues a portal invitation; the patient
registers with it through the API, signs in for a JWT (after a wrong password), reads their
profile and books; front desk searches for them and reads the chart; the relay runs and the
notifications consumer sends the confirmation.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger
from rest_framework.test import APIClient

from apps.accounts.contracts import Role
from apps.core import outbox
from apps.patients.models import Patient
from extracted.notifications import tasks as notification_tasks
from extracted.notifications.models import Message, Status
from tests.apps.scheduling.conftest import clinic  # noqa: F401 - the fixture
from tests.conftest import queued_messages
from tests.extracted.notifications.conftest import (  # noqa: F401 - outbox_dir is a fixture
    BOTH,
    mail_files,
    outbox_dir,
)
from tests.factories.accounts import PASSWORD, sign_in, user_in_role, with_authenticator
from tests.factories.providers import StaffAssignmentFactory

PROJECT = Path(__file__).resolve().parent.parent
FAMILY, GIVEN = "Quixtonbury", "Zephyrine"
EMAIL = "zephyrine.quixtonbury@example.test"
LOGIN = "zq.login@example.test"
WALK_IN = {
    "family_name": FAMILY,
    "given_name": GIVEN,
    "birth_date": "1983-07-19",
    "gender": "female",
    "phone": "+1 555 013 4477",
    "email": EMAIL,
    "address_line": "17 Larkspur Lane",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "us",
    "emergency_contact_name": "Xavier Quixtonbury",
    "emergency_contact_phone": "+15550134478",
    "emergency_contact_relationship": "spouse",
    "preferred_language": "en",
    "consent_sms": "on",
    "consent_email": "on",
}
# Every spelling of the patient's identifiers that a log line could carry.
FORBIDDEN = [
    FAMILY,
    GIVEN,
    "Larkspur",
    "Xavier",
    EMAIL,
    LOGIN,
    "1983-07-19",
    "19/07/1983",
    "07/19/1983",
    "19.07.1983",
    "1983/07/19",
    "19830719",
    "July 19, 1983",
    "19 July 1983",
    "19 Jul 1983",
    "Jul 19, 1983",
    "+15550134477",
    "+1 555 013 4477",
    "5550134477",
    "555-013-4477",
    "555 013 4477",
    "(555) 013-4477",
    "+15550134478",
    "eyJ",
]


def leaks(records: list[logging.LogRecord]) -> list[tuple[str, str, str]]:
    """(logger, forbidden value, text) for each record whose message, arguments, extra fields
    or traceback hold one of the patient's identifiers or a JWT, as the console would write it."""
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    found = []
    for record in records:
        texts = [record.getMessage(), repr(record.args), str(record.exc_text or "")]
        texts.append(console.format(record))
        texts.append(repr({k: v for k, v in vars(record).items() if k not in ("msg", "args")}))
        for text in texts:
            for value in FORBIDDEN:
                if value.lower() in text.lower():
                    found.append((record.name, value, text[:300]))
    return found


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db(databases=BOTH)
def test_a_whole_flow_writes_no_phi_and_no_token_to_the_logs(
    caplog,
    clinic,  # noqa: F811 - pytest fixture injection
    broker_on,
    outbox_dir,  # noqa: F811 - pytest fixture injection
):
    # every logger that does not set its own level (the settings pin django.db.backends at
    # INFO, so SQL parameters never log) records at DEBUG, all through the project's handlers
    caplog.set_level(logging.DEBUG)

    # given: front desk at the clinic's location, signed in with password and code
    desk = user_in_role(Role.FRONT_DESK)
    with_authenticator(desk)
    StaffAssignmentFactory(user=desk, location=clinic.location)
    portal = Client()
    sign_in(portal, desk)

    # when: front desk registers the walk-in and issues a portal invitation
    response = portal.post("/staff/patients/new/", WALK_IN)
    assert response.status_code == 302, response.content
    patient = Patient.objects.get(family_name=FAMILY)
    invitation = portal.post(f"/staff/patients/{patient.id}/invitation/")
    code = re.search(r'<p class="invitation-code">(\w+)</p>', invitation.content.decode())[1]

    # and the patient registers with it, mistypes the password once, then signs in
    api = APIClient()
    registered = api.post(
        "/api/v1/auth/register/",
        {"email": LOGIN, "password": PASSWORD, "invitation_code": code},
        format="json",
    )
    assert registered.status_code == 201, registered.content
    wrong = api.post("/api/v1/auth/token/", {"email": LOGIN, "password": "nope"}, format="json")
    assert wrong.status_code == 401
    tokens = api.post("/api/v1/auth/token/", {"email": LOGIN, "password": PASSWORD}, format="json")
    assert tokens.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert api.get("/api/v1/me/").json()["family_name"] == FAMILY
    # (a URL that does not exist, with PHI in its query: Django logs the miss)
    assert api.get(f"/api/v1/me/nothing/?email={EMAIL}&dob=1983-07-19").status_code == 404

    # and books a visit
    slot = clinic.slot(hour=15)
    booked = api.post(
        "/api/v1/me/appointments/",
        {"slot": slot.id, "appointment_type": clinic.visit.id, "reason": "Knee pain"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="flow-1",
    )
    assert booked.status_code == 201, booked.content

    # and front desk searches for the patient by name and reads the chart
    search = portal.get("/staff/patients/", {"q": f"{FAMILY}, {GIVEN}"})
    assert f"/staff/patients/{patient.id}/" in search.content.decode()
    chart = portal.get(f"/staff/patients/{patient.id}/")
    assert chart.status_code == 200
    assert FAMILY in chart.content.decode()
    assert portal.get(f"/staff/patients/{patient.id}/nothing/?q={FAMILY}").status_code == 404

    # and the relay hands the events to the notifications queue, whose consumer runs here
    outbox.outbox_relay_all()
    bodies = queued_messages(broker_on.broker_url, "notifications")
    assert bodies
    for args, _kwargs, _embed in bodies:
        notification_tasks.consume(*args)

    # then: the confirmation was sent to the patient
    sent = Message.objects.filter(
        kind="confirmation", patient_id=patient.id, status=Status.SENT, channel="email"
    )
    assert sent.exists()
    assert mail_files(outbox_dir)
    # and the flow did log (requests, the relay, the consumer): the scan below read something
    assert len(caplog.records) >= 5, [r.getMessage() for r in caplog.records]
    # but no record holds the patient's identifiers or a token
    assert leaks(caplog.records) == []


def test_gunicorns_access_log_names_no_query_string_and_no_referer():
    # given: gunicorn's logger with the project's gunicorn.conf.py, as the image starts it
    cfg = Config()
    cfg.set("accesslog", "-")
    for name, value in runpy.run_path(str(PROJECT / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    access = GunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/staff/patients/?q={FAMILY}",
        "PATH_INFO": "/staff/patients/",
        "QUERY_STRING": f"q={FAMILY}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": f"https://portal.example.org/staff/patients/?email={EMAIL}",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("X-Request-ID", "a1b2")])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    # when: a request is written to the access log
    atoms = access.atoms_wrapper_class(access.atoms(response, request, environ, dt.timedelta()))
    line = cfg.access_log_format % atoms

    # then: the path is there, the query and the referer are not
    assert line.startswith('10.0.0.7 "GET /staff/patients/" 200 512 ')
    assert line.endswith(" a1b2")
    assert FAMILY not in line
    assert EMAIL not in line
