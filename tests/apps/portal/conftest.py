"""Signed-in staff for portal tests: a user in a role, with an authenticator app, who signs in
through the real forms (password, then a TOTP code)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from django.test import Client

from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.providers.models import Location
from tests.factories.accounts import sign_in, user_in_role, with_authenticator
from tests.factories.providers import StaffAssignmentFactory

StaffClient = Callable[..., tuple[Client, User]]


@pytest.fixture
def staff_client(db) -> StaffClient:
    """`staff_client(Role.CLINICIAN, locations=[...])`: a signed-in client and its user."""

    def make(
        role: Role = Role.FRONT_DESK, locations: Iterable[Location] = ()
    ) -> tuple[Client, User]:
        user = user_in_role(role)
        with_authenticator(user)
        for location in locations:
            StaffAssignmentFactory(user=user, location=location)
        client = Client()
        sign_in(client, user)
        return client, user

    return make
