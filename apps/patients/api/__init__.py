"""The patients part of the patient API (/api/v1/)."""
