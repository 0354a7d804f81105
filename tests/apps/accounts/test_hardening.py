"""Authentication hardening: Argon2 hashes, strong passwords, lockout on every sign-in path,
idle and absolute session limits, refresh rotation, deactivation and second-factor resets."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.test import override_settings

from apps.accounts import public
from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.core.errors import ValidationFailed

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
