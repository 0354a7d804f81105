"""What the bench measures, and the fixtures it mints in-process (tokens, staff sessions).

Runs inside the harness process with Django set up on the bench settings and database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import os
import statistics
import threading
import time
import urllib.parse
import uuid
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from bench.load import Target, percentiles, request

PATIENT_ID_CLAIM = "patient_id"
SLOT_SPECIALTY = "family-medicine"
BOOKING_TYPE = "consultation"
ACTIVE = ("booked", "checked-in", "arrived")


@dataclasses.dataclass
class Fixtures:
    patients: list[tuple[int, int, str]]  # (user id, patient id, bearer token), most visits first
    staff_cookie: str  # front desk: the Today page
    admin_cookie: str  # admin: the Django admin
    appointment_type_id: int
    specialty: str

    @property
    def reader(self) -> tuple[int, int, str]:
        return self.patients[0]


def _bearer(user, patient_id: int) -> str:
    refresh = RefreshToken.for_user(user)
    refresh[PATIENT_ID_CLAIM] = patient_id
    return f"Bearer {refresh.access_token}"


def _staff_cookie(email: str) -> str:
    """A signed-in staff session past the second factor, made without a login request."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(email=email)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise RuntimeError(f"{email} has no confirmed TOTP device")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store["signed_in_at"] = time.time()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def fixtures_patient_ids() -> list[int]:
    from apps.patients import public as patients

    users = get_user_model().objects.filter(email__regex=r"^patient[0-9]+@demo\.clinic$")
    found = (patients.patient_id_for_portal_login(user_id=user.pk) for user in users)
    return [pid for pid in found if pid is not None]


def fixtures() -> Fixtures:
    from apps.patients import public as patients
    from apps.providers import public as providers
    from apps.scheduling.models import Appointment

    users = get_user_model().objects.filter(email__regex=r"^patient[0-9]+@demo\.clinic$")
    found = []
    for user in users:
        patient_id = patients.patient_id_for_portal_login(user_id=user.pk)
        if patient_id is not None:
            found.append((user, patient_id))
    visits = dict(
        Appointment.objects.filter(patient_id__in=[p for _, p in found])
        .values_list("patient_id")
        .annotate(n=Count("id"))
    )
    found.sort(key=lambda pair: (-visits.get(pair[1], 0), pair[1]))
    offers = providers.online_bookable_offers()
    type_id = next(o.appointment_type.id for o in offers if o.appointment_type.code == BOOKING_TYPE)
    return Fixtures(
        patients=[(user.pk, pid, _bearer(user, pid)) for user, pid in found],
        staff_cookie=_staff_cookie("frontdesk@demo.clinic"),
        admin_cookie=_staff_cookie("admin@demo.clinic"),
        appointment_type_id=type_id,
        specialty=SLOT_SPECIALTY,
    )


# Slot search looks 14 days ahead from this many days on, at every scale: at the large scale
# the seeded upcoming bookings fill the coming weeks, and an empty search would measure nothing.
SLOT_SEARCH_FROM_DAYS = 35


def _slot_window() -> str:
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=SLOT_SEARCH_FROM_DAYS)
    end = start + dt.timedelta(days=14)
    return urllib.parse.urlencode({"start": start.isoformat(), "end": end.isoformat()})


def read_targets(fx: Fixtures) -> dict[str, list[Target]]:
    """The GET scenarios, in groups measured interleaved with the references."""
    _, patient_id, bearer = fx.reader
    auth = {"Authorization": bearer}
    return {
        # In rotation: each ratio's target runs right beside its reference in every round.
        "reads": [
            Target("ref_bare", "/bench/bare/"),
            Target("ref_drf_naive", "/bench/drf-appointments/", auth),
            Target("me_appointments", "/api/v1/me/appointments/", auth),
            Target("ref_raw_query", f"/bench/raw-appointments/?patient={patient_id}"),
            Target(
                "slot_search", f"/api/v1/slots/?specialty={fx.specialty}&{_slot_window()}", auth
            ),
            Target("me_allergies", "/api/v1/me/allergies/", auth),
            Target("provider_search", f"/api/v1/providers/?specialty={fx.specialty}", auth),
            Target("staff_today", "/staff/", {"Cookie": fx.staff_cookie}),
            Target(
                "admin_changelist",
                "/admin/scheduling/appointment/",
                {"Cookie": fx.admin_cookie},
            ),
        ]
    }


