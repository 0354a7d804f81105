"""Writes of the audit app: append access records, seal them into the hash chain, grant
break-glass access.

- A request's records go to a buffer on the request; AccessLogMiddleware writes the buffer with
  one INSERT when the response is ready (error responses included). Outside a request, records
  are written at once. Neither takes a lock: ids come from the table's sequence.
- `seal_pending` runs on beat. It seals committed rows in id order up to a safe watermark
  (`_seal_watermark`), so a transaction that took a lower id and commits later is never skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_guid import get_guid

from apps.audit.contracts import (
    AccessContext,
    Action,
    BreakGlassReasonInvalid,
    Outcome,
    Purpose,
    Severity,
)
from apps.audit.events import BreakGlassAccessGranted
from apps.audit.models import USER_AGENT_LENGTH, AccessRecord, BreakGlassGrant, Seal
from apps.core.outbox import emit

logger = logging.getLogger(__name__)

BUFFER_ATTRIBUTE = "_audit_buffer"
ACTOR_ATTRIBUTE = "_audit_actor"
GENESIS_HASH = "0" * 64
SEAL_BATCH_SIZE = 5000
# The sealer's lock: two beat runs never build two links on the same predecessor (the unique
# after_id would refuse the second anyway). Only sealers take it; recording never does.
SEAL_LOCK_KEY = 0x4A0D17
PROGRESS_EVERY = 100


# --- recording ---------------------------------------------------------------------------------


def _django_request(source: Any) -> HttpRequest | None:
    # A DRF Request wraps Django's; the buffer and the actor live on Django's.
    inner = getattr(source, "_request", source)
    return inner if isinstance(inner, HttpRequest) else None


def actor_set(request: Any, *, user_id: int, actor_role: str) -> None:
    """Say once per request who acts and in which role; later records use it."""
    django_request = _django_request(request)
    if django_request is not None:
        setattr(django_request, ACTOR_ATTRIBUTE, (user_id, actor_role))


def _request_fields(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, ACTOR_ATTRIBUTE, None)
    if actor is None:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        actor = (user_id, "")
    return {
        "user_id": actor[0],
        "actor_role": actor[1],
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        "request_id": (get_guid() or "")[:64],
    }


def _context_fields(context: AccessContext | None) -> dict[str, Any]:
    if context is None:
        return {"user_id": None, "actor_role": "system", "ip_address": None, "user_agent": ""}
    return {
        "user_id": context.user_id,
        "actor_role": context.actor_role,
        "ip_address": context.ip_address,
        "user_agent": context.user_agent[:USER_AGENT_LENGTH],
        "request_id": context.request_id or (get_guid() or "")[:64],
    }


def access_record(
    source: Any,
    *,
    patient_id: int | None,
    resource: str,
    resource_id: object = "",
    action: Action,
    purpose: Purpose,
    outcome: Outcome = Outcome.ALLOWED,
    severity: Severity = Severity.NORMAL,
) -> None:
    """Append one access: to the request's buffer, or straight to the table outside a request."""
    request = _django_request(source)
    fields = _request_fields(request) if request is not None else _context_fields(source)
    row = {
        "occurred_at": timezone.now(),
        "patient_id": patient_id,
        "resource_type": resource,
        "resource_id": str(resource_id),
        "action": Action(action).value,
        "purpose": Purpose(purpose).value,
        "outcome": Outcome(outcome).value,
        "severity": Severity(severity).value,
        "request_id": "",
        **fields,
    }
    buffer = getattr(request, BUFFER_ATTRIBUTE, None) if request is not None else None
    if buffer is not None:
        buffer.append(row)
    else:
        _insert([row])


def buffer_open(request: HttpRequest) -> None:
    setattr(request, BUFFER_ATTRIBUTE, [])


