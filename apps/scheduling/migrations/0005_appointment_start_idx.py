# The admin's appointment list pages newest first over every appointment; without an index on
# (start, id) each page sorted the whole table. Built concurrently: appointments keep being
# booked while it builds.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("scheduling", "0004_history"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="appointment",
            index=models.Index(fields=["start", "id"], name="appt_start_id_idx"),
        ),
    ]
