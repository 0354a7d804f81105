"""Domain events of accounts, as other apps and extracted services receive them. No Django.

Payloads carry the user id and codes only: never the email address or anything of a password.
"""

from __future__ import annotations

import dataclasses
import enum

from apps.core.events import DomainEvent


class PasswordChangeReason(enum.StrEnum):
    CHANGE = "change"  # the user gave their old password
    RESET = "reset"  # the user followed an emailed reset link


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserPasswordChanged(DomainEvent):
    """A user's password changed and every refresh token they held was revoked."""

    event_type = "accounts.UserPasswordChanged"
    version = 1
    aggregate_type = "accounts.User"
    aggregate_id_field = "user_id"

    user_id: int
    reason: PasswordChangeReason
