"""MRNs are drawn from a database sequence: unique without a lock, in bulk as in one."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE patients_mrn_seq START WITH 10000000 MINVALUE 10000000 "
            "MAXVALUE 99999999 NO CYCLE",
            "DROP SEQUENCE patients_mrn_seq",
        )
    ]
