"""The accounts part of the patient API (/api/v1/)."""
