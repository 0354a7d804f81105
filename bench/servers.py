"""The bench's database, broker, gunicorn and Celery worker, and the cores they run on."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER_CORE = 1
LOADGEN_CORE = 0


# The cores this process may use, read before it pins itself to the load generator's core.
CORES = frozenset(os.sched_getaffinity(0))


def can_pin() -> bool:
    return {SERVER_CORE, LOADGEN_CORE} <= CORES


def pin_self_to_loadgen_core() -> None:
    """The harness and the load generator it starts run on core 0 (children inherit it)."""
    if can_pin():
        os.sched_setaffinity(0, {LOADGEN_CORE})


def _server_affinity() -> None:
    os.sched_setaffinity(0, {SERVER_CORE})


def _any_core() -> None:
    os.sched_setaffinity(0, CORES)


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    if parsed.path.count("/") > 1:  # postgres://user@/socket/dir/dbname (django-environ style)
        head = parsed.path.rsplit("/", 1)[0]
        return urlunparse(parsed._replace(path=f"{head}/{name}"))
    return urlunparse(parsed._replace(path=f"/{name}"))


def _connect_kwargs(url: str) -> dict[str, str]:
    import environ

    config = environ.Env.db_url_config(url)
    kwargs = {"dbname": "postgres", "user": config.get("USER") or "postgres"}
    if config.get("HOST"):
        kwargs["host"] = config["HOST"]
    if config.get("PORT"):
        kwargs["port"] = str(config["PORT"])
    if config.get("PASSWORD"):
        kwargs["password"] = config["PASSWORD"]
    return kwargs


def database_names(url: str) -> list[str]:
    import environ

    name = environ.Env.db_url_config(url)["NAME"]
    return [name, f"{name}_notifications"]


def ensure_databases(url: str, *, drop: bool) -> bool:
    """Create the bench database and its notifications twin; True when they were created."""
    import psycopg

    created = False
    with psycopg.connect(**_connect_kwargs(url), autocommit=True) as conn:
        for name in database_names(url):
            if drop:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
                created = True
    return created


def environment(scale: str) -> dict[str, str]:
    """The environment of every bench process: bench settings, the per-scale database.

    DATABASE_URL, when set, names the server (its database name is replaced); otherwise the
    embedded Postgres under HEALTHPORTAL_DATA_DIR (default .data/bench) is started. Likewise
    REDIS_URL, or the embedded Redis.
    """
    env = dict(os.environ)
    env.setdefault("HEALTHPORTAL_DATA_DIR", str(PROJECT_DIR / ".data" / "bench"))
    data_dir = Path(env["HEALTHPORTAL_DATA_DIR"])
    if not env.get("DATABASE_URL") or not env.get("REDIS_URL"):
        os.environ["HEALTHPORTAL_DATA_DIR"] = str(data_dir)
        from healthportal.embedded import EmbeddedServers

        servers = EmbeddedServers(data_dir)
        urls = servers.acquire(postgres=not env.get("DATABASE_URL"), redis=not env.get("REDIS_URL"))
        import atexit

        atexit.register(servers.release)
        if "REDIS_URL" in urls:
            urls["REDIS_URL"] = f"{urls['REDIS_URL']}?db=0"
        env.update(urls)
    database = f"healthportal_bench_{scale}"
    env["DATABASE_URL"] = _with_database(env["DATABASE_URL"], database)
    env["NOTIFICATIONS_DATABASE_URL"] = _with_database(
        env["DATABASE_URL"], f"{database}_notifications"
    )
    env.pop("CELERY_BROKER_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "healthportal.settings.bench"
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret-" + "x" * 40)
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["LOG_LEVEL"] = "WARNING"
    env["SMS_PROVIDER"] = "file"
    env["NOTIFICATIONS_OUTPUT_DIR"] = str(data_dir / "messages")
    env["PYTHONPATH"] = str(PROJECT_DIR)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT_DIR, env=env, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(port: int, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, log: Path) -> Iterator[int]:
    """gunicorn with `workers` sync workers on the server core; yields its port."""
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "healthportal.wsgi:application",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--backlog",
                "2048",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_server_affinity if can_pin() else None,  # noqa: PLW1509
        )
        try:
            _wait_http(port, "/health/live", timeout=60)
            yield port
        finally:
            _stop(process)


@contextlib.contextmanager
def celery_worker(env: dict[str, str], *, log: Path) -> Iterator[None]:
    """A worker on every queue (no beat: the on-commit kick alone must deliver)."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "healthportal",
                "worker",
                "-Q",
                "default,notifications",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_any_core,  # noqa: PLW1509 - not the harness's pinned core only
        )
        try:
            from healthportal.celery import app

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"celery worker exited; see {log}")
                try:
                    if app.control.ping(timeout=0.5):
                        break
                except Exception:  # noqa: BLE001, S110 - the broker answers once it is up
                    pass
                time.sleep(0.5)
            else:
                raise RuntimeError(f"celery worker did not start; see {log}")
            yield
        finally:
            _stop(process)
