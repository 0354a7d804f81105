from django.apps import AppConfig


class AllergiesConfig(AppConfig):
    name = "apps.allergies"
    label = "allergies"
    verbose_name = "Allergies"
