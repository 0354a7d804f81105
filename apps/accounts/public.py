"""What other apps may call in accounts: create users in a role, read roles."""

from __future__ import annotations

from apps.accounts import selectors, services
from apps.accounts.contracts import Role, UserRef


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


def user_is_staff(*, user_id: int) -> bool:
    return selectors.user_is_staff(user_id=user_id)
