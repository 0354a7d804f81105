"""What changed in a clinical record, as plain data: the DTOs of the apps' change readers.

No Django here, like the apps' contracts: the portal renders these and extracted services may
read them. Values are display text of PHI: shown to care staff, never logged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum


class ChangeKind(enum.StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


@dataclasses.dataclass(frozen=True)
class FieldChange:
    """One field's move: its label and its old and new values as display text ("" for none)."""

    field: str
    label: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class RecordChange:
    """One saved version of a record: when, by whom (a user id, None for the system or an
    import), what kind of change, and which fields changed. A creation lists the values set."""

    when: dt.datetime
    user_id: int | None
    kind: ChangeKind
    # "patient", "allergy", "reaction", "appointment": which reader's record this is.
    record_type: str
    record_id: int
    record_label: str
    changes: tuple[FieldChange, ...]
    # The record existed before history was kept: this change's old values are unknown.
    earlier_unrecorded: bool = False
    # Orders changes made in the same instant (per record type).
    sequence: int = 0
