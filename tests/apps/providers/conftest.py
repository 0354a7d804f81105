"""Fixtures of the providers tests: reading what a service put in the outbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apps.core.models import OutboxEvent


@pytest.fixture
def emitted() -> Callable[[str], list[dict]]:
    """The payloads of the outbox events of one type, oldest first."""

    def payloads(event_type: str) -> list[dict]:
        return list(
            OutboxEvent.objects.filter(event_type=event_type)
            .order_by("id")
            .values_list("payload", flat=True)
        )

    return payloads
