"""Slots, appointments and their lifecycle, waitlist, booking idempotency, care relationships."""
