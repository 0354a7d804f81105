"""The channels messages leave by: email through Django's backends, SMS through a provider.

Each send carries the message's stable id. The development file channels are idempotent on it
(a file named by the id is written once), and the HTTP SMS provider sends it as the
Idempotency-Key, so a crash between sending and recording cannot produce a second message.
Errors name a stable code and never the address or the text (PHI).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

MESSAGE_ID_HEADER = "X-HealthPortal-Message-Id"


class DeliveryError(Exception):
    """A send that did not go through; `code` is safe to log and to show staff."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code[:200]


class TransientDeliveryError(DeliveryError):
    """Worth trying again later (a timeout, a 5xx, a refused connection)."""


class PermanentDeliveryError(DeliveryError):
    """Trying again would fail the same way (a rejected number, a bad request)."""


@dataclasses.dataclass(frozen=True)
class Outgoing:
    message_id: str
    to: str
    subject: str
    text: str
    html: str = ""


def output_dir() -> Path:
    if not settings.NOTIFICATIONS_OUTPUT_DIR:
        raise PermanentDeliveryError("file_channel_without_NOTIFICATIONS_OUTPUT_DIR")
    return Path(settings.NOTIFICATIONS_OUTPUT_DIR)


def _write_once(path: Path, content: bytes) -> bool:
    """Write `path` atomically unless it exists; True if this call wrote it."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        # link() fails if another writer got there first: the first complete file wins.
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


class MessageFileEmailBackend(BaseEmailBackend):
    """make run's email: <NOTIFICATIONS_OUTPUT_DIR>/mail/<message id>.eml, written once."""

    def send_messages(self, email_messages: Any) -> int:
        directory = output_dir() / "mail"
        for email in email_messages:
            message_id = email.extra_headers.get(MESSAGE_ID_HEADER)
            if not message_id:
                raise PermanentDeliveryError("email_without_message_id")
            _write_once(directory / f"{message_id}.eml", email.message().as_bytes())
        return len(email_messages)


def send_email(outgoing: Outgoing) -> str:
    """Send through NOTIFICATIONS_EMAIL_BACKEND; the provider id is the message id."""
    email = EmailMultiAlternatives(
        subject=outgoing.subject,
        body=outgoing.text,
        to=[outgoing.to],
        headers={
            MESSAGE_ID_HEADER: outgoing.message_id,
            "Message-ID": f"<{outgoing.message_id}@healthportal>",
        },
    )
    if outgoing.html:
        email.attach_alternative(outgoing.html, "text/html")
    try:
        connection = get_connection(settings.NOTIFICATIONS_EMAIL_BACKEND)
        connection.send_messages([email])
    except DeliveryError:
        raise
    except (OSError, TimeoutError) as exc:  # SMTP refused, timed out, disconnected
        raise TransientDeliveryError(f"email_{type(exc).__name__}") from exc
    return outgoing.message_id


class SmsProvider(Protocol):
    def send(self, outgoing: Outgoing) -> str:
        """Hand the SMS over; the provider's id for it. Raises DeliveryError subclasses."""
        ...


class FileSmsProvider:
    """make run's SMS: <NOTIFICATIONS_OUTPUT_DIR>/sms/<message id>.json, written once."""

    def send(self, outgoing: Outgoing) -> str:
        body = {"id": outgoing.message_id, "to": outgoing.to, "body": outgoing.text}
        _write_once(
            output_dir() / "sms" / f"{outgoing.message_id}.json",
            json.dumps(body, ensure_ascii=False, indent=2).encode(),
        )
        return outgoing.message_id


class HttpSmsProvider:
    """POSTs {"id", "to", "body"} as JSON to SMS_HTTP_URL with the id as Idempotency-Key.

    2xx is sent (the answer's "id" is the provider id); 408, 429 and 5xx, timeouts and refused
    connections are transient; any other answer is permanent.
    """

    def __init__(self, url: str, token: str, timeout: float) -> None:
        if not url:
            raise PermanentDeliveryError("sms_http_without_SMS_HTTP_URL")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, outgoing: Outgoing) -> str:
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url,
            data=json.dumps(
                {"id": outgoing.message_id, "to": outgoing.to, "body": outgoing.text}
            ).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": outgoing.message_id,
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = response.read()
        except urllib.error.HTTPError as error:
            code = f"sms_http_{error.code}"
            if error.code in (408, 429) or error.code >= 500:
                raise TransientDeliveryError(code) from error
            raise PermanentDeliveryError(code) from error
        except (OSError, TimeoutError) as exc:
            raise TransientDeliveryError(f"sms_http_{type(exc).__name__}") from exc
        try:
            provider_id = str(json.loads(answer or b"{}").get("id") or "")
        except (ValueError, AttributeError):
            provider_id = ""
        return provider_id or outgoing.message_id


def sms_provider_configured() -> bool:
    return settings.SMS_PROVIDER in ("file", "http")


def sms_provider() -> SmsProvider | None:
    """The configured provider, or None when SMS is off (SMS_PROVIDER=none)."""
    if settings.SMS_PROVIDER == "file":
        return FileSmsProvider()
    if settings.SMS_PROVIDER == "http":
        return HttpSmsProvider(
            settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN, settings.SMS_HTTP_TIMEOUT_SECONDS
        )
    return None
