"""Fixtures of the patients tests: the outbox rows the services wrote, as (type, payload)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.core.models import OutboxEvent


def outbox_payloads(event_type: str) -> list[dict[str, Any]]:
    """The payloads of every `event_type` event in the outbox, oldest first."""
    return list(
        OutboxEvent.objects.filter(event_type=event_type)
        .order_by("id")
        .values_list("payload", flat=True)
    )


@pytest.fixture
def payloads() -> Callable[[str], list[dict[str, Any]]]:
    return outbox_payloads
