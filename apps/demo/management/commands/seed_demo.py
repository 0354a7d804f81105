"""manage.py seed_demo: the demo clinic's data, created once; running it again adds nothing."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.demo.clinic import DEMO_PASSWORD, DEMO_TOTP_SECRET, Scale, seed


class Command(BaseCommand):
    help = (
        "Create the demo clinic: logins, 3 locations, practitioners with availability, patients "
        "with allergies, a year of appointment history and upcoming bookings (idempotent; "
        "refused with production settings)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=2000)
        parser.add_argument("--practitioners", type=int, default=30)
        parser.add_argument(
            "--appointments", type=int, default=None, help="Default: about six per patient."
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("seed_demo refuses to run with production settings.")
        for name in ("patients", "practitioners"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        if options["appointments"] is not None and options["appointments"] < 0:
            raise CommandError("--appointments must not be negative.")
        started = time.monotonic()
        report = seed(
            scale=Scale(
                patients=options["patients"],
                practitioners=options["practitioners"],
                appointments=options["appointments"],
            ),
            progress=self._progress,
        )
        if report.created_clinic:
            self.stdout.write(
                f"Demo clinic created in {time.monotonic() - started:.0f}s: "
                f"{report.patients} patients, {report.appointments} appointments."
            )
        else:
            self.stdout.write("Demo clinic already present; nothing added.")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for email, role in report.logins:
            self.stdout.write(f"  {email:<28} {role}")
        self.stdout.write(
            f"Staff second factor: add the secret {DEMO_TOTP_SECRET} to an authenticator app "
            "(dev only), or print a code with: manage.py demo_totp"
        )
        if report.patient_logins:
            self.stdout.write(
                f"  patient1@demo.clinic ... patient{report.patient_logins}@demo.clinic  patient"
            )

    def _progress(self, phase: str, done: int, total: int) -> None:
        end = "\n" if done >= total else "\r"
        self.stdout.write(f"  {phase}: {done}/{total}", ending=end)
        self.stdout.flush()
