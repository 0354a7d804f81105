"""Users, and users in a role."""

import factory
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.contracts import Role
from apps.accounts.models import User

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@clinic.test")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password(PASSWORD)


def user_in_role(role: Role, **fields: object) -> User:
    user = UserFactory(**fields, is_staff=role is Role.ADMIN, is_superuser=role is Role.ADMIN)
    user.groups.add(Group.objects.get(name=role.value))
    return user


def verify_second_factor(client: Client, user: User) -> None:
    """Mark a force-logged-in test client's session as having passed the second factor, as the
    staff sign-in does (the admin and the portal refuse an unverified session)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def signed_in_admin(client: Client, user: User) -> Client:
    """Force-log `user` in and pass the second factor (for tests not about signing in)."""
    client.force_login(user)
    verify_second_factor(client, user)
    return client


TEST_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, as hex


def current_code(key: str = TEST_TOTP_KEY) -> str:
    return f"{TOTP(bytes.fromhex(key)).token():06d}"


def with_authenticator(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", key=TEST_TOTP_KEY, confirmed=True)


def sign_in(client: Client, user: User) -> None:
    """Password, then the current code — as a person does."""
    response = client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    response = client.post("/staff/login/verify/", {"code": current_code()})
    assert response.status_code == 302, response.content
