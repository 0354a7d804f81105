"""The transactional outbox: emit in the caller's transaction, relay after commit.

- `emit(event)` writes an OutboxEvent row in the current transaction and asks for a relay kick
  on commit. A rolled-back transaction leaves no row, so nothing is ever delivered for it.
- `outbox_relay_batch()` claims pending rows with SELECT ... FOR UPDATE SKIP LOCKED, publishes
  each to the queues of the extracted services subscribed to it (settings.OUTBOX_CONSUMERS),
  runs the in-process handlers (each idempotent through ProcessedEvent), and marks it delivered.
  It runs on the kick and on a beat sweep, so a lost kick only delays delivery.
- A broker outage leaves rows pending without spending attempts; a failing handler backs off
  exponentially and, after OUTBOX_MAX_ATTEMPTS, dead-letters the row for an operator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from apps.core.consumers import consume_once
from apps.core.events import DomainEvent, EventEnvelope
from apps.core.models import OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)

Handler = Callable[[EventEnvelope], None]


@dataclasses.dataclass(frozen=True)
class _Subscription:
    consumer: str
    handler: Handler


_handlers: dict[str, list[_Subscription]] = defaultdict(list)


def subscribe(event_type: str, *, consumer: str, handler: Handler) -> None:
    """Register an in-process handler (from an app's handlers.py, in AppConfig.ready)."""
    subscriptions = _handlers[event_type]
    if any(existing.consumer == consumer for existing in subscriptions):
        return
    subscriptions.append(_Subscription(consumer=consumer, handler=handler))


def unsubscribe(event_type: str, *, consumer: str) -> None:
    _handlers[event_type] = [s for s in _handlers[event_type] if s.consumer != consumer]


def _outbox_row(envelope: EventEnvelope, *, available_at: dt.datetime) -> OutboxEvent:
    return OutboxEvent(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        version=envelope.version,
        aggregate_type=envelope.aggregate_type,
        aggregate_id=envelope.aggregate_id,
        payload=envelope.payload,
        occurred_at=dt.datetime.fromisoformat(envelope.occurred_at),
        available_at=available_at,
    )


def emit(event: DomainEvent, *, using: str = "default") -> EventEnvelope:
    """Write `event` to the outbox in the caller's transaction; relay it once that commits."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction that makes the change")
    envelope = event.to_envelope()
    _outbox_row(envelope, available_at=timezone.now()).save(using=using)
    if not any(callback is relay_kick for _, callback, _ in connection.run_on_commit):
        transaction.on_commit(relay_kick, using=using)
    return envelope


class _Kicker:
    """Publishes relay kicks from a background thread, so a request never waits on the broker.

    redis-py retries a refused connection with backoff for seconds; that must not hold a request
    that has already committed. Kicks arriving while one is being published coalesce into one.
    """

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def kick(self) -> None:
        self._ensure_thread()
        self._wanted.set()

    def _ensure_thread(self) -> None:
        # A forked worker (gunicorn --preload, Celery prefork) does not inherit the thread.
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="outbox-kicker", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from apps.core.tasks import outbox_relay

        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                outbox_relay.apply_async(retry=False, queue="default")
            except Exception:  # noqa: BLE001 - any broker trouble is left to the beat sweep
                logger.warning("outbox relay kick not published; the sweep will relay")


_kicker = _Kicker()


_COPY_COLUMNS = (
    "event_id", "event_type", "version", "aggregate_type", "aggregate_id", "payload",
    "occurred_at", "created_at", "status", "attempts", "available_at", "last_error",
)  # fmt: skip


def emit_many(events: Iterable[DomainEvent]) -> int:
    """Bulk emit (demo data, imports): the rows emit() writes, streamed with COPY.

    COPY is several times faster than INSERT for the millions of events a large import emits.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("emit_many() must run inside the transaction that makes the change")
    now = timezone.now()
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for event in events:
            envelope = event.to_envelope()
            copy.write_row(
                (
                    envelope.event_id,
                    envelope.event_type,
                    envelope.version,
                    envelope.aggregate_type,
                    envelope.aggregate_id,
                    json.dumps(envelope.payload),
                    envelope.occurred_at,
                    now,
                    OutboxEvent.Status.PENDING.value,
                    0,
                    now,
                    "",
                )
            )
            count += 1
    if count and not any(callback is relay_kick for _, callback, _ in connection.run_on_commit):
        transaction.on_commit(relay_kick)
    return count


def relay_kick() -> None:
    """Ask a worker to relay now. Never blocks or fails the caller: the sweep is the fallback."""
    _kicker.kick()


def envelope_of(row: OutboxEvent) -> EventEnvelope:
    """The envelope an outbox row carries, as handlers and consumers receive it."""
    return EventEnvelope(
        event_id=str(row.event_id),
        event_type=row.event_type,
        version=row.version,
        occurred_at=row.occurred_at.isoformat(),
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        payload=row.payload,
    )


def _consumer_queues(event_type: str) -> list[tuple[str, str]]:
    """(queue, task name) of every extracted service subscribed to `event_type`."""
    return [
        (queue, task_name)
        for queue, (task_name, event_types) in settings.OUTBOX_CONSUMERS.items()
        if "*" in event_types or event_type in event_types
    ]


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2**attempts, 3600))


@dataclasses.dataclass(frozen=True)
class RelayResult:
    delivered: int = 0
    failed: int = 0
    broker_unavailable: bool = False