def probe(port: int, target: Target) -> dict[str, object]:
    """A request's status, size and number of queries (X-Bench-Queries).

    Asked a few times, the last answer kept: both workers have then opened their database
    connections, whose set-up queries are not the endpoint's.
    """
    for _ in range(4):
        status, headers, body = request(port, "GET", target.path, headers=target.headers)
    return {
        "status": status,
        "bytes": len(body),
        "queries": int(headers.get("x-bench-queries", "-1")),
    }


# --- bookings -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Task:
    patient_index: int
    slot_id: int
    start: dt.datetime
    end: dt.datetime


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def booking_tasks(fx: Fixtures, *, days: tuple[int, int], wanted: int) -> list[Task]:
    """Free slots assigned to patients so that no booking overlaps another of the same patient.

    Patient i books only practitioner i's slots (a practitioner's slots never overlap) and
    skips those overlapping one of their own active appointments.
    """
    from apps.scheduling import public as scheduling
    from apps.scheduling.models import Appointment

    now = timezone.now()
    slots = scheduling.bookable_slots(
        start=now + dt.timedelta(days=days[0]),
        end=now + dt.timedelta(days=days[1]),
        appointment_type_id=fx.appointment_type_id,
        limit=5000,
    )
    by_practitioner: dict[int, list] = {}
    for slot in slots:
        by_practitioner.setdefault(slot.practitioner_id, []).append(slot)
    practitioners = sorted(by_practitioner)
    patient_ids = [pid for _, pid, _ in fx.patients]
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {pid: [] for pid in patient_ids}
    for pid, start, end in Appointment.objects.filter(
        patient_id__in=patient_ids, status__in=ACTIVE, end__gt=now
    ).values_list("patient_id", "start", "end"):
        busy[pid].append((start, end))
    queues = []
    for index, practitioner_id in enumerate(practitioners[: len(patient_ids)]):
        pid = patient_ids[index]
        free = [
            s
            for s in by_practitioner[practitioner_id]
            if not any(_overlaps(s.start, s.end, b0, b1) for b0, b1 in busy[pid])
        ]
        queues.append([Task(index, s.id, s.start, s.end) for s in free])
    tasks: list[Task] = []
    while len(tasks) < wanted and any(queues):
        for queue in queues:
            if queue and len(tasks) < wanted:
                tasks.append(queue.pop(0))
    return tasks


def contended_slots(fx: Fixtures, *, first_day: int, count: int) -> list[int]:
    """One free slot on each of `count` days from `first_day` on, so that the winner of one
    race never overlaps the next race's slot."""
    from apps.scheduling import public as scheduling

    now = timezone.now()
    chosen: list[int] = []
    day = first_day
    while len(chosen) < count and day < first_day + 3 * count + 10:
        found = scheduling.bookable_slots(
            start=now + dt.timedelta(days=day),
            end=now + dt.timedelta(days=day + 1),
            appointment_type_id=fx.appointment_type_id,
            limit=1,
        )
        chosen.extend(slot.id for slot in found)
        day += 1
    return chosen


def _book(port: int, fx: Fixtures, patient_index: int, slot_id: int, conn=None):
    _, _, bearer = fx.patients[patient_index]
    return request(
        port,
        "POST",
        "/api/v1/me/appointments/",
        headers={"Authorization": bearer, "Idempotency-Key": uuid.uuid4().hex},
        body={"slot": slot_id, "appointment_type": fx.appointment_type_id},
        conn=conn,
    )


