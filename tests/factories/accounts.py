"""Users, and users in a role."""

import factory
from django.contrib.auth.models import Group

from apps.accounts.contracts import Role
from apps.accounts.models import User

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@clinic.test")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password(PASSWORD)


def user_in_role(role: Role, **fields: object) -> User:
    user = UserFactory(**fields, is_staff=role is Role.ADMIN, is_superuser=role is Role.ADMIN)
    user.groups.add(Group.objects.get(name=role.value))
    return user
