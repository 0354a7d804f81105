"""Public data of accounts: roles and the user reference other apps receive. No Django."""

from __future__ import annotations

import dataclasses
import enum

from apps.core.errors import ValidationFailed


class Role(enum.StrEnum):
    """A role is a Django group of the same name, created by a migration."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"
    PATIENT = "patient"

    @property
    def is_staff_role(self) -> bool:
        return self is not Role.PATIENT


@dataclasses.dataclass(frozen=True)
class UserRef:
    id: int
    email: str
    roles: frozenset[Role]
    is_active: bool


@dataclasses.dataclass(frozen=True)
class TotpEnrolment:
    """What the enrolment page shows: a QR code of the otpauth URI and the secret to type."""

    secret_base32: str
    provisioning_uri: str
    qr_svg: str


class PasswordResetLinkInvalid(ValidationFailed):
    """Unknown, tampered, used and expired reset links are refused alike."""

    code = "reset_link_invalid"
