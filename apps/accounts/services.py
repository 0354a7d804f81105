"""Writes of users: creation with a role, deactivation."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from apps.accounts.contracts import Role
from apps.accounts.models import User, normalize_email
from apps.core.errors import Conflict, ValidationFailed


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
def user_deactivate(*, user: User) -> User:
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user
