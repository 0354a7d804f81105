"""Authentication hardening: Argon2 hashes, strong passwords, lockout on every sign-in path,
idle and absolute session limits, refresh rotation, deactivation and second-factor resets."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import public
from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.core.errors import ValidationFailed
from tests.apps.patients.conftest import outbox_payloads as payloads
from tests.factories.accounts import (
    PASSWORD,
    sign_in,
    signed_in_admin,
    user_in_role,
    with_authenticator,
)
from tests.factories.patients import PatientFactory

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def test_argon2_is_the_first_hasher_of_the_shared_settings():
    # (the test settings use a fast hasher; production and local inherit the shared list)
    from healthportal.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_new_password_is_hashed_with_argon2id():
    ref = public.user_create(
        email="argon@clinic.test", role=Role.CLINICIAN, password="a-long-new-password-9"
    )

    encoded = User.objects.get(pk=ref.id).password
    # argon2-cffi is installed: the hasher imports it lazily, so only a real hash proves it
    assert get_hasher("argon2").verify("a-long-new-password-9", encoded)
    assert identify_hasher(encoded).algorithm == "argon2"
    assert encoded.startswith("argon2$argon2id$")


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_an_older_pbkdf2_hash_is_upgraded_at_the_next_sign_in():
    user = User.objects.create(email="old@clinic.test")
    user.password = get_hasher("pbkdf2_sha256").encode("a-long-old-password-1", "saltsaltsalt")
    user.save()

    assert user.check_password("a-long-old-password-1")

    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Sh0rt-pass!", "too short"),  # 11 characters
        ("password1234", "too common"),  # 12 characters, on Django's common-password list
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_naming_the_rule(password, rule):
    with pytest.raises(ValidationFailed) as error:
        public.user_create(email="weak@clinic.test", role=Role.PATIENT, password=password)

    assert any(rule in message for message in error.value.field_errors["password"])


def test_a_password_of_twelve_uncommon_characters_is_accepted():
    ref = public.user_create(email="ok@clinic.test", role=Role.PATIENT, password="tapir-K3ttle")

    assert User.objects.get(pk=ref.id).check_password("tapir-K3ttle")


# --- lockout on every sign-in path --------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters live in the cache, which outlives each test's database rollback."""
    cache.clear()
    yield
    cache.clear()


def _patient_login() -> User:
    patient = PatientFactory()
    patient.user = user_in_role(Role.PATIENT, email=patient.email)
    patient.save(update_fields=["user"])
    return patient.user


def _post_portal(client: Client, email: str, password: str):
    return client.post("/staff/login/", {"email": email, "password": password})


def _post_admin(client: Client, email: str, password: str):
    return client.post("/admin/login/", {"email": email, "password": password})


def _post_api(client: Client, email: str, password: str):
    return client.post(
        TOKEN_URL, {"email": email, "password": password}, content_type="application/json"
    )


SIGN_IN_PATHS = {
    "staff-portal": (_post_portal, Role.FRONT_DESK, 302),
    "admin": (_post_admin, Role.ADMIN, 302),
    "api-token": (_post_api, Role.PATIENT, 200),
}


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_every_sign_in_path_locks_the_login_out_after_the_failure_limit(path):
    post, role, success = SIGN_IN_PATHS[path]
    user = _patient_login() if role is Role.PATIENT else user_in_role(role)
    client = Client()
    # given: the right password works on this path
    assert post(client, user.email, PASSWORD).status_code == success
    client = Client()

    # when: the limit of wrong passwords is reached
    statuses = [
        post(client, user.email, "wrong-password-x").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    # then: the last failure locks, and even the right password is refused now
    assert statuses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert post(client, user.email, PASSWORD).status_code == 429
    assert AccessAttempt.objects.filter(username=user.email).exists()


def test_a_lockout_on_one_path_holds_on_the_others():
    # given: an admin locked out through the admin's sign-in form
    user = user_in_role(Role.ADMIN)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_admin(Client(), user.email, "wrong-password-x")

    # then: the staff portal refuses the right password too (one counter per login and address)
    assert _post_portal(Client(), user.email, PASSWORD).status_code == 429


# --- sessions: idle and absolute limits, refresh rotation ---------------------------------------


def _staff_client(role: Role = Role.FRONT_DESK) -> tuple[Client, User]:
    user = user_in_role(role)
    with_authenticator(user)
    client = Client()
    sign_in(client, user)
    return client, user


def test_an_idle_session_is_ended_by_the_server_not_only_by_the_cookie():
    client, _ = _staff_client()
    assert client.get("/staff/").status_code == 200
    # given: the session saw no request for longer than the idle limit
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_each_request_moves_the_idle_deadline_on():
    client, _ = _staff_client()
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=1)
    )

    client.get("/staff/")

    expires = Session.objects.get(session_key=key).expire_date
    idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    assert expires > timezone.now() + idle - dt.timedelta(minutes=1)


