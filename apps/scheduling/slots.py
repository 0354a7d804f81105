"""Materialising availability into slots: local wall-clock windows become UTC instants.

Daylight saving: a local time that does not exist (the spring-forward gap) yields no slot; a
local time that exists twice (the fall-back hour) yields one slot, at its first occurrence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from apps.providers.contracts import AvailabilityWindow


@dataclasses.dataclass(frozen=True)
class SlotSpec:
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    capacity: int


def local_instant(date: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a local wall-clock time, or None if DST skips it."""
    local = dt.datetime.combine(date, time, tzinfo=zone)  # fold=0: the first of a repeated hour
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def slot_specs(windows: Iterable[AvailabilityWindow], zone: ZoneInfo) -> Iterator[SlotSpec]:
    for window in windows:
        length = dt.timedelta(minutes=window.slot_minutes)
        cursor = dt.datetime.combine(window.date, window.start)
        last_start = dt.datetime.combine(window.date, window.end) - length
        while cursor <= last_start:
            start = local_instant(window.date, cursor.time(), zone)
            if start is not None:
                yield SlotSpec(start=start, end=start + length, capacity=window.capacity)
            cursor += length


def utc_bounds(
    date_from: dt.date, date_to: dt.date, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """From local midnight starting date_from to local midnight ending date_to, in UTC."""
    start = dt.datetime.combine(date_from, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end.astimezone(dt.UTC)
