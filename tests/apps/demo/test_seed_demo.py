"""seed_demo creates the demo logins once, with one password hash, and never in production."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import User
from apps.demo.management.commands.seed_demo import DEMO_PASSWORD, DEMO_STAFF

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_logins_once_and_lists_them():
    first, second = io.StringIO(), io.StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    assert User.objects.count() == len(DEMO_STAFF)
    assert "3 new login(s)" in first.getvalue()
    assert "0 new login(s)" in second.getvalue()
    for email, _, _ in DEMO_STAFF:
        assert email in second.getvalue()
        assert authenticate(username=email, password=DEMO_PASSWORD) is not None


def test_every_demo_user_shares_one_password_hash():
    call_command("seed_demo", stdout=io.StringIO())

    assert User.objects.values("password").distinct().count() == 1


def test_seed_demo_refuses_production_settings(settings):
    from healthportal.settings import production

    settings.DEMO_DATA_ALLOWED = production.DEMO_DATA_ALLOWED

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.count() == 0
