"""make run: one process that owns the embedded servers and runs web, worker and beat.

It resolves the service URLs (starting embedded Postgres/Redis where none are given), creates and
migrates every database (manage.py migrate_all), loads the demo data once, starts the three
processes with the URLs in their environment, and on Ctrl-C (or when one of them dies) stops them
all and then the embedded servers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from healthportal.embedded import PROJECT_DIR, ensure_service_urls

STOP_TIMEOUT_SECONDS = 20
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in each child before exec: the kernel sends SIGTERM if the supervisor dies."""
    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class Supervisor:
    def __init__(self, port: int) -> None:
        self.port = port
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_DIR, check=True)

    def start(self, name: str, command: list[str]) -> None:
        self.children[name] = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )

    def start_all(self) -> None:
        from django.conf import settings

        python = sys.executable
        queues = ",".join(settings.QUEUE_NAMES)
        self.start("web", [python, "manage.py", "runserver", f"127.0.0.1:{self.port}"])
        self.start(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "healthportal",
                "worker",
                "-Q",
                queues,
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        self.start(
            "beat", [python, "-m", "celery", "-A", "healthportal", "beat", "--loglevel", "INFO"]
        )

    def stop_all(self) -> None:
        self.stopping = True
        for child in self.children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        # Celery's pool processes and runserver's reloader live in the children's groups.
        for child in self.children.values():
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        """Block until Ctrl-C/SIGTERM or until a child exits; the exit code for make."""
        while not self.stopping:
            for name, child in self.children.items():
                code = child.poll()
                if code is not None:
                    print(f"\n{name} exited with code {code}; stopping everything.", flush=True)
                    return code or 1
            time.sleep(0.5)
        return 0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthportal.settings.local")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    port = int(os.environ.get("PORT") or 8000)
    servers = ensure_service_urls()
    supervisor = Supervisor(port)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        import django

        django.setup()
        supervisor.manage("migrate_all", "--noinput")
        supervisor.manage("seed_demo")
        if not supervisor.stopping:
            supervisor.start_all()
            print(
                f"\nHealthPortal is running at http://127.0.0.1:{port}/"
                f"  (admin: http://127.0.0.1:{port}/admin/, API docs: "
                f"http://127.0.0.1:{port}/api/v1/docs/)\nPress Ctrl-C to stop.\n",
                flush=True,
            )
            code = supervisor.wait()
    except subprocess.CalledProcessError as exc:
        code = exc.returncode or 1
    except KeyboardInterrupt:
        code = 0
    finally:
        print("Stopping web, worker and beat...", flush=True)
        supervisor.stop_all()
        if servers is not None:
            print("Stopping the embedded servers...", flush=True)
            servers.release()
        print("Stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
