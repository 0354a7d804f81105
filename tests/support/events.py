"""A domain event used only by the kernel's tests."""

import dataclasses

from apps.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class SomethingHappened(DomainEvent):
    event_type = "test.SomethingHappened"
    version = 1
    aggregate_type = "test.Thing"
    aggregate_id_field = "thing_id"

    thing_id: int
    code: str = "x"
