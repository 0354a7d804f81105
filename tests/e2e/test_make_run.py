"""make run's supervisor: ready on embedded servers, demo logins shown, Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parent.parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_make_run_serves_then_stops_everything_on_ctrl_c(tmp_path: Path, short_tmp_dir: Path):
    data_dir = short_tmp_dir
    port = _free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(HEALTHPORTAL_DATA_DIR=str(data_dir), PORT=str(port))
    log = (tmp_path / "run.log").open("w+")
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "healthportal.supervisor"],
        cwd=PROJECT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and supervisor.poll() is None:
            if _status(f"http://127.0.0.1:{port}/health/ready") == 200:
                break
            time.sleep(1)
        ready = _status(f"http://127.0.0.1:{port}/health/ready")
        admin_login = _status(f"http://127.0.0.1:{port}/admin/login/")
        family = psutil.Process(supervisor.pid).children(recursive=True)
        commands = " | ".join(" ".join(p.cmdline()) for p in family)
        servers = [
            p
            for p in psutil.process_iter(["cmdline"])
            if str(data_dir) in " ".join(p.info["cmdline"] or [])
        ]
        servers.append(psutil.Process(int((data_dir / "redis" / "redis.pid").read_text())))

        os.killpg(supervisor.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        supervisor.wait(timeout=60)
        log.seek(0)
        output = log.read()

        assert ready == 200, output[-3000:]
        assert admin_login == 200
        assert "admin@demo.clinic" in output
        assert "frontdesk@demo.clinic" in output
        assert f"http://127.0.0.1:{port}/" in output
        assert "runserver" in commands
        assert "celery -A healthportal worker" in commands
        assert "celery -A healthportal beat" in commands
        assert len(servers) >= 2, "the embedded servers were not found running"
        survivors = [
            " ".join(p.cmdline())
            for p in [*family, *servers]
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        ]
        assert survivors == [], output[-3000:]
        assert not (data_dir / "pg" / "postmaster.pid").exists()
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
