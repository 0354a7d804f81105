"""A stateful schemathesis run over the patient API with two patients: neither ever sees the
other's identifiers.

Schemathesis reads the OpenAPI schema drf-spectacular serves, infers the links between
operations (a booking's id feeds the appointment's detail, cancel and reschedule; a waitlist
entry's id feeds leave and accept) and runs sequences of calls as one patient, each sequence
from the same database (a savepoint rolled back after it). Links fill ids from the caller's
own answers; every third call naming an object asks for the other patient's instead, in the
middle of a sequence. A second pass calls every operation on its own, its path ids drawn from
the schema's integers and both patients' records. Every response is checked: no server error,
and none of the other patient's ids, MRN, names, email or phone — in a successful answer at
all, and in a refusal unless the caller sent the value itself. Hypothesis runs derandomized
with bounded examples: the same requests every run, in well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.api.test_schemathesis import _wsgi_app
from tests.security.conftest import PatientWorld

pytestmark = [
    pytest.mark.security,
    pytest.mark.django_db(databases=["default", "notifications"]),
]

CALLS = settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
SEQUENCES = settings(
    max_examples=40,
    stateful_step_count=6,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class SawTheOtherPatient(AssertionError):
    pass


def _ids_by_parameter(*owners: PatientWorld) -> dict[str, list[int]]:
    return {
        "appointment_id": [owner.appointment.id for owner in owners],
        "entry_id": [owner.waitlist_entry.id for owner in owners],
    }


def _with_known_ids(candidates: dict[str, list[int]]):
    """A flatmap_path_parameters hook: each id parameter is also drawn from `candidates` (both
    patients' records), not only from the schema's integers."""

    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.sampled_from([value, *candidates.get(name, [])])
                for name, value in path_parameters.items()
            }
        )

    return flatmap_path_parameters


def _sent(case) -> str:
    return repr((case.path_parameters, case.query, case.body))


def never_shows(victim: PatientWorld):
    """A schemathesis check: the response carries nothing of `victim`."""

    def never_shows_the_other_patient(ctx, response, case) -> None:
        if 200 <= response.status_code < 300:
            shown = victim.leaked_in(response.text)
        else:  # a refusal may repeat what the caller sent; that reveals nothing
            shown = victim.leaked_in(response.text, sent=_sent(case))
        if shown:
            raise SawTheOtherPatient(
                f"{case.method} {case.formatted_path} answered {response.status_code} with the "
                f"other patient's {', '.join(shown)}"
            )

    return never_shows_the_other_patient


# How a request naming the other patient's object may be answered: not found or forbidden, or
# invalid when its own body is (the input is checked before the object is looked up).
REFUSALS = (" 400", " 403", " 404")
DIRECTIONS = ["A calls, B is the victim", "B calls, A is the victim"]


def _roles(world, direction: str) -> tuple[PatientWorld, PatientWorld]:
    return (world.a, world.b) if direction.startswith("A") else (world.b, world.a)


def _schema(caller: PatientWorld, victim: PatientWorld):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", _wsgi_app())
    schema.hooks.register_hook_with_name(
        _with_known_ids(_ids_by_parameter(caller, victim)), "flatmap_path_parameters"
    )
    return schema


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_no_sequence_of_calls_shows_one_patient_the_others_records(world, direction):
    caller, victim = _roles(world, direction)
    token = caller.access_token()
    schema = _schema(caller, victim)
    checks = [not_a_server_error, never_shows(victim)]
    calls: list[str] = []
    victims_ids = {
        "appointment_id": victim.appointment.id,
        "entry_id": victim.waitlist_entry.id,
    }

    class AsCaller(schema.as_state_machine()):
        """Each sequence starts from the same database (a savepoint rolled back after it), so
        Hypothesis replays a sequence exactly and the run is deterministic."""

        def setup(self):
            cache.clear()  # throttling counters
            self.savepoint = transaction.savepoint()
            self.calls_naming_objects = 0

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def before_call(self, case):
            # Over any Authorization header generated from the schema's security scheme.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            # Links fill ids from the caller's own responses; every third call naming an
            # object asks for the victim's instead, mid-sequence, after the caller's changes.
            named = set(case.path_parameters or {}) & set(victims_ids)
            if named:
                self.calls_naming_objects += 1
                if self.calls_naming_objects % 3 == 0:
                    for name in named:
                        case.path_parameters[name] = victims_ids[name]

        def after_call(self, response, case):
            super().after_call(response, case)
            calls.append(f"{case.method} {case.formatted_path} {response.status_code}")

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=checks)

    try:
        AsCaller.run(settings=SEQUENCES)
    except Exception:
        raise

    asked_for_victims = [
        call
        for call in calls
        if str(victim.appointment.id) in call or str(victim.waitlist_entry.id) in call
    ]
    assert len(calls) > 50
    assert asked_for_victims, "no sequence asked for the other patient's records"
    assert [call for call in asked_for_victims if not call.endswith(REFUSALS)] == []


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_no_single_call_shows_one_patient_the_others_records(world, direction):
    """Every operation on its own too: the stateful run reaches only operations that links
    connect, and rarely asks for an object by an id no link produced."""
    caller, victim = _roles(world, direction)
    headers = {"Authorization": f"Bearer {caller.access_token()}"}
    checks = [not_a_server_error, never_shows(victim)]
    operations = [result.ok() for result in _schema(caller, victim).get_all_operations()]
    victims_ids = {str(victim.appointment.id), str(victim.waitlist_entry.id)}
    asked_for_victims: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @CALLS
        def call(case):
            cache.clear()
            sid = transaction.savepoint()
            try:
                response = case.call(headers=headers)
                case.validate_response(response, checks=checks)
            finally:
                transaction.savepoint_rollback(sid)
            if victims_ids & {str(v) for v in (case.path_parameters or {}).values()}:
                asked_for_victims.append(
                    f"{case.method} {case.formatted_path} {response.status_code}"
                )

        call()

    assert len(operations) >= 20
    assert asked_for_victims
    assert [call for call in asked_for_victims if not call.endswith(REFUSALS)] == []
