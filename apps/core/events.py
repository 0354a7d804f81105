"""The event envelope and the base of every domain event — plain Python, no Django.

A domain event is a frozen dataclass of ids, codes and times (no free-text PHI). The envelope
wraps it with identity and metadata; it is what the outbox stores and consumers receive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import uuid
from decimal import Decimal
from typing import Any, ClassVar


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


@dataclasses.dataclass(frozen=True)
class EventEnvelope:
    """An event as it travels: identity, type, schema version, time, aggregate and payload."""

    event_id: str
    event_type: str
    version: int
    occurred_at: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventEnvelope:
        return cls(
            event_id=str(data["event_id"]),
            event_type=str(data["event_type"]),
            version=int(data["version"]),
            occurred_at=str(data["occurred_at"]),
            aggregate_type=str(data["aggregate_type"]),
            aggregate_id=str(data["aggregate_id"]),
            payload=dict(data["payload"]),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of domain events. Subclasses set the class variables and declare their fields."""

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]
    # The name of the field that identifies the aggregate (a patient id, an appointment id).
    aggregate_id_field: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        # Bulk imports build millions of payloads: plain values skip the conversion.
        values = self.__dict__
        return {
            name: value if type(value) in _PLAIN else _jsonable(value)
            for name in _field_names(type(self))
            for value in (values[name],)
        }

    def to_envelope(
        self, *, event_id: uuid.UUID | None = None, occurred_at: dt.datetime | None = None
    ) -> EventEnvelope:
        return EventEnvelope(
            event_id=str(event_id or uuid.uuid4()),
            event_type=self.event_type,
            version=self.version,
            occurred_at=(occurred_at or dt.datetime.now(dt.UTC)).isoformat(),
            aggregate_type=self.aggregate_type,
            aggregate_id=str(getattr(self, self.aggregate_id_field)),
            payload=self.payload(),
        )
