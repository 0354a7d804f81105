"""Scales of the data set and of the load: what `make bench SCALE=...` means."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Scale:
    name: str
    patients: int
    practitioners: int
    appointments: int
    # Load: connections of the load generator, seconds per slice, interleaved rounds.
    concurrency: int = 4  # two per gunicorn worker: busy, without a long queue
    slice_seconds: float = 3.0
    rounds: int = 5
    bookings: int = 120  # uncontended bookings
    booking_clients: int = 4
    contended_slots: int = 5
    racers: int = 50  # clients racing for one slot (at most the patient logins there are)
    relay_events: int = 2000
    confirmations: int = 20

    def seed_args(self) -> list[str]:
        return [
            "--patients",
            str(self.patients),
            "--practitioners",
            str(self.practitioners),
            "--appointments",
            str(self.appointments),
        ]


SCALES = {
    # For developing the harness: a minute, not a measurement.
    "tiny": Scale(
        "tiny",
        patients=500,
        practitioners=20,
        appointments=15_000,
        slice_seconds=2.0,
        rounds=2,
        bookings=30,
        contended_slots=2,
        relay_events=500,
        confirmations=5,
    ),
    "default": Scale("default", patients=10_000, practitioners=200, appointments=300_000),
    "large": Scale("large", patients=1_000_000, practitioners=200, appointments=5_000_000),
}
