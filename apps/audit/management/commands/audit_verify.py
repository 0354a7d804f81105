"""manage.py audit_verify: recompute the access log's hash chain; non-zero exit on a finding."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.audit import public as audit


class Command(BaseCommand):
    help = "Recompute the PHI access log's seal chain and name any changed, missing or moved row."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Verifying the access log's seal chain...")
        checked, problems = audit.chain_verify(
            progress=lambda done, total: self.stdout.write(f"  {done}/{total} seals checked")
        )
        for problem in problems:
            where = f"row {problem.record_id}" if problem.record_id is not None else "seal"
            self.stderr.write(f"{problem.kind}: {where} (seal {problem.seal_id}): {problem.detail}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found in {checked} sealed rows.")
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} sealed rows verified."))