def _status_counts(statuses: list[int]) -> dict[str, int]:
    return {
        "2xx": sum(1 for s in statuses if 200 <= s < 300),
        "4xx": sum(1 for s in statuses if 400 <= s < 500),
        "5xx": sum(1 for s in statuses if s >= 500),
        "other": sum(1 for s in statuses if s < 200 or 300 <= s < 400),
    }


def booking_uncontended(port: int, fx: Fixtures, tasks: list[Task], *, clients: int) -> dict:
    """Bookings of distinct free slots by `clients` concurrent clients, back to back."""
    pending = list(tasks)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: list[int] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not pending:
                    break
                task = pending.pop(0)
            began = time.perf_counter()
            status, _, _ = _book(port, fx, task.patient_index, task.slot_id, conn=conn)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                statuses.append(status)
        conn.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began
    p50, p95, p99 = percentiles(latencies, (50, 95, 99))
    counts = _status_counts(statuses)
    return {
        "requests": len(statuses),
        "seconds": round(seconds, 2),
        "rps": round(len(statuses) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(p99, 2),
        "errors_4xx": counts["4xx"],
        "errors_5xx": counts["5xx"],
        "created": counts["2xx"],
        "clients": clients,
    }


def booking_contended(port: int, fx: Fixtures, slot_ids: list[int], *, racers: int) -> dict:
    """`racers` patients race for each slot at once: exactly one may win it."""
    from apps.scheduling.models import Appointment, Slot

    racers = min(racers, len(fx.patients))
    per_slot = []
    all_statuses: list[int] = []
    latencies: list[float] = []
    for slot_id in slot_ids:
        barrier = threading.Barrier(racers)
        statuses: list[int] = []
        lock = threading.Lock()

        def racer(
            index: int, slot_id: int = slot_id, barrier=barrier, statuses=statuses, lock=lock
        ) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.connect()
            barrier.wait()
            began = time.perf_counter()
            try:
                status, _, _ = _book(port, fx, index, slot_id, conn=conn)
            except (OSError, http.client.HTTPException):
                status = 599
            elapsed = (time.perf_counter() - began) * 1000
            conn.close()
            with lock:
                statuses.append(status)
                latencies.append(elapsed)

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts = _status_counts(statuses)
        per_slot.append({"slot": slot_id, **counts})
        all_statuses.extend(statuses)
    # Afterwards, from the database: no slot holds more active bookings than its capacity.
    capacity = dict(Slot.objects.filter(id__in=slot_ids).values_list("id", "capacity"))
    held = (
        Appointment.objects.filter(slot_id__in=slot_ids, status__in=ACTIVE)
        .values_list("slot_id")
        .annotate(n=Count("id"))
    )
    double = sum(1 for slot_id, n in held if n > capacity.get(slot_id, 1))
    counts = _status_counts(all_statuses)
    p50, p95, p99 = percentiles(latencies, (50, 95, 99))
    return {
        "slots": len(slot_ids),
        "racers": racers,
        "requests": len(all_statuses),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(p99, 2),
        "slots_with_exactly_one_success": sum(1 for s in per_slot if s["2xx"] == 1),
        "errors_4xx": counts["4xx"],
        "errors_5xx": counts["5xx"],
        "double_bookings": double,
        "per_slot": per_slot,
    }


# --- the outbox -----------------------------------------------------------------------------


def outbox_settle() -> int:
    """Mark every pending outbox row delivered (seeded history, earlier runs' bookings).

    The bench's own database only: its notifications would otherwise send one message per
    seeded appointment while the bench measures.
    """
    from apps.core.models import OutboxEvent

    settled = OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).update(
        status=OutboxEvent.Status.DELIVERED, delivered_at=timezone.now()
    )
    if settled:  # as autovacuum would, after changing that many rows
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {OutboxEvent._meta.db_table}")
    return settled


