"""The scheduling part of the patient API (/api/v1/)."""