def buffer_flush(request: HttpRequest) -> int:
    """Write the request's records with one INSERT; how many."""
    rows: list[dict[str, Any]] = getattr(request, BUFFER_ATTRIBUTE, None) or []
    setattr(request, BUFFER_ATTRIBUTE, None)
    if rows:
        _insert(rows)
    return len(rows)


# What a record holds, as written (id and inserted_at come from the database) and as sealed.
RECORD_FIELDS = (
    "occurred_at",
    "user_id",
    "actor_role",
    "patient_id",
    "resource_type",
    "resource_id",
    "action",
    "purpose",
    "outcome",
    "severity",
    "ip_address",
    "user_agent",
    "request_id",
)

_INSERT = "INSERT INTO {table} ({columns}) VALUES ".format(  # noqa: S608 - constant names
    table=connection.ops.quote_name(AccessRecord._meta.db_table),
    columns=", ".join(RECORD_FIELDS),
)
_VALUES = "(" + ", ".join(["%s"] * len(RECORD_FIELDS)) + ")"


def _insert(rows: list[dict[str, Any]]) -> None:
    """One plain multi-row INSERT: on every request that reads PHI, the ORM's bulk_create
    (model instances, RETURNING ids nobody reads) cost more than the statement itself."""
    params = [row[column] for row in rows for column in RECORD_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT + ", ".join([_VALUES] * len(rows)), params)


# --- break-glass -------------------------------------------------------------------------------


