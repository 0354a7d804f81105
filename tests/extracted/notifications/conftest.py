"""Fixtures of the notifications service's tests: events as the monolith emits them, the
service's own database, its file channels in a directory of the test's own, a fake SMS provider
and Celery workers consuming the notifications queue of a private Redis."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings
from django.utils import timezone

from apps.core.events import DomainEvent, EventEnvelope
from apps.patients.events import PatientContactChanged
from apps.providers.events import LocationChanged
from apps.scheduling.events import AppointmentBooked
from extracted.notifications import services

PROJECT = Path(__file__).resolve().parents[3]
BOTH = ["default", "notifications"]
NOTIFICATIONS_DB = pytest.mark.django_db(databases=["notifications"])


@pytest.fixture
def outbox_dir(settings, tmp_path: Path) -> Path:
    """Where the file channels write for this test: <dir>/mail and <dir>/sms."""
    settings.NOTIFICATIONS_OUTPUT_DIR = str(tmp_path)
    settings.SMS_PROVIDER = "file"
    return tmp_path


def mail_files(directory: Path) -> list[Path]:
    return sorted((directory / "mail").glob("*.eml"))


def sms_files(directory: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((directory / "sms").glob("*.json"))]


def consume(event: DomainEvent | EventEnvelope) -> list:
    envelope = event if isinstance(event, EventEnvelope) else event.to_envelope()
    return services.event_consume(envelope=envelope)


def contact(patient_id: int = 1, **fields: object) -> PatientContactChanged:
    values = {
        "email": f"patient{patient_id}@example.test",
        "phone": f"+1555000{patient_id:04d}",
        "preferred_language": "en",
        "consent_email": True,
        "consent_sms": True,
        "active": True,
        **fields,
    }
    return PatientContactChanged(patient_id=patient_id, **values)


def location(location_id: int = 7, **fields: object) -> LocationChanged:
    values = {"timezone": "America/New_York", "active": True, "name": "Midtown Clinic", **fields}
    return LocationChanged(location_id=location_id, **values)


def booked(
    appointment_id: int = 100, *, patient_id: int = 1, start: dt.datetime | None = None, **fields
) -> AppointmentBooked:
    start = start or timezone.now() + dt.timedelta(days=5)
    values = {
        "practitioner_id": 3,
        "location_id": 7,
        "appointment_type_id": 2,
        "end": start + dt.timedelta(minutes=30),
        "timezone": "America/New_York",
        "channel": "staff",
        "needs_allergy_review": False,
        "booked_at": timezone.now(),
        **fields,
    }
    return AppointmentBooked(
        appointment_id=appointment_id, patient_id=patient_id, start=start, **values
    )


# --- a fake SMS provider ------------------------------------------------------------------------


@dataclasses.dataclass
class FakeSmsProvider:
    """An HTTP SMS provider on 127.0.0.1: answers with the scripted statuses in turn (then 200),
    deduplicates accepted messages on the Idempotency-Key as real providers do, and can hold
    its answers until released (`hold`), to catch a sender in the middle of a send."""

    url: str = ""
    script: list[int] = dataclasses.field(default_factory=list)
    requests: list[dict] = dataclasses.field(default_factory=list)
    accepted: dict[str, dict] = dataclasses.field(default_factory=dict)
    hold: threading.Event | None = None
    received: threading.Event = dataclasses.field(default_factory=threading.Event)


@pytest.fixture
def sms_server(settings) -> Iterator[FakeSmsProvider]:
    fake = FakeSmsProvider()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers.get("Idempotency-Key", "")
            with lock:
                fake.requests.append(
                    {"key": key, "auth": self.headers.get("Authorization"), **body}
                )
                status = fake.script.pop(0) if fake.script else 200
                if status == 200:
                    fake.accepted.setdefault(key, body)
            fake.received.set()
            if fake.hold is not None:
                fake.hold.wait(30)
            answer = json.dumps({"id": f"prov-{key[:8]}"}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the sender died while we held the answer

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/messages"
    settings.SMS_PROVIDER = "http"
    settings.SMS_HTTP_URL = fake.url
    settings.SMS_HTTP_TOKEN = "test-token"
    settings.SMS_HTTP_TIMEOUT_SECONDS = 5
    yield fake
    if fake.hold is not None:
        fake.hold.set()
    server.shutdown()
    server.server_close()


# --- Celery workers of the notifications queue, as separate processes ---------------------------


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    prefix = parsed.path.rsplit("/", 1)[0]
    return urlunparse(parsed._replace(path=f"{prefix}/{name}"))


def worker_environment(broker_url: str, output_dir: Path, **extra: str) -> dict[str, str]:
    """The test's databases (pytest-django's), the private broker, the test's output dir."""
    base_url = os.environ["DATABASE_URL"]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "healthportal.settings.test",
        "DATABASE_URL": _with_database(base_url, settings.DATABASES["default"]["NAME"]),
        "NOTIFICATIONS_DATABASE_URL": _with_database(
            base_url, settings.DATABASES["notifications"]["NAME"]
        ),
        "CELERY_BROKER_URL": broker_url,
        "NOTIFICATIONS_OUTPUT_DIR": str(output_dir),
        "SMS_PROVIDER": settings.SMS_PROVIDER,
        "SMS_HTTP_URL": settings.SMS_HTTP_URL,
        "SMS_HTTP_TOKEN": settings.SMS_HTTP_TOKEN,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    return environment


WORKER_COMMAND = (
    sys.executable, "-m", "celery", "-A", "healthportal", "worker", "-Q", "notifications",
    "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
    "--loglevel", "WARNING",
)  # fmt: skip


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `celery worker -Q notifications --pool solo` (one process, so SIGKILL takes the
    whole worker); every worker still running at the end is stopped."""
    started: list[subprocess.Popen] = []

    def start(broker_url: str, output_dir: Path, name: str = "w1") -> subprocess.Popen:
        log = (tmp_path / f"worker-{name}.log").open("w")
        process = subprocess.Popen(
            [*WORKER_COMMAND, "-n", f"{name}-{os.getpid()}@%h"],
            cwd=PROJECT,
            env=worker_environment(broker_url, output_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: Callable[[], bool], *, timeout: float = 60.0) -> bool:
    """Poll `condition` until true or `timeout`; a guard against hanging, not a measurement."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
