"""manage.py seed_demo: the demo clinic's data, created once; running it again adds nothing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.contracts import Role
from apps.accounts.public import user_create, user_find

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published in the README, dev data only
DEMO_STAFF = (
    ("admin@demo.clinic", Role.ADMIN, "Ada Admin"),
    ("clinician@demo.clinic", Role.CLINICIAN, "Dr. Cleo Clinician"),
    ("frontdesk@demo.clinic", Role.FRONT_DESK, "Frank Frontdesk"),
)


class Command(BaseCommand):
    help = "Create the demo clinic's logins and data (idempotent; refused in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not list logins.")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("seed_demo refuses to run with production settings.")
        password_hash = make_password(DEMO_PASSWORD)  # hashed once for every demo user
        created = 0
        for email, role, name in DEMO_STAFF:
            if user_find(email=email) is None:
                user_create(email=email, role=role, password_hash=password_hash, display_name=name)
                created += 1
        self.stdout.write(f"Demo data: {created} new login(s); existing ones left as they were.")
        if not options["quiet_logins"]:
            self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
            for email, role, _ in DEMO_STAFF:
                if user_find(email=email) is not None:
                    self.stdout.write(f"  {email:<28} {role.value}")
