"""Staff sign-in: password, then a second factor; enrolment; backup codes; lockout; limits."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.contracts import Role
from apps.accounts.sessions import SIGNED_IN_AT
from tests.factories.accounts import (
    PASSWORD,
    current_code,
    sign_in,
    user_in_role,
    with_authenticator,
)

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_sign_in_with_the_page_to_return_to():
    response = Client().get("/staff/?date=2030-01-07")

    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=%2Fstaff%2F%3Fdate%3D2030-01-07"


def test_a_password_alone_does_not_open_the_portal():
    # Given a clinician with an authenticator app who has typed only the password
    user = user_in_role(Role.CLINICIAN)
    with_authenticator(user)
    client = Client()
    response = client.post("/staff/login/", {"email": user.email, "password": PASSWORD})

    # Then they are asked for the code, and the portal and the admin stay shut
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/verify/")
    assert client.get("/staff/")["Location"].startswith("/staff/login/verify/")
    assert (
        client.get("/admin/", follow=True).redirect_chain[-1][0].startswith("/staff/login/verify/")
    )


def test_a_wrong_code_is_refused_and_the_right_one_signs_in():
    user = user_in_role(Role.FRONT_DESK)
    with_authenticator(user)
    client = Client()
    client.post("/staff/login/", {"email": user.email, "password": PASSWORD})

    wrong = client.post("/staff/login/verify/", {"code": "000000", "next": "/staff/"})
    assert wrong.status_code == 401
    assert b"That code is not correct" in wrong.content

    # django-otp throttles a device after a failure; the next try is allowed after a pause
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0)
    right = client.post("/staff/login/verify/", {"code": current_code(), "next": "/staff/"})
    assert right.status_code == 302
    assert right["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_first_sign_in_enrols_an_authenticator_and_shows_backup_codes_once():
    # Given a new clinician without an authenticator
    user = user_in_role(Role.CLINICIAN)
    client = Client()
    response = client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert response["Location"].startswith("/staff/login/enrol/")

    # When they open the enrolment page, they see a QR code and the key to type
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<svg" in page.content
    secret = re.search(rb'class="secret">([A-Z2-7]+)<', page.content).group(1).decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.config_url.find(f"secret={secret}") > 0

    # And confirm with the app's code
    code = f"{TOTP(device.bin_key).token():06d}"
    done = client.post("/staff/login/enrol/", {"code": code})

    # Then the device is confirmed, ten backup codes are shown, and the session is verified
    assert done.status_code == 200
    codes = re.findall(rb"<li>([a-z0-9]{8})</li>", done.content)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get("/staff/").status_code == 200


def test_a_backup_code_signs_in_once():
    user = user_in_role(Role.FRONT_DESK)
    with_authenticator(user)
    first = Client()
    sign_in(first, user)
    codes = first.post("/staff/account/backup-codes/")
    code = re.findall(rb"<li>([a-z0-9]{8})</li>", codes.content)[0].decode()

    second = Client()
    second.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert second.post("/staff/login/verify/", {"code": code}).status_code == 302

    third = Client()
    third.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert third.post("/staff/login/verify/", {"code": code}).status_code == 401
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_a_patient_account_cannot_sign_in_to_the_portal():
    patient = user_in_role(Role.PATIENT)
    client = Client()

    response = client.post("/staff/login/", {"email": patient.email, "password": PASSWORD})

    assert response.status_code == 403
    assert b"not a staff account" in response.content
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_lock_the_login_out():
    user = user_in_role(Role.FRONT_DESK)
    with_authenticator(user)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            client.post("/staff/login/", {"email": user.email, "password": "wrong"}).status_code
            == 401
        )
    # The failure that reaches the limit locks the login
    assert (
        client.post("/staff/login/", {"email": user.email, "password": "wrong"}).status_code == 429
    )

    # Then even the right password is refused, with a clear message
    locked = client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content


def test_the_admin_needs_the_second_factor_and_the_admin_role():
    admin_user = user_in_role(Role.ADMIN)
    with_authenticator(admin_user)
    client = Client()
    # The admin's login URL serves the staff sign-in form, returning to the admin
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert b"Staff sign-in" in page.content
    assert b'name="next" value="/admin/"' in page.content
    sign_in(client, admin_user)
    assert client.get("/admin/").status_code == 200

    # A clinician signed in with both factors is told the admin is not for them (no loop)
    clinician_client = Client()
    clinician = user_in_role(Role.CLINICIAN)
    with_authenticator(clinician)
    sign_in(clinician_client, clinician)
    refused = clinician_client.get("/admin/", follow=True)
    assert refused.status_code == 403
    assert b"Only staff signed in as administrators may use the Django admin" in refused.content


def test_sessions_end_when_idle_and_after_the_absolute_limit(staff_client):
    client, _ = staff_client(Role.FRONT_DESK)
    # Idle: the session lives SESSION_IDLE_MINUTES from the last request, renewed each time
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST

    # Absolute: a session signed in longer ago than SESSION_MAX_HOURS is ended
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert "_auth_user_id" not in client.session


def test_signing_out_ends_the_session(staff_client):
    client, _ = staff_client(Role.CLINICIAN)

    response = client.post("/staff/logout/")

    assert response["Location"] == "/staff/login/"
    assert client.get("/staff/").status_code == 302
