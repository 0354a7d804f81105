"""manage.py outbox_replay: put a chosen range of outbox events back to pending."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core import outbox


class Command(BaseCommand):
    help = "Re-send outbox events: by id range, event type, or only the dead-lettered ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-id", type=int, help="First outbox id (inclusive).")
        parser.add_argument("--to-id", type=int, help="Last outbox id (inclusive).")
        parser.add_argument("--event-type", help="Only events of this type.")
        parser.add_argument("--dead", action="store_true", help="Only dead-lettered events.")
        parser.add_argument(
            "--all", action="store_true", help="Confirm replaying every event the filters match."
        )

    def handle(self, *args: object, **options: object) -> None:
        from_id, to_id = options["from_id"], options["to_id"]
        if from_id is None and to_id is None and not options["dead"] and not options["all"]:
            raise CommandError("Choose a range (--from-id/--to-id), --dead, or confirm with --all.")
        if from_id is not None and to_id is not None and from_id > to_id:
            raise CommandError("--from-id must not be greater than --to-id.")
        count = outbox.outbox_replay(
            from_id=from_id,
            to_id=to_id,
            event_type=options["event_type"],
            only_dead=bool(options["dead"]),
        )
        self.stdout.write(self.style.SUCCESS(f"{count} event(s) queued for relay again."))