def outbox_relay_batch(*, limit: int | None = None) -> RelayResult:
    """Relay one batch of due pending events; safe to run concurrently (SKIP LOCKED)."""
    from healthportal.celery import app as celery_app

    limit = limit or settings.OUTBOX_BATCH_SIZE
    delivered_ids: list[int] = []
    failed_rows: list[OutboxEvent] = []
    broker_unavailable = False
    now = timezone.now()
    with transaction.atomic():
        # In the order of the pending index (available_at, id): ordered by id alone, Postgres
        # may walk the primary key through every delivered row to find the few pending ones.
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxEvent.Status.PENDING, available_at__lte=now)
            .order_by("available_at", "id")[:limit]
        )
        if not rows:
            return RelayResult()
        with celery_app.producer_or_acquire() as producer:
            for row in rows:
                envelope = envelope_of(row)
                try:
                    for queue, task_name in _consumer_queues(row.event_type):
                        celery_app.send_task(
                            task_name,
                            args=[envelope.to_dict()],
                            queue=queue,
                            producer=producer,
                            retry=False,
                        )
                except (BrokerError, OSError):
                    # The broker is down: leave this row and the rest pending, attempts unspent.
                    logger.warning("outbox relay paused: broker unavailable", exc_info=True)
                    broker_unavailable = True
                    break
                error = _run_handlers(envelope)
                if error is None:
                    delivered_ids.append(row.id)
                else:
                    row.attempts += 1
                    row.last_error = error
                    row.available_at = timezone.now() + _backoff(row.attempts)
                    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                        row.status = OutboxEvent.Status.DEAD
                    failed_rows.append(row)
                    logger.warning(
                        "outbox event %s (%s) failed attempt %s",
                        row.id,
                        row.event_type,
                        row.attempts,
                    )
        # One UPDATE for the delivered rows (bulk_update's CASE per row and column cost more to
        # build than publishing the batch); failures are few and each has its own values.
        if delivered_ids:
            OutboxEvent.objects.filter(id__in=delivered_ids).update(
                status=OutboxEvent.Status.DELIVERED, delivered_at=timezone.now(), last_error=""
            )
        if failed_rows:
            OutboxEvent.objects.bulk_update(
                failed_rows, ["status", "attempts", "last_error", "available_at"]
            )
    return RelayResult(
        delivered=len(delivered_ids),
        failed=len(failed_rows),
        broker_unavailable=broker_unavailable,
    )


def _run_handlers(envelope: EventEnvelope) -> str | None:
    """Run every in-process handler once; the first failure's description, or None."""
    for subscription in _handlers.get(envelope.event_type, []):
        try:
            with transaction.atomic():  # a savepoint: a failing handler leaves nothing behind
                consume_once(
                    ProcessedEvent,
                    consumer=subscription.consumer,
                    envelope=envelope,
                    apply=subscription.handler,
                )
        except Exception as exc:  # noqa: BLE001 - recorded on the row, retried with backoff
            return f"{subscription.consumer}: {type(exc).__name__}: {exc}"[:2000]
    return None


def outbox_relay_all(*, max_batches: int = 50) -> int:
    """Relay until nothing due is left (or the broker is down); the number delivered."""
    total = 0
    for _ in range(max_batches):
        result = outbox_relay_batch()
        total += result.delivered
        if result.broker_unavailable or (result.delivered + result.failed) == 0:
            break
    return total


def outbox_prune(*, older_than: dt.timedelta | None = None, batch_size: int = 5000) -> int:
    """Delete delivered rows past the retention period; pending and dead rows are kept."""
    cutoff = timezone.now() - (older_than or dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS))
    deleted = 0
    while True:
        ids = list(
            OutboxEvent.objects.filter(
                status=OutboxEvent.Status.DELIVERED, delivered_at__lt=cutoff
            ).values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += OutboxEvent.objects.filter(id__in=ids).delete()[0]


def outbox_replay(
    *,
    ids: list[int] | None = None,
    from_id: int | None = None,
    to_id: int | None = None,
    event_type: str | None = None,
    only_dead: bool = False,
) -> int:
    """Put a chosen range of events back to pending, attempts reset; the number re-queued."""
    rows = OutboxEvent.objects.all()
    if ids is not None:
        rows = rows.filter(id__in=ids)
    if from_id is not None:
        rows = rows.filter(id__gte=from_id)
    if to_id is not None:
        rows = rows.filter(id__lte=to_id)
    if event_type:
        rows = rows.filter(event_type=event_type)
    if only_dead:
        rows = rows.filter(status=OutboxEvent.Status.DEAD)
    with transaction.atomic():
        count = rows.update(
            status=OutboxEvent.Status.PENDING,
            attempts=0,
            available_at=timezone.now(),
            delivered_at=None,
            last_error="",
        )
        if count:
            transaction.on_commit(relay_kick)
    return count


@dataclasses.dataclass(frozen=True)
class OutboxStats:
    pending: int
    dead: int
    oldest_pending_age_seconds: float


def outbox_stats() -> OutboxStats:
    """Lag and dead letters: one query over the partial indexes."""
    result = OutboxEvent.objects.filter(
        Q(status=OutboxEvent.Status.PENDING) | Q(status=OutboxEvent.Status.DEAD)
    ).aggregate(
        pending=Count("id", filter=Q(status=OutboxEvent.Status.PENDING)),
        dead=Count("id", filter=Q(status=OutboxEvent.Status.DEAD)),
        oldest=Min("created_at", filter=Q(status=OutboxEvent.Status.PENDING)),
    )
    oldest = result["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return OutboxStats(
        pending=result["pending"], dead=result["dead"], oldest_pending_age_seconds=age
    )
