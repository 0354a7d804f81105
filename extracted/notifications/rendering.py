"""Turns a message row into subject, text, HTML and SMS in the patient's language and the
location's time zone, from the templates under templates/notifications/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import dateformat, translation

from extracted.notifications.models import REMINDER_PREFIX, Audience, Channel, Location, Message

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
# Day and month names come from Django's own translations (USE_I18N).
DATETIME_FORMATS = {
    "en": r"l, F j, Y \a\t g:i A",
    "es": r"l j \d\e F \d\e Y, \a \l\a\s H:i",
}
SMS_FORMATS = {"en": r"D M j, g:i A", "es": r"D j M, H:i"}


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def language_of(code: str) -> str:
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def _local(value: str | None, zone: str) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value).astimezone(ZoneInfo(zone))


def _format(value: dt.datetime | None, language: str, *, short: bool) -> str:
    if value is None:
        return ""
    formats = SMS_FORMATS if short else DATETIME_FORMATS
    with translation.override(language):
        return dateformat.format(value, formats[language])


def template_name(kind: str) -> str:
    return "reminder" if kind.startswith(REMINDER_PREFIX) else kind


def _context(message: Message, language: str, locations: dict[int, Location]) -> dict:
    data = message.context
    zone = data.get("timezone") or "UTC"
    previous_zone = data.get("previous_timezone") or zone
    location = locations.get(data.get("location_id") or 0)
    previous_location = locations.get(data.get("previous_location_id") or 0)
    start = _local(data.get("start"), zone)
    previous = _local(data.get("previous_start"), previous_zone)
    expires = _local(data.get("expires_at"), zone)
    short = message.channel == Channel.SMS
    return {
        **data,
        "message_id": str(message.id),
        "when": _format(start, language, short=short),
        "previous_when": _format(previous, language, short=short),
        "expires": _format(expires, language, short=short),
        "zone": zone,
        "location": location.name if location and location.name else "",
        "previous_location": (
            previous_location.name if previous_location and previous_location.name else ""
        ),
    }


def render(message: Message, *, language: str, locations: dict[int, Location]) -> Rendered:
    """The message as its channel sends it (SMS: `text` only, no subject or HTML)."""
    language = language_of(language)
    context = _context(message, language, locations)
    name = template_name(message.kind)
    if message.audience in (Audience.STAFF, Audience.ADMIN):
        base = f"notifications/alerts/{name}"
        return Rendered(
            subject=render_to_string(f"{base}.subject.txt", context).strip(),
            text=render_to_string(f"{base}.txt", context),
            html="",
        )
    base = f"notifications/messages/{language}/{name}"
    if message.channel == Channel.SMS:
        text = render_to_string(f"{base}.sms.txt", context).strip()
        return Rendered(subject="", text=text, html="")
    subject = render_to_string(f"{base}.subject.txt", context).strip()
    return Rendered(
        subject=subject,
        text=render_to_string(f"{base}.txt", context),
        html=render_to_string(
            f"{base}.html", {**context, "subject": subject, "language": language}
        ),
    )