def break_glass_grant(
    *, request: Any, user_id: int, actor_role: str, patient_id: int, reason: str
) -> BreakGlassGrant:
    """Grant `user_id` access to `patient_id` for BREAK_GLASS_MINUTES, record it with high
    severity and emit BreakGlassAccessGranted (admins are alerted by notifications)."""
    reason = (reason or "").strip()
    minimum = settings.BREAK_GLASS_REASON_MIN_LENGTH
    if len(reason) < minimum:
        raise BreakGlassReasonInvalid(
            f"Give a reason of at least {minimum} characters.",
            field_errors={"reason": [f"At least {minimum} characters are required."]},
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user_id=user_id,
            patient_id=patient_id,
            reason=reason,
            granted_at=now,
            expires_at=now + dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        emit(
            BreakGlassAccessGranted(
                grant_id=grant.id,
                user_id=user_id,
                actor_role=actor_role,
                patient_id=patient_id,
                granted_at=grant.granted_at.isoformat(),
                expires_at=grant.expires_at.isoformat(),
            )
        )
    access_record(
        request if request is not None else AccessContext(user_id=user_id, actor_role=actor_role),
        patient_id=patient_id,
        resource="break_glass_grant",
        resource_id=grant.id,
        action=Action.BREAK_GLASS,
        purpose=Purpose.BREAK_GLASS,
        severity=Severity.HIGH,
    )
    return grant


# --- sealing -----------------------------------------------------------------------------------


def row_digest(values: dict[str, Any]) -> str:
    """sha256 of a row's content in a canonical form (sorted-key JSON, UTC ISO times)."""
    content = {}
    for name in RECORD_FIELDS:
        value = values[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        content[name] = value
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def chain_hash(prev_hash: str, pairs: Iterable[tuple[int, str]]) -> str:
    body = "\n".join(f"{record_id}:{digest}" for record_id, digest in pairs)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _seal_watermark() -> dt.datetime:
    """Rows inserted before this moment can no longer be joined by a lower id.

    A row's id is taken (nextval) just before its `inserted_at` (clock_timestamp(), evaluated
    after the id). A transaction still open holds ids taken after its start, so every row
    inserted before the oldest open writing transaction started, and before the grace period,
    has all lower ids either committed or rolled back for good. Read before the rows.
    """
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction unless the snapshot is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            """
            SELECT LEAST(
                clock_timestamp() - make_interval(secs => %s),
                (SELECT min(xact_start) FROM pg_stat_activity
                  WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
                    AND datname = current_database())
            )
            """,
            [settings.AUDIT_SEAL_GRACE_SECONDS],
        )
        return cursor.fetchone()[0]


def _rows_values(queryset: Any) -> Any:
    return queryset.order_by("id").values("id", *RECORD_FIELDS)


def seal_pending(*, batch_size: int = SEAL_BATCH_SIZE, max_batches: int = 100) -> int:
    """Seal committed, unsealed rows up to the watermark; how many rows were sealed."""
    sealed = 0
    watermark = _seal_watermark()
    last_id = (
        AccessRecord.objects.filter(inserted_at__lt=watermark)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if last_id is None:
        return 0
    for _ in range(max_batches):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            previous = Seal.objects.order_by("-last_id").first()
            after_id = previous.last_id if previous else 0
            prev_hash = previous.hash if previous else GENESIS_HASH
            if after_id >= last_id:
                break
            rows = _rows_values(AccessRecord.objects.filter(id__gt=after_id, id__lte=last_id))[
                :batch_size
            ]
            if not rows:
                break
            pairs = [(row["id"], row_digest(row)) for row in rows]
            Seal.objects.create(
                after_id=after_id,
                last_id=pairs[-1][0],
                row_ids=[record_id for record_id, _ in pairs],
                row_digests=[digest for _, digest in pairs],
                prev_hash=prev_hash,
                hash=chain_hash(prev_hash, pairs),
            )
            sealed += len(pairs)
    return sealed


# --- verifying ---------------------------------------------------------------------------------


def _diagnose(seal: Seal, actual: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    expected = dict(zip(seal.row_ids, seal.row_digests, strict=True))
    found = dict(actual)
    by_digest = {digest: record_id for record_id, digest in expected.items()}
    problems: list[dict[str, Any]] = []
    for record_id, digest in actual:
        if record_id not in expected:
            problems.append(
                {"kind": "unsealed", "record_id": record_id, "detail": "not in the seal"}
            )
        elif digest != expected[record_id]:
            moved_from = by_digest.get(digest)
            if moved_from is not None and moved_from != record_id:
                problems.append(
                    {
                        "kind": "reordered",
                        "record_id": record_id,
                        "detail": f"holds the content sealed as row {moved_from}",
                    }
                )
            else:
                problems.append(
                    {"kind": "changed", "record_id": record_id, "detail": "content differs"}
                )
    for record_id in expected:
        if record_id not in found:
            problems.append({"kind": "missing", "record_id": record_id, "detail": "row is gone"})
    return problems


def chain_verify(
    *, progress: Callable[[int, int], None] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """Recompute the chain over every seal; (rows checked, problems found). `progress` is told
    (seals done, seals in all) every PROGRESS_EVERY seals."""
    problems: list[dict[str, Any]] = []
    checked = 0
    prev_hash = GENESIS_HASH
    prev_last_id = 0
    total = Seal.objects.count()
    for done, seal in enumerate(Seal.objects.order_by("last_id").iterator(chunk_size=100), 1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
        if seal.prev_hash != prev_hash or seal.after_id != prev_last_id:
            problems.append(
                {
                    "kind": "seal-broken",
                    "seal_id": seal.id,
                    "detail": f"seal {seal.id} does not follow the previous seal",
                }
            )
        stored = list(zip(seal.row_ids, seal.row_digests, strict=True))
        if chain_hash(seal.prev_hash, stored) != seal.hash:
            problems.append(
                {"kind": "seal-broken", "seal_id": seal.id, "detail": "seal hash does not match"}
            )
        rows = _rows_values(AccessRecord.objects.filter(id__gt=seal.after_id, id__lte=seal.last_id))
        actual = [(row["id"], row_digest(row)) for row in rows]
        checked += len(actual)
        if chain_hash(seal.prev_hash, actual) != seal.hash:
            found = _diagnose(seal, actual)
            problems.extend({**problem, "seal_id": seal.id} for problem in found)
        prev_hash = seal.hash
        prev_last_id = seal.last_id
    return checked, problems
