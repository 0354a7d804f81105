"""The notifications part of the patient API (/api/v1/)."""
