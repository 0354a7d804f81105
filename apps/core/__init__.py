"""Shared kernel: base model, errors, event envelope, transactional outbox, pagination."""
