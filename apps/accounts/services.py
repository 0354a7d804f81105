"""Writes of users: creation with a role, deactivation, second-factor resets, sessions,
passwords and their reset links."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts import two_factor
from apps.accounts.contracts import PasswordResetLinkInvalid, Role
from apps.accounts.events import (
    PasswordChangeReason,
    UserDeactivated,
    UserPasswordChanged,
    UserSecondFactorReset,
)
from apps.accounts.models import User, normalize_email
from apps.core.errors import Conflict, ValidationFailed
from apps.core.outbox import emit

logger = logging.getLogger(__name__)


@transaction.atomic
def user_create(
    *,
    email: str,
    role: Role,
    password: str | None = None,
    password_hash: str | None = None,
    display_name: str = "",
) -> User:
    """Create a user in one role. Give a password (validated) or a ready hash (bulk seeding)."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(
            "The email address is not valid.", field_errors={"email": exc.messages}
        ) from exc
    if User.objects.filter(email=email).exists():
        raise Conflict("A user with this email already exists.", code="email_taken")
    user = User(
        email=email,
        display_name=display_name,
        is_staff=role is Role.ADMIN,
        is_superuser=role is Role.ADMIN,
    )
    if password_hash is not None:
        user.password = password_hash
    elif password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(
                "The password is too weak.", field_errors={"password": exc.messages}
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=role.value))
    return user


@transaction.atomic
def user_deactivate(*, user_id: int, by_id: int | None) -> User:
    """Deactivate a login at once: it can no longer sign in, its open sessions end now (the
    next request is anonymous) and every refresh token it holds is revoked. Emits
    UserDeactivated when the login was active; deactivating an inactive one only repeats the
    revocations."""
    user = _user_for_update(user_id)
    was_active = user.is_active
    if was_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    user_sessions_end(user_id=user.pk)
    user_tokens_revoke(user_id=user.pk)
    if was_active:
        emit(UserDeactivated(user_id=user.pk, by_id=by_id))
        logger.info("user %s deactivated by %s", user.pk, by_id)
    return user


@transaction.atomic
def user_second_factor_reset(*, user_id: int, by_id: int | None) -> None:
    """A lost device: remove the user's authenticator app and backup codes and end their
    sessions, so the next sign-in enrols a new device. Emits UserSecondFactorReset."""
    user = _user_for_update(user_id)
    two_factor.second_factor_reset(user_id=user.pk)
    user_sessions_end(user_id=user.pk)
    emit(UserSecondFactorReset(user_id=user.pk, by_id=by_id))
    logger.info("second factor of user %s reset by %s", user.pk, by_id)


def user_sessions_end(*, user_id: int) -> int:
    """Delete every unexpired session signed in as the user; how many.

    Sessions live in the database and lapse after SESSION_IDLE_MINUTES without a request, so the
    unexpired ones are the few of the last minutes: reading them all is cheap, and spares a
    table of session keys per user kept up to date at every sign-in.
    """
    live = Session.objects.filter(expire_date__gt=timezone.now())
    keys = [
        session.session_key
        for session in live.iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == str(user_id)
    ]
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_credentials_validate(*, email: str, password: str) -> str:
    """Check a new login's email and password strength together, writing nothing; the
    normalised email. Raises ValidationFailed naming every bad field."""
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError as exc:
        errors["email"] = exc.messages
    try:
        # The similarity validator compares the password with the email, so give it a user.
        validate_password(password, User(email=email))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationFailed("The login details are not valid.", field_errors=errors)
    return email


def _user_for_update(user_id: int) -> User:
    return User.objects.select_for_update().get(pk=user_id)


def _password_set(*, user: User, password: str, field: str, reason: PasswordChangeReason) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            "The password is too weak.", field_errors={field: exc.messages}
        ) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    user_tokens_revoke(user_id=user.pk)
    emit(UserPasswordChanged(user_id=user.pk, reason=reason))


@transaction.atomic
def user_tokens_revoke(*, user_id: int) -> int:
    """Blacklist every refresh token the user still holds; how many were newly blacklisted.

    Access tokens are not tracked: they lapse within ACCESS_TOKEN_LIFETIME.
    """
    outstanding = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True)
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(created)


@transaction.atomic
def user_refresh_token_revoke(*, user_id: int, refresh: str) -> None:
    """Sign out one session: blacklist `refresh`, which must be a live refresh token of this
    user. Someone else's, a tampered, expired or already revoked token are refused alike."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise _refresh_invalid() from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user_id):
        raise _refresh_invalid()
    token.blacklist()


def _refresh_invalid() -> ValidationFailed:
    return ValidationFailed(
        "This refresh token cannot be revoked.",
        code="refresh_token_invalid",
        field_errors={"refresh": ["Must be a valid refresh token of the signed-in account."]},
    )


@transaction.atomic
def user_password_change(*, user_id: int, old_password: str, new_password: str) -> None:
    """Change a password knowing the old one; revokes every refresh token of the user."""
    user = _user_for_update(user_id)
    if not user.check_password(old_password):
        raise ValidationFailed(
            "The current password is not correct.",
            code="old_password_incorrect",
            field_errors={"old_password": ["Does not match the current password."]},
        )
    _password_set(
        user=user, password=new_password, field="new_password", reason=PasswordChangeReason.CHANGE
    )


def _reset_user(email: str) -> User | None:
    """The active patient login with this address and a usable password, if any."""
    user = (
        User.objects.filter(
            email=normalize_email(email), is_active=True, groups__name=Role.PATIENT.value
        )
        .distinct()
        .first()
    )
    return user if user is not None and user.has_usable_password() else None


def user_password_reset_send(*, email: str) -> bool:
    """Email a reset link to a patient login with this address; whether one was sent.

    Callers must answer alike either way, so nobody learns whether an address has an account.
    The link carries Django's default_token_generator token, which lapses after
    PASSWORD_RESET_TIMEOUT and as soon as the password (or last login) changes.
    """
    user = _reset_user(email)
    if user is None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.PATIENT_APP_URL.rstrip('/')}/reset-password?uid={uid}&token={token}"
    hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
    send_mail(
        subject="Reset your HealthPortal password",
        message=(
            "Someone asked to reset the password of your HealthPortal account.\n\n"
            f"To choose a new password, open this link within {hours} hours:\n{link}\n\n"
            "If it was not you, ignore this message: your password stays as it is."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    logger.info("password reset link sent to user %s", user.pk)
    return True


@transaction.atomic
def user_password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    """Set a new password through an emailed link; revokes every refresh token of the user.
    An unknown, tampered, used or expired link raises PasswordResetLinkInvalid."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError) as exc:
        raise PasswordResetLinkInvalid("This password reset link is not valid.") from exc
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise PasswordResetLinkInvalid("This password reset link is not valid.")
    _password_set(
        user=user, password=new_password, field="new_password", reason=PasswordChangeReason.RESET
    )
