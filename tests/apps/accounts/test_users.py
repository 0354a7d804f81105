"""Users sign in by email; roles are groups created by a migration; the admin needs a login."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.accounts import public
from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.core.errors import Conflict, ValidationFailed
from tests.factories.accounts import (
    PASSWORD,
    UserFactory,
    current_code,
    sign_in,
    user_in_role,
    with_authenticator,
)

pytestmark = pytest.mark.django_db


def test_the_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_the_admin_role_may_manage_users():
    codenames = set(Group.objects.get(name="admin").permissions.values_list("codename", flat=True))

    assert {"add_user", "change_user", "view_user"} <= codenames


def test_user_create_normalises_the_email_and_puts_the_user_in_the_role():
    ref = public.user_create(email="  Nurse@Clinic.TEST ", role=Role.CLINICIAN, password=PASSWORD)

    user = User.objects.get(pk=ref.id)
    assert user.email == "nurse@clinic.test"
    assert ref.roles == frozenset({Role.CLINICIAN})
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert public.user_has_role(user_id=ref.id, role=Role.CLINICIAN)
    assert not public.user_has_role(user_id=ref.id, role=Role.ADMIN)


def test_only_the_admin_role_reaches_the_django_admin():
    admin = public.user_create(email="a@clinic.test", role=Role.ADMIN, password=PASSWORD)
    desk = public.user_create(email="d@clinic.test", role=Role.FRONT_DESK, password=PASSWORD)

    assert User.objects.get(pk=admin.id).is_staff
    assert not User.objects.get(pk=desk.id).is_staff


def test_an_email_is_taken_whatever_its_case():
    UserFactory(email="taken@clinic.test")

    with pytest.raises(Conflict) as error:
        public.user_create(email="TAKEN@clinic.test", role=Role.PATIENT, password=PASSWORD)

    assert error.value.code == "email_taken"
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("ok@clinic.test", "short", "password"),
        ("ok@clinic.test", "password12345", "password"),
    ],
)
def test_invalid_input_is_refused_with_the_field_and_nothing_is_written(email, password, field):
    with pytest.raises(ValidationFailed) as error:
        public.user_create(email=email, role=Role.PATIENT, password=password)

    assert set(error.value.field_errors) == {field}
    assert User.objects.count() == 0


def test_deactivated_users_lose_their_roles_for_checks():
    user = user_in_role(Role.CLINICIAN)
    user.is_active = False
    user.save()

    assert not public.user_has_role(user_id=user.id, role=Role.CLINICIAN)


def test_the_admin_shows_anonymous_visitors_the_staff_sign_in(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/admin/login/?next=/admin/"
    assert b"Staff sign-in" in response.content


def test_an_admin_signs_in_to_the_admin_with_email_in_any_case(client):
    admin = user_in_role(Role.ADMIN, email="boss@clinic.test")
    with_authenticator(admin)

    response = client.post(
        "/staff/login/?next=/admin/",
        {"email": "Boss@Clinic.test", "password": PASSWORD},
    )
    verified = client.post(response["Location"], {"code": current_code()})
    index = client.get("/admin/")

    assert verified["Location"] == "/admin/"
    assert index.status_code == 200
    assert b"HealthPortal administration" in index.content


def test_front_desk_signed_in_with_both_factors_still_cannot_use_the_admin(client):
    desk = user_in_role(Role.FRONT_DESK, email="desk@clinic.test")
    with_authenticator(desk)
    sign_in(client, desk)

    assert client.get("/staff/").status_code == 200
    assert client.get("/admin/", follow=True).status_code == 403


def test_createsuperuser_makes_an_admin_in_the_role_sense_too():
    user = User.objects.create_superuser("root@clinic.test", PASSWORD)

    assert public.user_has_role(user_id=user.id, role=Role.ADMIN)
    assert public.user_is_staff(user_id=user.id)


def test_patients_are_not_staff():
    patient = user_in_role(Role.PATIENT)

    assert not public.user_is_staff(user_id=patient.id)


def test_failed_staff_sign_ins_lock_out_that_login_only(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    user_in_role(Role.ADMIN, email="boss@clinic.test")
    user_in_role(Role.ADMIN, email="other@clinic.test")
    for _ in range(2):
        client.post("/staff/login/", {"email": "BOSS@clinic.test", "password": "wrong-guess"})

    locked = client.post("/staff/login/", {"email": "boss@clinic.test", "password": PASSWORD})
    other = client.post("/staff/login/", {"email": "other@clinic.test", "password": PASSWORD})

    assert locked.status_code == 429
    assert other.status_code == 302
