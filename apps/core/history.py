"""Change history of clinical records (django-simple-history): the shared configuration, who
made a change, history rows for bulk writes, and the diff of saved versions into RecordChange.

The apps own their history tables and readers; this module holds what they share (ADR 0009).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords

from apps.core.changes import ChangeKind, FieldChange, RecordChange

# BaseModel's bookkeeping: every save moves them, and history_date / history_user already say
# when and by whom. Left out of the history tables, they never show as a change.
BOOKKEEPING_FIELDS = ("updated_at", "updated_by")
# Set once at creation; a version's diff never lists them.
_UNCHANGING = frozenset({"id", "created_at", "created_by"})
_KINDS = {"+": ChangeKind.CREATED, "~": ChangeKind.CHANGED, "-": ChangeKind.DELETED}


def clinical_history(
    *, excluded: Sequence[str] = BOOKKEEPING_FIELDS, unindexed: Sequence[str] = ()
) -> HistoricalRecords:
    """HistoricalRecords as every clinical model uses it. `unindexed`: foreign keys that no
    reader looks history up by; their indexes would only slow every write down."""
    return HistoricalRecords(excluded_fields=list(excluded), no_db_index=list(unindexed))


def history_actor_set(instance: models.Model, *, user_id: int | None) -> None:
    """Name who makes the next save of `instance` in its history row.

    Services know their actor (staff, a patient through the API), so they say it rather than
    rely on the request the history middleware saw: tasks have none. None names no one, and
    leaves the request's signed-in user, if any, as the best knowledge. The user is referenced
    by id, without a query.
    """
    if user_id is None:
        instance.__dict__.pop("_history_user", None)
    else:
        instance._history_user = get_user_model()(pk=user_id)


def history_record_bulk_created(
    model: type[models.Model], ids: Sequence[int], *, user_id: int | None, when: dt.datetime
) -> None:
    """The "created" history rows of rows just written in bulk (COPY), in one INSERT ... SELECT:
    imported records have a history from their creation like any other, at a fraction of the
    cost of building history objects in Python."""
    if not ids:
        return
    history = model.history.model
    columns = [
        field.column
        for field in history._meta.concrete_fields
        if not field.name.startswith("history_")
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608 - names from _meta
            f"({names}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {names}, %s, NULL, '+', %s FROM {quote(model._meta.db_table)} "
            "WHERE id = ANY(%s) ORDER BY id",
            [when, user_id, list(ids)],
        )


def _text(field: models.Field, value: Any) -> str:
    """A value as the page shows it: choice labels, Yes/No, ISO dates, "#id" for a reference."""
    if value is None or value == "":
        text = ""
    elif field.is_relation:
        text = f"#{value}"
    elif field.choices:
        text = str(dict(field.flatchoices).get(value, value))
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, dt.datetime):
        text = timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = ", ".join(str(item) for item in value)
    else:
        text = str(value)
    return text


def _tracked_fields(model: type[models.Model]) -> list[models.Field]:
    history = model.history.model
    kept = {field.attname for field in history._meta.concrete_fields}
    return [
        field
        for field in model._meta.concrete_fields
        if field.attname in kept and field.name not in _UNCHANGING
    ]


def record_changes(
    rows: Iterable[Any],
    *,
    model: type[models.Model],
    record_type: str,
    label: Callable[[Any], str],
    named: Collection[str] = (),
) -> list[RecordChange]:
    """Diff each saved version with the one before it of the same record, oldest first.

    `rows` are `model`'s historical rows ordered by history_id (one query: the caller's).
    References in `named` show the referenced row's name: the caller select_related them.
    A save that changed no tracked field is left out; a change whose earlier version was never
    recorded (the record predates history) says so instead of inventing old values.
    """
    fields = _tracked_fields(model)

    def display(field: models.Field, row: Any) -> str:
        value = getattr(row, field.attname)
        if field.name in named and value is not None:
            return str(getattr(row, field.name))
        return _text(field, value)

    previous: dict[int, Any] = {}
    changes: list[RecordChange] = []
    for row in rows:
        before = previous.get(row.id)
        previous[row.id] = row
        kind = _KINDS[row.history_type]
        if kind is ChangeKind.DELETED:
            moved: tuple[FieldChange, ...] = ()
        elif kind is ChangeKind.CREATED or before is None:
            moved = tuple(
                FieldChange(field.name, capfirst(field.verbose_name), "", new)
                for field in fields
                if (new := display(field, row))
            )
        else:
            moved = tuple(
                FieldChange(
                    field.name,
                    capfirst(field.verbose_name),
                    display(field, before),
                    display(field, row),
                )
                for field in fields
                if getattr(before, field.attname) != getattr(row, field.attname)
            )
            if not moved:
                continue
        changes.append(
            RecordChange(
                when=row.history_date,
                user_id=row.history_user_id,
                kind=kind,
                record_type=record_type,
                record_id=row.id,
                record_label=label(row),
                changes=moved,
                earlier_unrecorded=kind is ChangeKind.CHANGED and before is None,
                sequence=row.history_id,
            )
        )
    return changes
