"""The access log in the staff portal: admins browse, filter and export it (/staff/audit/), and
any staff member may break the glass to open a patient outside their care, giving a reason."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import public as accounts
from apps.audit import public as audit
from apps.audit.contracts import (
    AccessEntry,
    AccessFilter,
    Action,
    Outcome,
    Purpose,
)
from apps.core.errors import ApplicationError
from apps.patients import public as patients
from apps.portal.access import Permission, break_glass_screen, staff_view
from apps.portal.forms_audit import AccessLogFilterForm, BreakGlassForm

PAGE_SIZE = 50
MRN_LENGTH = 9
EXPORT_CHUNK = 1000
BREAK_GLASS_RESOURCE = "break_glass_grant"
CSV_COLUMNS = (
    "id",
    "occurred_at",
    "user_id",
    "user_name",
    "actor_role",
    "patient_id",
    "resource_type",
    "resource_id",
    "action",
    "purpose",
    "outcome",
    "severity",
    "ip_address",
    "user_agent",
    "request_id",
)


# --- break-glass -------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, wanted: str, patient_id: int) -> str:
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("portal:patient-chart", args=[patient_id])


@require_POST
@staff_view()
def break_glass(request: HttpRequest, patient_id: int) -> HttpResponse:
    form = BreakGlassForm(request.POST)
    if form.is_valid():
        try:
            grant = audit.break_glass_grant(
                request=request,
                user_id=request.staff.user_id,
                actor_role=request.staff.role_label,
                patient_id=patient_id,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            for message in exc.field_errors.get("reason", [exc.detail]):
                form.add_error("reason", message)
        else:
            until = grant.expires_at.astimezone(dt.UTC).strftime("%H:%M UTC")
            messages.warning(
                request,
                f"Break-glass access granted until {until}. Every access is recorded and "
                "administrators have been alerted.",
            )
            return HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"], patient_id))
    response = break_glass_screen(
        request, patient_id=patient_id, action="open this patient's record", form=form
    )
    response.status_code = 400
    return response


# --- browsing the log --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LogRow:
    entry: AccessEntry
    user_name: str
    reason: str


def _patient_id(value: str) -> int | None:
    """A patient id, or the id behind a 9-digit MRN; -1 (matches nothing) for an unknown MRN."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit() and len(value) < MRN_LENGTH:
        return int(value)
    found = patients.patient_search(query=value, limit=1, include_inactive=True)
    return found[0].id if found and found[0].mrn == value.removeprefix("MRN").strip() else -1


def _user_id(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    found = accounts.user_find(email=value)
    return found.id if found else -1


def _filter(form: AccessLogFilterForm) -> AccessFilter:
    if not form.is_valid():
        return AccessFilter()
    data = form.cleaned_data
    since, until = data.get("since"), data.get("until")
    return AccessFilter(
        patient_id=_patient_id(data.get("patient") or ""),
        user_id=_user_id(data.get("user") or ""),
        action=Action(data["action"]) if data.get("action") else None,
        outcome=Outcome(data["outcome"]) if data.get("outcome") else None,
        purpose=Purpose(data["purpose"]) if data.get("purpose") else None,
        since=dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None,
        until=(
            dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            if until
            else None
        ),
    )


def _rows(entries: list[AccessEntry]) -> list[LogRow]:
    names = accounts.user_display_names(
        user_ids=[entry.user_id for entry in entries if entry.user_id is not None]
    )
    grant_ids = [
        int(entry.resource_id) for entry in entries if entry.resource_type == BREAK_GLASS_RESOURCE
    ]
    reasons = audit.break_glass_reasons(grant_ids=grant_ids) if grant_ids else {}
    return [
        LogRow(
            entry=entry,
            user_name=names.get(entry.user_id, "") if entry.user_id is not None else "system",
            reason=(
                reasons.get(int(entry.resource_id), "")
                if entry.resource_type == BREAK_GLASS_RESOURCE
                else ""
            ),
        )
        for entry in entries
    ]


@staff_view(Permission.VIEW_AUDIT_LOG)
def access_log(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    access_filter = _filter(form)
    page: Page = Paginator(audit.AccessPages(access_filter), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render(
        request,
        "portal/audit/log.html",
        {
            "form": form,
            "page": page,
            "rows": _rows(list(page.object_list)),
            "query": urlencode(query),
        },
        status=400 if form.errors else 200,
    )


def _chunks(entries: Iterable[AccessEntry], size: int) -> Iterator[list[AccessEntry]]:
    iterator = iter(entries)
    while chunk := list(islice(iterator, size)):
        yield chunk


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text as a spreadsheet shows it, never runs it: the user agent is the client's to choose."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """csv.writer writes to this and gets the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(access_filter: AccessFilter) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for chunk in _chunks(audit.access_iter(access_filter=access_filter), EXPORT_CHUNK):
        for row in _rows(chunk):
            entry = row.entry
            yield writer.writerow(
                (
                    entry.id,
                    entry.occurred_at.astimezone(dt.UTC).isoformat(),
                    entry.user_id if entry.user_id is not None else "",
                    _cell(row.user_name),
                    entry.actor_role,
                    entry.patient_id if entry.patient_id is not None else "",
                    entry.resource_type,
                    entry.resource_id,
                    entry.action.value,
                    entry.purpose.value,
                    entry.outcome.value,
                    entry.severity.value,
                    entry.ip_address or "",
                    _cell(entry.user_agent),
                    entry.request_id,
                )
            )


@staff_view(Permission.VIEW_AUDIT_LOG)
def access_log_export(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    if form.errors:
        return HttpResponseRedirect(f"{reverse('portal:audit')}?{request.GET.urlencode()}")
    access_filter = _filter(form)
    # The export is an access too: of one patient's log, or of everyone's.
    audit.record_access(
        request,
        patient_id=access_filter.patient_id,
        resource="access_log",
        action=Action.EXPORT,
        purpose=Purpose.ADMINISTRATION,
    )
    response = StreamingHttpResponse(_csv_lines(access_filter), content_type="text/csv")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("audit/", access_log, name="audit"),
    path("audit/export.csv", access_log_export, name="audit-export"),
    path("patients/<int:patient_id>/break-glass/", break_glass, name="break-glass"),
]