def purge_queues(*names: str) -> None:
    from healthportal.celery import app

    with app.connection_for_write() as conn:
        for name in names:
            conn.default_channel.queue_purge(name)


def relay_throughput(events: int) -> dict:
    """Relay `events` outbox rows vs. publishing as many no-op tasks straight to the broker."""
    from apps.core.models import OutboxEvent
    from apps.core.outbox import outbox_relay_all
    from healthportal.celery import app

    sample = (
        OutboxEvent.objects.filter(event_type="scheduling.AppointmentBooked")
        .order_by("-id")
        .first()
    )
    event_type = sample.event_type if sample else "scheduling.AppointmentBooked"
    payload = sample.payload if sample else {"appointment_id": 0}
    now = timezone.now()
    rows = [
        OutboxEvent(
            event_id=uuid.uuid4(),
            event_type=event_type,
            version=1,
            aggregate_type="scheduling.Appointment",
            aggregate_id=str(i),
            payload=payload,
            occurred_at=now,
            available_at=now,
        )
        for i in range(events)
    ]
    with transaction.atomic():
        OutboxEvent.objects.bulk_create(rows, batch_size=1000)
    began = time.perf_counter()
    delivered = outbox_relay_all(max_batches=events // settings.OUTBOX_BATCH_SIZE + 10)
    relay_seconds = time.perf_counter() - began
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": 1,
        "occurred_at": now.isoformat(),
        "aggregate_type": "scheduling.Appointment",
        "aggregate_id": "0",
        "payload": payload,
    }
    began = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for _ in range(events):
            app.send_task(
                "bench.noop", args=[envelope], queue="bench-noop", producer=producer, retry=False
            )
    publish_seconds = time.perf_counter() - began
    purge_queues("bench-noop", "notifications", "default")
    return {
        "events": events,
        "delivered": delivered,
        "relay_seconds": round(relay_seconds, 3),
        "relay_events_per_s": round(delivered / relay_seconds, 1),
        "noop_publish_seconds": round(publish_seconds, 3),
        "noop_publish_per_s": round(events / publish_seconds, 1),
    }


def booking_confirmation(port: int, fx: Fixtures, tasks: list[Task], *, timeout: float) -> dict:
    """Booking POST until the confirmation message is sent (worker running, no beat)."""
    from extracted.notifications.models import Message

    latencies: list[float] = []
    missed = without_consent = 0
    statuses: list[int] = []
    for task in tasks:
        began = time.perf_counter()
        status, _, body = _book(port, fx, task.patient_index, task.slot_id)
        statuses.append(status)
        if status != 201:
            continue
        appointment_id = json.loads(body)["id"]
        deadline = began + timeout
        while time.perf_counter() < deadline:
            statuses_now = set(
                Message.objects.filter(
                    appointment_id=appointment_id, kind="confirmation"
                ).values_list("status", flat=True)
            )
            if "sent" in statuses_now:
                latencies.append(time.perf_counter() - began)
                break
            if statuses_now == {"cancelled"}:
                # The patient consented to no channel: the service rightly sends nothing.
                without_consent += 1
                break
            time.sleep(0.02)
        else:
            missed += 1
    p50, p95, p99 = percentiles(latencies + [float("inf")] * missed, (50, 95, 99))
    return {
        "bookings": len(tasks),
        "created": sum(1 for s in statuses if s == 201),
        "confirmed": len(latencies),
        "missed": missed,
        "without_consent": without_consent,
        "p50_s": round(p50, 3),
        "p95_s": round(p95, 3) if p95 != float("inf") else None,
        "p99_s": round(p99, 3) if p99 != float("inf") else None,
        "mean_s": round(statistics.mean(latencies), 3) if latencies else None,
        "sweep_seconds": settings.OUTBOX_SWEEP_SECONDS,
    }


def machine() -> dict:
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                "",
            )
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "postgres": postgres,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
