"""Idempotent consumers: the same event delivered twice is applied once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from apps.core.consumers import claim_event, consume_once
from tests.support.events import SomethingHappened
from tests.support.models import ReceivedEvent, SinkProcessedEvent

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _apply(envelope):
    ReceivedEvent.objects.create(event_id=envelope.event_id, event_type=envelope.event_type)


def test_the_same_event_twice_is_applied_once():
    envelope = SomethingHappened(thing_id=1).to_envelope()

    first = consume_once(SinkProcessedEvent, consumer="sink", envelope=envelope, apply=_apply)
    second = consume_once(SinkProcessedEvent, consumer="sink", envelope=envelope, apply=_apply)

    assert (first, second) == (True, False)
    assert ReceivedEvent.objects.count() == 1


def test_each_consumer_applies_the_event_for_itself():
    envelope = SomethingHappened(thing_id=1).to_envelope()

    consume_once(SinkProcessedEvent, consumer="a", envelope=envelope, apply=_apply)
    consume_once(SinkProcessedEvent, consumer="b", envelope=envelope, apply=_apply)

    assert ReceivedEvent.objects.count() == 2


def test_a_failed_effect_leaves_no_mark_so_redelivery_applies_it():
    envelope = SomethingHappened(thing_id=1).to_envelope()

    def failing(envelope):
        _apply(envelope)
        raise ConnectionError("provider down")

    with pytest.raises(ConnectionError):
        consume_once(SinkProcessedEvent, consumer="sink", envelope=envelope, apply=failing)
    applied = consume_once(SinkProcessedEvent, consumer="sink", envelope=envelope, apply=_apply)

    assert applied is True
    assert ReceivedEvent.objects.count() == 1
    assert SinkProcessedEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_apply_it_once():
    envelope = SomethingHappened(thing_id=1).to_envelope()
    barrier = threading.Barrier(4)
    results = []

    def deliver():
        barrier.wait()
        try:
            results.append(
                consume_once(SinkProcessedEvent, consumer="sink", envelope=envelope, apply=_apply)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert ReceivedEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_claim_outside_the_effects_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        claim_event(SinkProcessedEvent, consumer="sink", event_id="0" * 32, using="default")
    with transaction.atomic():
        assert claim_event(
            SinkProcessedEvent,
            consumer="sink",
            event_id="00000000-0000-0000-0000-000000000001",
            using="default",
        )
