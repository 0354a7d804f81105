"""Wiring used only by the `bench` settings: reference endpoints and the query counter.

Nothing here is mounted in local, test or production settings (healthportal.settings.bench sets
ROOT_URLCONF and MIDDLEWARE to use it).
"""
