"""The transactional outbox: written with the change, relayed after commit, never lost."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from apps.core import outbox
from apps.core.models import OutboxEvent, ProcessedEvent
from tests.conftest import queued_messages
from tests.support.events import SomethingHappened
from tests.support.models import ReceivedEvent

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def sink():
    """An in-process handler that records each event it applies."""

    def handler(envelope):
        ReceivedEvent.objects.create(event_id=envelope.event_id, event_type=envelope.event_type)

    outbox.subscribe(SomethingHappened.event_type, consumer="test.sink", handler=handler)
    yield ReceivedEvent.objects
    outbox.unsubscribe(SomethingHappened.event_type, consumer="test.sink")


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.emit(SomethingHappened(thing_id=1))


def test_emit_writes_the_envelope_in_the_callers_transaction():
    with transaction.atomic():
        envelope = outbox.emit(SomethingHappened(thing_id=42, code="abc"))
        row = OutboxEvent.objects.get(event_id=envelope.event_id)
    assert row.status == OutboxEvent.Status.PENDING
    assert row.aggregate_id == "42"
    assert row.payload == {"thing_id": 42, "code": "abc"}
    assert (row.event_type, row.version) == ("test.SomethingHappened", 1)


def test_event_of_a_rolled_back_transaction_is_never_delivered(sink):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=1))
        raise Boom

    result = outbox.outbox_relay_batch()

    assert OutboxEvent.objects.count() == 0
    assert result.delivered == 0
    assert sink.count() == 0


def test_committed_event_reaches_handlers_and_subscribed_queues(
    sink, broker_on, queue_name, settings
):
    settings.OUTBOX_CONSUMERS = {queue_name: ("tests.consume", ("test.SomethingHappened",))}
    with transaction.atomic():
        envelope = outbox.emit(SomethingHappened(thing_id=7))

    result = outbox.outbox_relay_batch()

    assert result.delivered == 1
    assert OutboxEvent.objects.get().status == OutboxEvent.Status.DELIVERED
    assert list(sink.values_list("event_type", flat=True)) == ["test.SomethingHappened"]
    messages = queued_messages(broker_on.broker_url, queue_name)
    assert len(messages) == 1
    # Celery's protocol 2 body: [args, kwargs, embed]
    assert messages[0][0][0]["event_id"] == envelope.event_id


@pytest.mark.parametrize("events", [1, 30])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    events, broker_on, queue_name, settings, django_assert_num_queries
):
    settings.OUTBOX_CONSUMERS = {queue_name: ("tests.consume", ("test.SomethingHappened",))}
    with transaction.atomic():
        for thing in range(events):
            outbox.emit(SomethingHappened(thing_id=thing))
    before = timezone.now()

    # savepoint, the claim (FOR UPDATE SKIP LOCKED), one UPDATE of the delivered rows, release
    with django_assert_num_queries(4):
        result = outbox.outbox_relay_batch()

    assert result.delivered == events
    rows = OutboxEvent.objects.all()
    assert {row.status for row in rows} == {OutboxEvent.Status.DELIVERED}
    assert all(row.delivered_at >= before and row.last_error == "" for row in rows)
    assert len(queued_messages(broker_on.broker_url, queue_name)) == events


def test_unsubscribed_queue_receives_nothing(broker_on, queue_name, settings):
    settings.OUTBOX_CONSUMERS = {queue_name: ("tests.consume", ("other.Event",))}
    with transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=7))

    outbox.outbox_relay_batch()

    assert queued_messages(broker_on.broker_url, queue_name) == []


def test_relayed_twice_the_handler_applies_once(sink):
    with transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=1))
    outbox.outbox_relay_batch()

    outbox.outbox_replay(only_dead=False, from_id=OutboxEvent.objects.get().id)
    outbox.outbox_relay_batch()

    assert OutboxEvent.objects.get().status == OutboxEvent.Status.DELIVERED
    assert sink.count() == 1
    assert ProcessedEvent.objects.filter(consumer="test.sink").count() == 1


def test_failing_handler_backs_off_and_is_dead_lettered_after_max_attempts(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    calls = []

    def broken(envelope):
        calls.append(envelope.event_id)
        ReceivedEvent.objects.create(event_id=envelope.event_id, event_type="half-written")
        raise ValueError("downstream refused")

    outbox.subscribe(SomethingHappened.event_type, consumer="test.broken", handler=broken)
    try:
        with transaction.atomic():
            outbox.emit(SomethingHappened(thing_id=1))

        first = outbox.outbox_relay_batch()
        row = OutboxEvent.objects.get()
        assert first.failed == 1
        assert row.status == OutboxEvent.Status.PENDING
        assert row.attempts == 1
        assert row.available_at > timezone.now()
        assert "ValueError: downstream refused" in row.last_error
        # Not due yet: the backoff holds it back.
        assert outbox.outbox_relay_batch().failed == 0

        OutboxEvent.objects.update(available_at=timezone.now())
        outbox.outbox_relay_batch()
        row.refresh_from_db()
    finally:
        outbox.unsubscribe(SomethingHappened.event_type, consumer="test.broken")

    assert row.status == OutboxEvent.Status.DEAD
    assert row.attempts == 2
    assert len(calls) == 2
    # The handler's half-written effect and its processed mark rolled back each time.
    assert ReceivedEvent.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0
    assert outbox.outbox_stats().dead == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_one_relay_is_skipped_by_another(sink):
    with transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=1))
        outbox.emit(SomethingHappened(thing_id=2))
    first_id, second_id = OutboxEvent.objects.order_by("id").values_list("id", flat=True)
    locked = threading.Event()
    release = threading.Event()

    def hold_first_row():
        with transaction.atomic():
            list(OutboxEvent.objects.select_for_update().filter(id=first_id))
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_first_row)
    holder.start()
    try:
        assert locked.wait(10)
        result = outbox.outbox_relay_batch()
    finally:
        release.set()
        holder.join()

    assert result.delivered == 1
    statuses = dict(OutboxEvent.objects.values_list("id", "status"))
    assert statuses == {first_id: "pending", second_id: "delivered"}


def test_prune_deletes_only_delivered_rows_past_retention(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    with transaction.atomic():
        for thing in range(4):
            outbox.emit(SomethingHappened(thing_id=thing))
    old, recent, pending, dead = OutboxEvent.objects.order_by("id")
    long_ago = timezone.now() - dt.timedelta(days=8)
    OutboxEvent.objects.filter(id=old.id).update(status="delivered", delivered_at=long_ago)
    OutboxEvent.objects.filter(id=recent.id).update(status="delivered", delivered_at=timezone.now())
    OutboxEvent.objects.filter(id=dead.id).update(status="dead")

    deleted = outbox.outbox_prune()

    assert deleted == 1
    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {recent.id, pending.id, dead.id}


def test_replay_command_requeues_the_chosen_range_only():
    with transaction.atomic():
        for thing in range(3):
            outbox.emit(SomethingHappened(thing_id=thing))
    ids = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True))
    OutboxEvent.objects.update(status="dead", attempts=10, last_error="x")

    call_command("outbox_replay", from_id=ids[0], to_id=ids[1])

    rows = {row.id: row for row in OutboxEvent.objects.all()}
    assert [rows[i].status for i in ids] == ["pending", "pending", "dead"]
    assert rows[ids[0]].attempts == 0
    assert rows[ids[0]].last_error == ""


@pytest.mark.parametrize(
    ("options", "message"),
    [({}, "Choose a range"), ({"from_id": 5, "to_id": 2}, "must not be greater")],
)
def test_replay_command_refuses_an_unclear_range(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("outbox_replay", **options)


def test_stats_report_lag_and_dead_letters():
    with transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=1))
        outbox.emit(SomethingHappened(thing_id=2))
    OutboxEvent.objects.filter(id=OutboxEvent.objects.order_by("id").first().id).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    OutboxEvent.objects.filter(id=OutboxEvent.objects.order_by("id").last().id).update(
        status="dead"
    )

    stats = outbox.outbox_stats()

    assert stats.pending == 1
    assert stats.dead == 1
    assert 299 <= stats.oldest_pending_age_seconds < 400


def test_metrics_endpoint_exposes_outbox_gauges(client):
    with transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=1))

    response = client.get("/metrics")

    assert response.status_code == 200
    body = response.content.decode()
    assert "healthportal_outbox_pending_events 1.0" in body
    assert "healthportal_outbox_dead_events 0.0" in body
    assert "healthportal_outbox_lag_seconds" in body


def test_admin_shows_outbox_lag_and_replays_dead_events(admin_client):
    with transaction.atomic():
        outbox.emit(SomethingHappened(thing_id=1))
    OutboxEvent.objects.update(status="dead", attempts=10)
    row = OutboxEvent.objects.get()

    page = admin_client.get("/admin/core/outboxevent/")
    replay = admin_client.post(
        "/admin/core/outboxevent/", {"action": "replay", "_selected_action": [row.id]}
    )

    assert page.status_code == 200
    assert b"dead-lettered: <strong>1</strong>" in page.content
    assert replay.status_code == 302
    row.refresh_from_db()
    assert row.status == OutboxEvent.Status.PENDING


def test_envelope_survives_the_round_trip():
    event = SomethingHappened(thing_id=3, code="c")
    envelope = event.to_envelope(event_id=uuid.UUID(int=5))

    again = type(envelope).from_dict(envelope.to_dict())

    assert again == envelope
    assert again.aggregate_type == "test.Thing"
    assert again.aggregate_id == "3"


def test_emit_many_writes_the_rows_emit_would():
    events = [SomethingHappened(thing_id=n, code=f"c{n}") for n in range(7)]

    with transaction.atomic():
        count = outbox.emit_many(iter(events))

    assert count == 7
    assert sorted(OutboxEvent.objects.values_list("aggregate_id", flat=True)) == [
        str(n) for n in range(7)
    ]
    assert len(set(OutboxEvent.objects.values_list("event_id", flat=True))) == 7
    row = OutboxEvent.objects.get(aggregate_id="3")
    assert row.payload == {"thing_id": 3, "code": "c3"}
    assert (row.status, row.attempts, row.version) == ("pending", 0, 1)
    assert row.available_at <= timezone.now()
    assert outbox.outbox_relay_batch().delivered == 7
