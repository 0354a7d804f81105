"""Slot and provider search read the clinic's bookable catalogue (which roles offer which online
types, practitioners' and locations' names) on every request, though it changes a few times a
day. Each process keeps what it read under the catalogue's version, a token in Redis that every
providers service replaces once its change commits; a request then costs one Redis GET instead
of two queries. Booking never reads this: it checks the live tables.

Entries also expire after PROVIDERS_CATALOGUE_CACHE_SECONDS, so a change whose new token could
not be written (Redis down at that moment) shows within that time. With Redis down the catalogue
is read from the database. 0 seconds turns the cache off (the test settings do: factories write
rows without the services).
"""

from __future__ import annotations

import logging
import time
import uuid
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "providers:catalogue-version"
MAX_ENTRIES = 512

T = TypeVar("T")

# (version, key) -> (monotonic expiry, value); per process.
_entries: dict[tuple[bytes, Hashable], tuple[float, object]] = {}
# One redis-py client per cache backend, on that backend's connection pool: Django's cache
# builds a new client (copying its table of response callbacks) on every call, which cost more
# than the GET itself on every search. Weak keys: a test's override of CACHES gets its own.
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _redis():
    """The default cache's Redis client and the version's key in it (the cache's prefix)."""
    backend = caches["default"]
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend._cache.get_client(write=True)
    return client, backend.make_and_validate_key(VERSION_KEY)


def _current_version() -> bytes | None:
    try:
        client, key = _redis()
        version = client.get(key)
        if version is None:
            # First use, or Redis lost its data: a fresh token, never one seen before.
            client.set(key, uuid.uuid4().hex, nx=True)
            version = client.get(key)
    except Exception:  # noqa: BLE001 - any Redis failure: read the database instead
        logger.warning("catalogue cache unavailable; reading the database")
        return None
    return version  # an opaque token: compared, never read


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`'s value for `key` under the catalogue's current version."""
    seconds = settings.PROVIDERS_CATALOGUE_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    version = _current_version()
    if version is None:
        return compute()
    now = time.monotonic()
    entry = _entries.get((version, key))
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = compute()
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[(version, key)] = (now + seconds, value)
    return value


def _replace_version() -> None:
    try:
        client, key = _redis()
        client.set(key, uuid.uuid4().hex)
    except Exception:  # noqa: BLE001 - the entries' expiry bounds how long the old one serves
        logger.warning("catalogue cache version not replaced; entries expire on their own")


def catalogue_changed() -> None:
    """Called by every providers service that changes the catalogue, inside its transaction:
    the new version is published once the change is visible to other connections."""
    transaction.on_commit(_replace_version)
