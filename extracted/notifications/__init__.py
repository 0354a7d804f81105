"""The notifications service: confirmations, reminders, cancellations and staff alerts."""
