"""Practitioners, specialties, locations, appointment types, and weekly availability."""
