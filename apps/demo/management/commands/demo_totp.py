"""manage.py demo_totp: the current sign-in code of the demo staff's authenticator (dev only)."""

from __future__ import annotations

import base64

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from apps.demo.clinic import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff accounts (refused in production)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("demo_totp refuses to run with production settings.")
        totp = TOTP(base64.b32decode(DEMO_TOTP_SECRET))
        remaining = totp.step - int(totp.time - totp.t0) % totp.step
        self.stdout.write(f"{totp.token():06d} (valid for another {remaining} s)")
