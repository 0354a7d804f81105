"""Extracted services: fed by domain events through Celery, each with its own database and queue."""
