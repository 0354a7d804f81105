"""The database counts each slot's active appointments and refuses more than its capacity.

A trigger keeps slots.booked_count equal to the number of active appointments in the slot; the
CHECK slot_within_capacity then refuses an overbooking, whichever code writes the appointment.
Concurrent bookings of one slot serialise on the slot row's lock.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION scheduling_count_slot_bookings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    active_statuses text[] := ARRAY['booked', 'checked-in', 'arrived'];
    old_holds boolean := false;
    new_holds boolean := false;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_holds := OLD.slot_id IS NOT NULL AND OLD.status = ANY(active_statuses);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_holds := NEW.slot_id IS NOT NULL AND NEW.status = ANY(active_statuses);
    END IF;
    IF old_holds AND (NOT new_holds OR OLD.slot_id IS DISTINCT FROM NEW.slot_id) THEN
        UPDATE scheduling_slot SET booked_count = booked_count - 1 WHERE id = OLD.slot_id;
    END IF;
    IF new_holds AND (NOT old_holds OR OLD.slot_id IS DISTINCT FROM NEW.slot_id) THEN
        UPDATE scheduling_slot SET booked_count = booked_count + 1 WHERE id = NEW.slot_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER scheduling_appointment_counts_slot
AFTER INSERT OR UPDATE OF status, slot_id OR DELETE ON scheduling_appointment
FOR EACH ROW EXECUTE FUNCTION scheduling_count_slot_bookings();
"""

BACKWARD = """
DROP TRIGGER scheduling_appointment_counts_slot ON scheduling_appointment;
DROP FUNCTION scheduling_count_slot_bookings();
"""


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
