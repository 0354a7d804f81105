"""The specialty catalogue the clinic starts with; admins may add more."""

from django.db import migrations

SPECIALTIES = [
    ("family-medicine", "Family medicine"),
    ("internal-medicine", "Internal medicine"),
    ("pediatrics", "Pediatrics"),
    ("cardiology", "Cardiology"),
    ("dermatology", "Dermatology"),
    ("orthopedics", "Orthopedics"),
    ("obstetrics-gynecology", "Obstetrics and gynecology"),
    ("radiology", "Radiology"),
    ("neurology", "Neurology"),
    ("psychiatry", "Psychiatry"),
    ("endocrinology", "Endocrinology"),
    ("gastroenterology", "Gastroenterology"),
    ("ophthalmology", "Ophthalmology"),
    ("otolaryngology", "Otolaryngology (ENT)"),
    ("allergy-immunology", "Allergy and immunology"),
]


def load(apps, schema_editor):
    Specialty = apps.get_model("providers", "Specialty")
    for code, name in SPECIALTIES:
        Specialty.objects.update_or_create(code=code, defaults={"name": name})


def unload(apps, schema_editor):
    apps.get_model("providers", "Specialty").objects.filter(
        code__in=[code for code, _ in SPECIALTIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
