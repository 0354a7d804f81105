"""Portal invitations: the code is shown once and stored hashed; redeemed once, before expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.core.errors import Conflict, ValidationFailed
from apps.patients import public, services
from apps.patients.contracts import INVITATION_ALPHABET
from apps.patients.models import PortalInvitation
from tests.factories.accounts import UserFactory, user_in_role
from tests.factories.patients import registered_patient

pytestmark = pytest.mark.django_db


def test_issue_returns_the_code_once_and_stores_only_its_hash(payloads):
    # given a patient and a staff user
    patient = registered_patient()
    staff = UserFactory()

    # when the staff user issues an invitation
    invitation, code = services.invitation_issue(patient_id=patient.pk, issued_by_id=staff.id)

    # then the code is 8 characters of the unambiguous alphabet, and only its hash is stored
    assert len(code) == 8
    assert set(code) <= set(INVITATION_ALPHABET)
    stored = PortalInvitation.objects.get(pk=invitation.pk)
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert code not in {str(value) for value in PortalInvitation.objects.values().get().values()}
    assert stored.created_by_id == staff.id
    assert stored.used_at is None
    assert (
        dt.timedelta(days=7) - dt.timedelta(minutes=1)
        < stored.expires_at - timezone.now()
        <= dt.timedelta(days=7)
    )
    # and the event names the invitation, never the code
    [issued] = payloads("patients.PortalInvitationIssued")
    assert issued["invitation_id"] == invitation.pk
    assert issued["patient_id"] == patient.pk
    assert code not in str(issued)


def test_codes_differ_between_invitations():
    patient = registered_patient()

    codes = {public.invitation_issue(patient_id=patient.pk, issued_by_id=None) for _ in range(20)}

    assert len(codes) == 20


def test_a_code_is_redeemed_once(payloads):
    patient = registered_patient()
    code = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    assert services.invitation_redeem(code=code) == patient.pk
    with pytest.raises(ValidationFailed) as error:
        services.invitation_redeem(code=code)

    assert error.value.code == "invitation_invalid"
    assert PortalInvitation.objects.get().used_at is not None
    assert payloads("patients.PortalInvitationRedeemed") == [
        {"patient_id": patient.pk, "invitation_id": PortalInvitation.objects.get().pk}
    ]


def test_a_code_is_accepted_as_people_type_it():
    patient = registered_patient()
    code = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    typed = f" {code[:4].lower()}-{code[4:].lower()} "

    assert public.invitation_redeem(code=typed) == patient.pk


def _refusal(code: str) -> tuple[str, str, dict]:
    with pytest.raises(ValidationFailed) as error:
        services.invitation_redeem(code=code)
    return error.value.code, error.value.detail, error.value.field_errors


def test_used_expired_and_unknown_codes_are_refused_alike():
    # given a used code, an expired code and a code never issued
    patient = registered_patient()
    used = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)
    services.invitation_redeem(code=used)
    expired = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)
    PortalInvitation.objects.filter(code_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    unknown = "ABCDEFGH"

    # when each is redeemed, then each refusal is the same: nothing tells which it was
    refusals = [_refusal(code) for code in (used, expired, unknown, "short", "ABCDEFG0")]

    assert all(refusal == refusals[0] for refusal in refusals)
    assert refusals[0][0] == "invitation_invalid"


def test_an_expired_code_stays_unused():
    patient = registered_patient()
    invitation, code = services.invitation_issue(
        patient_id=patient.pk, issued_by_id=None, valid_for=dt.timedelta(hours=1)
    )
    PortalInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    _refusal(code)

    assert PortalInvitation.objects.get(pk=invitation.pk).used_at is None


def test_a_code_of_a_deactivated_patient_is_refused_and_stays_unused():
    patient = registered_patient()
    code = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)
    services.patient_deactivate(patient_id=patient.pk, by_id=None)

    assert _refusal(code)[0] == "invitation_invalid"
    assert PortalInvitation.objects.get().used_at is None


@pytest.mark.parametrize(
    ("prepare", "error_code"),
    [
        (lambda p: services.patient_deactivate(patient_id=p.pk, by_id=None), "patient_inactive"),
        (
            lambda p: services.patient_link_user(
                patient_id=p.pk, user_id=user_in_role(Role.PATIENT).id
            ),
            "patient_already_linked",
        ),
    ],
)
def test_no_invitation_for_a_patient_who_cannot_use_one(prepare, error_code):
    patient = registered_patient()
    prepare(patient)

    with pytest.raises(Conflict) as error:
        services.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    assert error.value.code == error_code
    assert PortalInvitation.objects.count() == 0


def test_an_invitation_must_be_valid_for_some_time():
    patient = registered_patient()

    with pytest.raises(ValidationFailed) as error:
        services.invitation_issue(
            patient_id=patient.pk, issued_by_id=None, valid_for=dt.timedelta()
        )

    assert list(error.value.field_errors) == ["valid_for"]


def test_a_clashing_code_is_drawn_again(monkeypatch):
    # given an invitation whose code is AAAAAAAA
    patient = registered_patient()
    drawn = iter("AAAAAAAA" + "AAAAAAAA" + "BBBBBBBB")
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(drawn))
    services.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    # when the next draw clashes with it
    _, code = services.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    # then a new code is drawn, and both invitations exist
    assert code == "BBBBBBBB"
    assert PortalInvitation.objects.count() == 2


def _wait_for_a_lock_wait(timeout: float = 10) -> bool:
    """True once some other session of this database is waiting for a row lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redeems_of_one_code_exactly_one_wins():
    # given one valid code, and a first redeem that has updated the row but not yet committed
    patient = registered_patient()
    code = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)
    outcomes: dict[str, object] = {}
    first_holds_the_row = threading.Event()
    first_may_commit = threading.Event()

    def redeem() -> object:
        try:
            return services.invitation_redeem(code=code)
        except ValidationFailed as error:
            return error.code

    def first() -> None:
        try:
            with transaction.atomic():
                outcomes["first"] = redeem()
                first_holds_the_row.set()
                first_may_commit.wait(10)
        finally:
            connection.close()

    def second() -> None:
        try:
            outcomes["second"] = redeem()
        finally:
            connection.close()

    first_thread = threading.Thread(target=first)
    first_thread.start()
    assert first_holds_the_row.wait(10)

    # when a second redeem of the same code arrives meanwhile (it saw the code unused)
    second_thread = threading.Thread(target=second)
    second_thread.start()
    second_waited = _wait_for_a_lock_wait()
    first_may_commit.set()
    first_thread.join(30)
    second_thread.join(30)

    # then it waited for the first, re-read the row, and lost: exactly one redeem won
    assert second_waited
    assert outcomes == {"first": patient.pk, "second": "invitation_invalid"}
    assert PortalInvitation.objects.filter(used_at__isnull=False).count() == 1
