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


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserDeactivated(DomainEvent):
    """A login was deactivated; its sessions were ended and its refresh tokens revoked."""

    event_type = "accounts.UserDeactivated"
    version = 1
    aggregate_type = "accounts.User"
    aggregate_id_field = "user_id"

    user_id: int
    by_id: int | None  # the admin who did it; None for a system action


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserSecondFactorReset(DomainEvent):
    """A user's authenticator app and backup codes were removed (a lost device) and their
    sessions ended: they enrol a new device at their next sign-in."""

    event_type = "accounts.UserSecondFactorReset"
    version = 1
    aggregate_type = "accounts.User"
    aggregate_id_field = "user_id"

    user_id: int
    by_id: int | None
