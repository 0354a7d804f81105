"""Allergies and intolerances (FHIR R4 AllergyIntolerance), "no known allergies", safety checks."""
