# Slot search counted and sorted every free slot of the searched roles in the range (thousands
# per search). This partial index holds only bookable slots (free, with room) with the columns
# the search filters on, so the count is an index-only scan and each role's page is read in
# start order. Built concurrently: slots keep being booked while it builds.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("scheduling", "0005_appointment_start_idx"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="slot",
            index=models.Index(
                condition=models.Q(("booked_count__lt", models.F("capacity")), ("status", "free")),
                fields=["practitioner_role_id", "start"],
                include=("end", "id"),
                name="slot_bookable_role_start_idx",
            ),
        ),
    ]
