"""Serializer fields of the scheduling API: instants shown in their location's time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers


class ZonedDateTimeField(serializers.DateTimeField):
    """An aware instant as ISO 8601 with the UTC offset of the object's own time zone.

    Reads the whole object (source="*"): `attribute` names the instant, `zone_attribute` the
    IANA time zone, so 14:00 in New York reads 14:00-04:00 whatever the server's zone.
    """

    def __init__(self, *, attribute: str, zone_attribute: str = "timezone", **kwargs: Any) -> None:
        self.attribute = attribute
        self.zone_attribute = zone_attribute
        kwargs.setdefault("read_only", True)
        super().__init__(source="*", **kwargs)

    def to_representation(self, value: Any) -> str | None:
        instant: dt.datetime | None = getattr(value, self.attribute)
        zone_name: str | None = getattr(value, self.zone_attribute)
        if instant is None:
            return None
        if zone_name:
            instant = instant.astimezone(ZoneInfo(zone_name))
        return instant.isoformat()
