"""Roles are Django groups: admin, clinician, front_desk, patient.

Each app's later migrations grant its own permissions to these groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("admin", "clinician", "front_desk", "patient")
ADMIN_PERMISSIONS = ("add_user", "change_user", "view_user")


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    Group.objects.get(name="admin").permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=ADMIN_PERMISSIONS
        )
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
