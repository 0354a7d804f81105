"""The embedded servers: shared by their holders, stopped by the last, data kept across runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from healthportal.embedded import EmbeddedServers

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys
from pathlib import Path
from healthportal.embedded import EmbeddedServers
servers = EmbeddedServers(Path(sys.argv[1]))
servers.acquire()
print("holding", flush=True)
sys.stdin.readline()
servers.release()
"""


@pytest.fixture
def root(short_tmp_dir: Path) -> Iterator[Path]:
    yield short_tmp_dir
    EmbeddedServers(short_tmp_dir).release()  # stops whatever a failed test left running


def _holder(root: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "holding"
    return process


def _running(servers: EmbeddedServers) -> tuple[bool, bool]:
    pg = (servers.pg_dir / "postmaster.pid").exists()
    return pg, servers._redis_pid() is not None


def _pg(url: str) -> psycopg.Connection:
    socket_dir, dbname = url.removeprefix("postgres://postgres@/").rsplit("/", 1)
    return psycopg.connect(host=socket_dir, user="postgres", dbname=dbname, autocommit=True)


def test_the_last_holder_to_leave_stops_the_servers(root: Path):
    servers = EmbeddedServers(root)
    urls = servers.acquire()
    other = _holder(root)

    servers.release()
    still_running = _running(servers)
    with _pg(urls["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    other.communicate("\n", timeout=60)

    assert still_running == (True, True)
    assert _running(servers) == (False, False)


def test_a_killed_holder_does_not_keep_the_servers_alive(root: Path):
    servers = EmbeddedServers(root)
    servers.acquire()
    other = _holder(root)
    os.kill(other.pid, signal.SIGKILL)
    other.wait()

    servers.release()

    assert _running(servers) == (False, False)


def test_data_survives_stopping_and_starting(root: Path):
    servers = EmbeddedServers(root)
    urls = servers.acquire()
    with _pg(urls["DATABASE_URL"]) as conn:
        conn.execute("CREATE TABLE kept (value text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    redis.Redis.from_url(urls["REDIS_URL"]).set("kept", "still here")
    servers.release()
    assert _running(servers) == (False, False)

    urls = servers.acquire()

    with _pg(urls["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT value FROM kept").fetchone() == ("still here",)
    assert redis.Redis.from_url(urls["REDIS_URL"]).get("kept") == b"still here"
    servers.release()
