"""manage.py migrate_all: create every configured database that is missing, then migrate each.

Extracted services have database aliases of their own (DATABASES); by default their databases
live on the monolith's server and are created here, so `make run` and compose's one-shot
migrate job need no manual step. Each alias gets only its own apps' tables (the routers decide).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from psycopg import sql


def database_ensure(alias: str) -> bool:
    """Create the alias's database if the server lacks it; True if it was created."""
    connection = connections[alias]
    name = connection.settings_dict["NAME"]
    # The server's maintenance database, reached with the alias's own credentials.
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():
            return False
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


class Command(BaseCommand):
    help = "Create missing databases of every alias in DATABASES, then migrate each of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: object, **options: object) -> None:
        for alias in settings.DATABASES:
            if database_ensure(alias):
                self.stdout.write(f"Created the database of '{alias}'.")
            self.stdout.write(f"Migrating the database of '{alias}'...")
            call_command(
                "migrate",
                database=alias,
                interactive=options["interactive"],
                verbosity=options["verbosity"],
            )
