"""Every domain event, with every field of its payload, is documented in docs/events.md."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

from apps.core.events import DomainEvent
from tests.architecture.rules import PROJECT


def _events() -> list[type[DomainEvent]]:
    found = []
    for path in sorted((PROJECT / "apps").glob("*/events.py")):
        module = importlib.import_module(f"apps.{path.parent.name}.events")
        found.extend(
            cls
            for name, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, DomainEvent)
            and cls.__module__ == module.__name__
            and not name.startswith("_")
            and hasattr(cls, "event_type")  # bases without a type of their own are not events
        )
    return found


def test_every_event_and_field_is_documented():
    doc = (PROJECT / "docs" / "events.md").read_text()
    rows = {
        line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `")
    }
    missing = []
    for event in _events():
        row = rows.get(event.event_type)
        if row is None:
            missing.append(event.event_type)
            continue
        missing.extend(
            f"{event.event_type}.{field.name}"
            for field in dataclasses.fields(event)
            if f"`{field.name}`" not in row
        )
        if f"| {event.version} |" not in row:
            missing.append(f"{event.event_type} version {event.version}")

    assert missing == []


def test_the_events_are_found():
    assert len(_events()) >= 15
