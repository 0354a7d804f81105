"""Render the latest results as the README's Benchmarks table.

python -m bench.report            # print the table (markdown)
python -m bench.report --write    # replace it in README.md between the bench markers
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.targets import READ_ROWS, paired_ratio

RESULTS_DIR = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- bench:start -->"
END = "<!-- bench:end -->"


def latest(scale: str = "default", results_dir: Path = RESULTS_DIR) -> dict | None:
    found = []
    for path in results_dir.glob("*.json"):
        document = json.loads(path.read_text())
        if document.get("scale", {}).get("name") == scale:
            found.append(document)
    return max(found, key=lambda d: d["date"], default=None)


def render(document: dict) -> str:
    s = document["scenarios"]
    scale = document["scale"]
    machine = document["machine"]
    load = document["load"]
    raw = s["ref_raw_query"]
    lines = [
        f"Scale **{scale['name']}** ({scale['patients']:,} patients, "
        f"{scale['practitioners']:,} practitioners, {scale['appointments']:,} appointments), "
        f"commit `{document['commit']}`, {document['date']}: `{document['command']}`. "
        f"{machine['cpu']}, {machine['cores']} cores (server and load generator pinned apart: "
        f"{'yes' if load['pinned'] else 'no'}), Postgres {machine['postgres']}, "
        f"Python {machine['python']}; {load['generator']} at {load['concurrency']} connections "
        f"against gunicorn with {load['gunicorn_workers']} sync workers, {load['rounds']} "
        f"interleaved rounds of {load['slice_seconds']:g} s slices.",
        "",
        "| scenario | req/s | vs raw query | p50 ms | p95 ms | p99 ms | 4xx | 5xx | queries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in READ_ROWS:
        r = s[name]
        lines.append(
            f"| {name} | {r['rps']} | {paired_ratio(r, raw)} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['p99_ms']} | {r['errors_4xx']} | {r['errors_5xx']} | {r['queries']} |"
        )
    for name in ("booking_uncontended", "booking_contended"):
        r = s[name]
        lines.append(
            f"| {name} | {r.get('rps', '—')} | | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r['errors_4xx']} | {r['errors_5xx']} | |"
        )
    relay = s["outbox_relay"]
    confirmation = s["booking_confirmation"]
    race = s["booking_contended"]
    lines += [
        "",
        f"Outbox relay: {relay['relay_events_per_s']} events/s relaying {relay['events']:,} "
        f"events, against {relay['noop_publish_per_s']} no-op tasks/s published straight to "
        f"the broker. Booking to sent confirmation (worker running, no beat): p50 "
        f"{confirmation['p50_s']} s, p95 {confirmation['p95_s']} s "
        f"({confirmation['confirmed']}/{confirmation['created']} confirmed, "
        f"{confirmation.get('without_consent', 0)} without consent to any channel; beat sweep "
        f"{confirmation['sweep_seconds']} s). Contended booking: {race['racers']} clients per "
        f"slot over {race['slots']} slots, {race['slots_with_exactly_one_success']} slots with "
        f"exactly one success, {race['errors_5xx']} 5xx, {race['double_bookings']} double "
        "bookings found afterwards.",
        "",
        "| target | value | target | met |",
        "|---|---:|---|---|",
    ]
    for target in document["targets"]:
        lines.append(
            f"| {target['name']} | {target['value']} | {target['target']} "
            f"| {'met' if target['met'] else '**missed**'} |"
        )
    return "\n".join(lines)


def write_readme(table: str, readme: Path = README) -> None:
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}\n{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--write", action="store_true", help="update README.md")
    parser.add_argument("--scale", default="default")
    args = parser.parse_args()
    document = latest(args.scale)
    if document is None:
        print(f"no {args.scale} results in {RESULTS_DIR}")
        return 1
    table = render(document)
    if args.write:
        write_readme(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