def test_a_refresh_token_is_single_use():
    user = _patient_login()
    pair = _post_api(Client(), user.email, PASSWORD).json()

    rotated = Client().post(
        REFRESH_URL, {"refresh": pair["refresh"]}, content_type="application/json"
    )
    replayed = Client().post(
        REFRESH_URL, {"refresh": pair["refresh"]}, content_type="application/json"
    )

    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != pair["refresh"]
    assert replayed.status_code == 401


# --- deactivation -------------------------------------------------------------------------------


def test_deactivation_signs_an_open_session_out_at_its_next_request():
    # given: a clinician with an open portal session, and a second one elsewhere
    client, user = _staff_client(Role.CLINICIAN)
    other = signed_in_admin(Client(), user)  # (a TOTP code signs in only once)
    assert client.get("/staff/").status_code == 200
    admin = user_in_role(Role.ADMIN)

    # when
    public.user_deactivate(user_id=user.pk, by_id=admin.pk)

    # then: both sessions are gone from the store, and the next request is anonymous
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all()
    )
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert other.get("/staff/").status_code == 302
    assert not User.objects.get(pk=user.pk).is_active


def test_deactivation_revokes_every_refresh_token_at_once():
    # given: a patient signed in on two devices
    user = _patient_login()
    first = _post_api(Client(), user.email, PASSWORD).json()
    second = _post_api(Client(), user.email, PASSWORD).json()

    public.user_deactivate(user_id=user.pk, by_id=None)

    for pair in (first, second):
        response = Client().post(
            REFRESH_URL, {"refresh": pair["refresh"]}, content_type="application/json"
        )
        assert response.status_code == 401
    # and the password no longer signs in
    assert _post_api(Client(), user.email, PASSWORD).status_code == 401


def test_deactivation_emits_one_event_naming_who_did_it():
    user, admin = user_in_role(Role.CLINICIAN), user_in_role(Role.ADMIN)

    public.user_deactivate(user_id=user.pk, by_id=admin.pk)
    public.user_deactivate(user_id=user.pk, by_id=admin.pk)  # again: nothing new happened

    assert payloads("accounts.UserDeactivated") == [{"user_id": user.pk, "by_id": admin.pk}]


def test_other_users_sessions_survive_a_deactivation():
    client, _ = _staff_client()
    user = user_in_role(Role.CLINICIAN)

    public.user_deactivate(user_id=user.pk, by_id=None)

    assert client.get("/staff/").status_code == 200


def _admin_client() -> tuple[Client, User]:
    admin = user_in_role(Role.ADMIN)
    return signed_in_admin(Client(), admin), admin


def test_unticking_active_in_the_admin_deactivates_through_the_service():
    staff, user = _staff_client(Role.CLINICIAN)
    admin_client, admin = _admin_client()
    form = admin_client.get(f"/admin/accounts/user/{user.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(groups=[group.pk for group in user.groups.all()], is_active="")
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)

    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not User.objects.get(pk=user.pk).is_active
    assert payloads("accounts.UserDeactivated") == [{"user_id": user.pk, "by_id": admin.pk}]
    assert staff.get("/staff/").status_code == 302


def test_the_admin_action_deactivates_the_selected_users():
    staff, user = _staff_client(Role.CLINICIAN)
    admin_client, admin = _admin_client()

    response = admin_client.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [user.pk]}
    )

    assert response.status_code == 302
    assert not User.objects.get(pk=user.pk).is_active
    assert payloads("accounts.UserDeactivated") == [{"user_id": user.pk, "by_id": admin.pk}]
    assert staff.get("/staff/").status_code == 302


# --- a lost second factor -----------------------------------------------------------------------


def test_the_admin_resets_a_lost_second_factor_and_the_user_enrols_again():
    # given: a clinician signed in with an authenticator app and backup codes
    staff, user = _staff_client(Role.CLINICIAN)
    public.backup_codes_regenerate(user_id=user.pk)
    admin_client, admin = _admin_client()

    # when
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [user.pk]}
    )

    # then: no device is left, the open session is over, and the event names the admin
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert staff.get("/staff/").status_code == 302
    assert payloads("accounts.UserSecondFactorReset") == [{"user_id": user.pk, "by_id": admin.pk}]
    # and the next sign-in goes to enrolment, the account staying active
    fresh = Client()
    response = _post_portal(fresh, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/enrol/")
    assert User.objects.get(pk=user.pk).is_active


@pytest.mark.parametrize(
    "path", ["/staff/", "/staff/patients/", "/staff/notifications/", "/admin/"]
)
def test_a_password_alone_reaches_no_staff_page(path):
    # given: a staff member past the password, not the second factor
    user = user_in_role(Role.ADMIN)
    with_authenticator(user)
    client = Client()
    assert _post_portal(client, user.email, PASSWORD).status_code == 302

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(("/staff/login/", "/admin/login/"))
