"""Reads of users and their roles."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.contracts import Role, UserRef
from apps.accounts.models import User, normalize_email


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=normalize_email(email)).first()


def user_roles(*, user: User) -> frozenset[Role]:
    names = {group.name for group in user.groups.all()}
    return frozenset(role for role in Role if role.value in names)


def user_roles_of(*, user_id: int) -> frozenset[Role]:
    names = set(
        User.groups.through.objects.filter(user_id=user_id, user__is_active=True).values_list(
            "group__name", flat=True
        )
    )
    return frozenset(role for role in Role if role.value in names)


def user_ref(*, user: User) -> UserRef:
    return UserRef(
        id=user.pk, email=user.email, roles=user_roles(user=user), is_active=user.is_active
    )


def user_has_role(*, user_id: int, role: Role) -> bool:
    return User.objects.filter(pk=user_id, is_active=True, groups__name=role.value).exists()


def user_is_staff(*, user_id: int) -> bool:
    """An active user in any staff role (admin, clinician, front desk): one query."""
    staff_roles = [role.value for role in Role if role.is_staff_role]
    return User.objects.filter(pk=user_id, is_active=True, groups__name__in=staff_roles).exists()


def user_is_active(*, user_id: int) -> bool:
    return User.objects.filter(pk=user_id, is_active=True).exists()


def user_display_names(*, user_ids: Iterable[int]) -> dict[int, str]:
    """Each known user's display name (their email when they have none): one query."""
    rows = User.objects.filter(pk__in=set(user_ids)).values_list("pk", "display_name", "email")
    return {pk: display_name or email for pk, display_name, email in rows}
