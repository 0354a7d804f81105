"""python -m bench [--scale tiny|default|large] [--reseed]: seed once, serve, load, report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import servers
from bench.config import SCALES, Scale
from bench.load import interleaved, runner
from bench.targets import evaluate, paired_ratio, print_report

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MARKER_TABLE = "bench_seed_marker"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=servers.PROJECT_DIR, capture_output=True, text=True, check=False
    ).stdout.strip()


def _seeded(scale: Scale) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(f"SELECT args FROM {MARKER_TABLE}")  # noqa: S608 - constant name
        row = cursor.fetchone()
    return row is not None and row[0] == " ".join(scale.seed_args())


def _mark_seeded(scale: Scale) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (args text, seeded_at timestamptz)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, now())",  # noqa: S608
            [" ".join(scale.seed_args())],
        )


def _analyze() -> None:
    """Fresh planner statistics after the bulk load, as autovacuum would give them later."""
    from django.db import connections

    for alias in ("default", "notifications"):
        with connections[alias].cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _contacts_for_logins() -> int:
    """The notifications service learns the patient logins' contacts (their seeded events)."""
    from apps.core.models import OutboxEvent
    from apps.core.outbox import envelope_of
    from bench.scenarios import fixtures_patient_ids
    from extracted.notifications import services as notifications

    ids = [str(pid) for pid in fixtures_patient_ids()]
    rows = OutboxEvent.objects.filter(
        event_type="patients.PatientContactChanged", aggregate_id__in=ids
    ).order_by("id")
    for row in rows:
        notifications.event_consume(envelope=envelope_of(row))
    return len(ids)


def prepare(scale: Scale, *, reseed: bool) -> dict[str, str]:
    env = servers.environment(scale.name)
    servers.ensure_databases(env["DATABASE_URL"], drop=reseed)
    os.environ.update(env)
    import django

    django.setup()
    started = time.monotonic()
    servers.manage(env, "migrate_all", "--noinput", "-v", "0")
    if not _seeded(scale):
        print(f"seeding {scale.name}: {' '.join(scale.seed_args())} (once; reruns reuse it)")
        servers.manage(env, "seed_demo", *scale.seed_args())
        _contacts_for_logins()
        _analyze()
        _mark_seeded(scale)
        print(f"seeded in {time.monotonic() - started:.0f}s")
    servers.manage(env, "collectstatic", "--noinput", "-v", "0")
    return env


def print_reads(results: dict[str, dict]) -> None:
    raw = results["ref_raw_query"]
    for name, result in results.items():
        print(f"{name:<20} {result['rps']:>8} req/s  p95 {result['p95_ms']:>8} ms  "
              f"x raw {paired_ratio(result, raw):>6}  queries {result['queries']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", default="default", choices=sorted(SCALES))
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--python-load", action="store_true", help="the Python load generator")
    parser.add_argument("--seed-only", action="store_true", help="prepare the database, no load")
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="only the GET scenarios (while optimising; no targets, results under the data dir)",
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    env = prepare(scale, reseed=args.reseed)
    if args.seed_only:
        return 0
    servers.pin_self_to_loadgen_core()

    from django.conf import settings

    from bench import scenarios

    data_dir = Path(env["HEALTHPORTAL_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    scenarios.outbox_settle()
    scenarios.purge_queues("default", "notifications", "bench-noop")
    fx = scenarios.fixtures()
    results: dict[str, dict] = {}
    wanted = scale.bookings + scale.confirmations
    tasks = scenarios.booking_tasks(fx, days=(2, 20), wanted=wanted)
    chosen = scenarios.contended_slots(fx, first_day=21, count=scale.contended_slots)
    if len(tasks) < wanted:
        # At the large scale the seeded bookings fill the coming weeks: book beyond them (after
        # the contended slots' days and the slot search's window, so none is taken twice).
        tasks += scenarios.booking_tasks(fx, days=(50, 60), wanted=wanted - len(tasks))

    with servers.gunicorn(env, log=data_dir / "gunicorn.log") as port:
        load = runner(port=port, concurrency=scale.concurrency, prefer_wrk=not args.python_load)
        groups = scenarios.read_targets(fx)
        queries = {t.name: scenarios.probe(port, t) for group in groups.values() for t in group}
        for targets in groups.values():
            for name, measured in interleaved(
                load, targets, rounds=scale.rounds, seconds=scale.slice_seconds
            ).items():
                results[name] = {**measured.summary(), **queries[name]}
        if args.reads_only:
            print_reads(results)
            return 0
        results["outbox_relay"] = scenarios.relay_throughput(scale.relay_events)
        results["booking_uncontended"] = scenarios.booking_uncontended(
            port, fx, tasks[: scale.bookings], clients=scale.booking_clients
        )
        results["booking_contended"] = scenarios.booking_contended(
            port, fx, chosen, racers=scale.racers
        )
        scenarios.outbox_settle()
        scenarios.purge_queues("default", "notifications")
        with servers.celery_worker(env, log=data_dir / "worker.log"):
            results["booking_confirmation"] = scenarios.booking_confirmation(
                port,
                fx,
                tasks[scale.bookings :],
                timeout=settings.OUTBOX_SWEEP_SECONDS * 3,
            )
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit + ("-dirty" if dirty else ""),
        "scale": {
            "name": scale.name,
            "patients": scale.patients,
            "practitioners": scale.practitioners,
            "appointments": scale.appointments,
        },
        "command": "make bench" + ("" if scale.name == "default" else f" SCALE={scale.name}"),
        "load": {
            "generator": load.kind,
            "concurrency": scale.concurrency,
            "slice_seconds": scale.slice_seconds,
            "rounds": scale.rounds,
            "gunicorn_workers": 2,
            "pinned": servers.can_pin(),
        },
        "machine": scenarios.machine(),
        "seconds": round(time.monotonic() - began, 1),
        "scenarios": results,
    }
    document["targets"] = evaluate(document, RESULTS_DIR)
    out_dir = RESULTS_DIR if scale.name != "tiny" else data_dir / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "" if scale.name == "default" else f"-{scale.name}"
    path = out_dir / f"{dt.date.today().isoformat()}-{commit}{suffix}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print_report(document)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
