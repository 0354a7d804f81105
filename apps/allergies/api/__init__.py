"""The allergies part of the patient API (/api/v1/)."""
