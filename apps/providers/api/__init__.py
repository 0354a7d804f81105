"""The providers part of the patient API (/api/v1/)."""
