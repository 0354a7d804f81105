"""The database refuses an active "no known allergies" next to an active allergy.

A trigger, because the rule spans rows of two kinds; it locks the patient's row first, so two
transactions recording both at once are serialised and the second is refused.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION allergies_guard_no_known_allergies() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.clinical_status IS DISTINCT FROM 'active'
       OR NEW.verification_status IN ('refuted', 'entered-in-error') THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM patients_patient WHERE id = NEW.patient_id FOR UPDATE;
    IF EXISTS (
        SELECT 1 FROM allergies_allergyintolerance other
        WHERE other.patient_id = NEW.patient_id
          AND other.id IS DISTINCT FROM NEW.id
          AND other.clinical_status = 'active'
          AND other.verification_status NOT IN ('refuted', 'entered-in-error')
          AND other.kind <> NEW.kind
          AND (other.kind = 'no-known-allergies' OR NEW.kind = 'no-known-allergies')
    ) THEN
        RAISE EXCEPTION 'no known allergies cannot coexist with an active allergy'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'no_known_allergies_exclusive';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER allergies_no_known_allergies_exclusive
BEFORE INSERT OR UPDATE OF clinical_status, verification_status, kind
ON allergies_allergyintolerance
FOR EACH ROW EXECUTE FUNCTION allergies_guard_no_known_allergies();
"""

BACKWARD = """
DROP TRIGGER allergies_no_known_allergies_exclusive ON allergies_allergyintolerance;
DROP FUNCTION allergies_guard_no_known_allergies();
"""


class Migration(migrations.Migration):
    dependencies = [("allergies", "0001_initial"), ("patients", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
