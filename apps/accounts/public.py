"""What other apps may call in accounts: users in a role, roles, passwords and reset links."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from apps.accounts import selectors, services, two_factor
from apps.accounts.contracts import Role, TotpEnrolment, UserRef
from apps.accounts.models import normalize_email


def user_create(
    *,
    email: str,
    role: Role,
    password: str | None = None,
    password_hash: str | None = None,
    display_name: str = "",
) -> UserRef:
    user = services.user_create(
        email=email,
        role=role,
        password=password,
        password_hash=password_hash,
        display_name=display_name,
    )
    return selectors.user_ref(user=user)


def user_find(*, email: str) -> UserRef | None:
    user = selectors.user_get_by_email(email=email)
    return selectors.user_ref(user=user) if user else None


def user_has_role(*, user_id: int, role: Role) -> bool:
    return selectors.user_has_role(user_id=user_id, role=role)


def user_roles(*, user_id: int) -> frozenset[Role]:
    """The roles of an active user (none for an inactive or unknown one): one query."""
    return selectors.user_roles_of(user_id=user_id)


def user_is_staff(*, user_id: int) -> bool:
    return selectors.user_is_staff(user_id=user_id)


def user_credentials_validate(*, email: str, password: str) -> str:
    """Check a new login's email and password strength (every bad field at once), writing
    nothing; the normalised email. Raises ValidationFailed."""
    return services.user_credentials_validate(email=email, password=password)


def user_is_active(*, user_id: int) -> bool:
    return selectors.user_is_active(user_id=user_id)


def user_password_change(*, user_id: int, old_password: str, new_password: str) -> None:
    """Change a password knowing the old one; revokes the user's refresh tokens."""
    services.user_password_change(
        user_id=user_id, old_password=old_password, new_password=new_password
    )


def user_password_reset_send(*, email: str) -> bool:
    """Email a reset link if `email` is an active patient login; whether one was sent."""
    return services.user_password_reset_send(email=email)


def user_password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    """Set a new password from a reset link; raises PasswordResetLinkInvalid, ValidationFailed."""
    services.user_password_reset_confirm(uid=uid, token=token, new_password=new_password)


def user_tokens_revoke(*, user_id: int) -> int:
    """Blacklist every refresh token the user holds (sign out everywhere)."""
    return services.user_tokens_revoke(user_id=user_id)


def user_refresh_token_revoke(*, user_id: int, refresh: str) -> None:
    """Sign out one session by blacklisting its refresh token; raises ValidationFailed
    ("refresh_token_invalid") unless it is a live refresh token of this user."""
    services.user_refresh_token_revoke(user_id=user_id, refresh=refresh)


def email_normalize(email: str) -> str:
    """The one spelling of an address that logins use (lower case, no surrounding space)."""
    return normalize_email(email)


# --- staff second factor ----------------------------------------------------------------------


def second_factor_enrolled(*, user_id: int) -> bool:
    """Whether the user has a confirmed authenticator app."""
    return two_factor.has_confirmed_totp(user_id=user_id)


def totp_enrolment_start(*, user_id: int) -> TotpEnrolment:
    return two_factor.totp_enrolment_start(user_id=user_id)


def totp_enrolment_confirm(*, request: HttpRequest, token: str) -> list[str] | None:
    """Confirm enrolment with the app's first code: the new backup codes, or None if wrong."""
    return two_factor.totp_enrolment_confirm(request=request, token=token)


def second_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Verify the signed-in user's code (app or backup) and mark the session verified."""
    return two_factor.second_factor_verify(request=request, token=token)


def backup_codes_regenerate(*, user_id: int) -> list[str]:
    return two_factor.backup_codes_regenerate(user_id=user_id)


def backup_codes_remaining(*, user_id: int) -> int:
    return two_factor.backup_codes_remaining(user_id=user_id)


def second_factor_reset(*, user_id: int) -> None:
    """Remove a user's devices (a lost phone): they enrol again at their next sign-in."""
    two_factor.second_factor_reset(user_id=user_id)


def totp_device_install(*, user_id: int, secret_base32: str) -> None:
    """A confirmed device with a known secret, for demo staff only (refused in production)."""
    two_factor.totp_device_install(user_id=user_id, secret_base32=secret_base32)


def user_display_names(*, user_ids: Iterable[int]) -> dict[int, str]:
    """Names to show for users (the access log keeps only ids): one query."""
    return selectors.user_display_names(user_ids=user_ids)
