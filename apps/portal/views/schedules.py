"""Schedules: each practitioner's weekly availability and exceptions per location, changed only
after a preview of the next week's slots the change would produce (administrators only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import ApplicationError
from apps.portal.access import Permission, staff_view
from apps.portal.forms_schedules import WEEKDAYS, ExceptionForm, RuleForm
from apps.providers import public as providers
from apps.providers.contracts import (
    AvailabilityChange,
    AvailabilityExceptionInfo,
    AvailabilityRuleInfo,
    PractitionerRoleInfo,
    ProviderNotFound,
)
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import SlotPreview

PREVIEW_DAYS = 7
WEEKDAY_NAMES = dict(WEEKDAYS)


@dataclasses.dataclass(frozen=True)
class RoleView:
    """A practitioner role with the names a page shows."""

    role: PractitionerRoleInfo
    practitioner_name: str
    location_name: str

    @property
    def id(self) -> int:
        return self.role.id

    @property
    def timezone(self) -> str:
        return self.role.timezone

    def today(self) -> dt.date:
        return timezone.now().astimezone(ZoneInfo(self.role.timezone)).date()


def _role_views(roles: list[PractitionerRoleInfo]) -> list[RoleView]:
    """Roles with their practitioner and location names: two queries for any number."""
    names = providers.practitioner_display_names(ids={role.practitioner_id for role in roles})
    places = providers.locations_by_ids(ids={role.location_id for role in roles})
    views = [
        RoleView(
            role=role,
            practitioner_name=names.get(role.practitioner_id, ""),
            location_name=places[role.location_id].name if role.location_id in places else "",
        )
        for role in roles
    ]
    return sorted(views, key=lambda view: (view.location_name, view.practitioner_name, view.id))


def _role(role_id: int) -> RoleView:
    try:
        return _role_views([providers.practitioner_role_get(role_id=role_id)])[0]
    except ProviderNotFound as exc:
        raise Http404("No such practitioner role.") from exc


@staff_view(Permission.MANAGE_SCHEDULES)
def schedules(request: HttpRequest) -> HttpResponse:
    roles = _role_views(providers.practitioner_roles_active())
    return render(request, "portal/schedules/schedules.html", {"roles": roles})


@dataclasses.dataclass(frozen=True)
class RuleRow:
    rule: AvailabilityRuleInfo

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.rule.weekday]


@staff_view(Permission.MANAGE_SCHEDULES)
def schedule(request: HttpRequest, role_id: int) -> HttpResponse:
    role = _role(role_id)
    return render(
        request,
        "portal/schedules/schedule.html",
        {
            "role": role,
            "rules": [RuleRow(rule) for rule in providers.availability_rules(role_id=role_id)],
            "exceptions": providers.availability_exceptions(
                role_id=role_id, date_from=role.today()
            ),
            "rule_form": RuleForm(),
            "exception_form": ExceptionForm(),
        },
    )


# --- previewing and saving a change ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PreviewSlot:
    label: str
    capacity: int
    change: str  # "", "added" or "removed"


@dataclasses.dataclass(frozen=True)
class PreviewDay:
    date: dt.date
    slots: list[PreviewSlot]
    before: int
    after: int


def _by_local_day(slots: list[SlotPreview]) -> dict[dt.date, dict[dt.time, SlotPreview]]:
    days: dict[dt.date, dict[dt.time, SlotPreview]] = {}
    for slot in slots:
        local = slot.start.astimezone(ZoneInfo(slot.timezone))
        days.setdefault(local.date(), {})[local.time()] = slot
    return days


def _preview_days(role: RoleView, change: AvailabilityChange) -> list[PreviewDay]:
    """The next week's slots once `change` is saved, beside today's, per local day; raises as
    saving would. Nothing is written."""
    first = role.today()
    last = first + dt.timedelta(days=PREVIEW_DAYS - 1)
    before = _by_local_day(
        scheduling.slot_preview(
            role_id=role.id, change=AvailabilityChange(), date_from=first, date_to=last
        )
    )
    after = _by_local_day(
        scheduling.slot_preview(role_id=role.id, change=change, date_from=first, date_to=last)
    )
    days = []
    for offset in range(PREVIEW_DAYS):
        day = first + dt.timedelta(days=offset)
        was, will = before.get(day, {}), after.get(day, {})
        slots = [
            PreviewSlot(
                label=start.strftime("%H:%M"),
                capacity=(will.get(start) or was[start]).capacity,
                change=""
                if start in was and start in will
                else "added"
                if start in will
                else "removed",
            )
            for start in sorted(was.keys() | will.keys())
        ]
        days.append(PreviewDay(date=day, slots=slots, before=len(was), after=len(will)))
    return days


def _errors_onto(form: forms.Form, exc: ApplicationError) -> None:
    """A refusal of the providers service, shown beside the fields it names."""
    placed = False
    for field, problems in exc.field_errors.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


@dataclasses.dataclass(frozen=True)
class Edit:
    """What one edit page changes: for the title, the form's target and the saved message."""

    title: str
    action_url: str
    saved: str


def _preview_or_save(
    request: HttpRequest,
    role: RoleView,
    *,
    edit: Edit,
    form: forms.Form | None,
    change: AvailabilityChange,
    save: Callable[[], object],
) -> HttpResponse:
    """The two steps of every change: `preview=1` shows the slots it would produce; `confirm=1`
    saves it through the providers service (whose AvailabilityChanged event regenerates the
    slots, leaving booked ones alone). A refusal at either step goes back to the form."""
    try:
        if request.POST.get("confirm"):
            save()
            messages.success(request, edit.saved)
            return HttpResponseRedirect(reverse("portal:schedule", args=[role.id]))
        days = _preview_days(role, change)
    except ApplicationError as exc:
        if form is None:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(reverse("portal:schedule", args=[role.id]))
        _errors_onto(form, exc)
        return _edit_page(request, role, edit, form)
    return render(
        request,
        "portal/schedules/preview.html",
        {"role": role, "edit": edit, "form": form, "days": days},
    )


def _edit_page(request: HttpRequest, role: RoleView, edit: Edit, form: forms.Form) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "portal/schedules/edit.html",
        {"role": role, "edit": edit, "form": form},
        status=status,
    )


def _rule_of(role_id: int, rule_id: int) -> AvailabilityRuleInfo:
    for rule in providers.availability_rules(role_id=role_id):
        if rule.id == rule_id:
            return rule
    raise Http404("No such availability rule of this practitioner role.")


def _exception_of(role_id: int, exception_id: int) -> AvailabilityExceptionInfo:
    for exception in providers.availability_exceptions(role_id=role_id):
        if exception.id == exception_id:
            return exception
    raise Http404("No such availability exception of this practitioner role.")


@require_http_methods(["GET", "POST"])
@staff_view(Permission.MANAGE_SCHEDULES)
def rule_edit(request: HttpRequest, role_id: int, rule_id: int | None = None) -> HttpResponse:
    role = _role(role_id)
    rule = _rule_of(role_id, rule_id) if rule_id is not None else None
    edit = Edit(
        title="Change weekly hours" if rule else "Add weekly hours",
        action_url=request.path,
        saved="The weekly hours were saved; the practitioner's slots follow shortly.",
    )
    if request.method != "POST":
        form = RuleForm(initial=RuleForm.initial_of(rule) if rule else None)
        return _edit_page(request, role, edit, form)
    form = RuleForm(request.POST)
    if request.POST.get("change") or not form.is_valid():
        return _edit_page(request, role, edit, form)
    spec = form.spec()
    if rule is None:
        change = AvailabilityChange(rule_create=(spec,))

        def save() -> object:
            return providers.availability_rule_create(
                role_id=role_id, **dataclasses.asdict(spec), actor_id=request.staff.user_id
            )
    else:
        change = AvailabilityChange(rule_update=((rule.id, spec),))

        def save() -> object:
            return providers.availability_rule_update(
                rule_id=rule.id, **dataclasses.asdict(spec), actor_id=request.staff.user_id
            )

    return _preview_or_save(request, role, edit=edit, form=form, change=change, save=save)


@require_POST
@staff_view(Permission.MANAGE_SCHEDULES)
def rule_delete(request: HttpRequest, role_id: int, rule_id: int) -> HttpResponse:
    role = _role(role_id)
    rule = _rule_of(role_id, rule_id)
    edit = Edit(
        title=f"Remove the {WEEKDAY_NAMES[rule.weekday]} hours "
        f"{rule.start_time:%H:%M} to {rule.end_time:%H:%M}",
        action_url=request.path,
        saved="The weekly hours were removed; free slots in them are withdrawn shortly.",
    )
    return _preview_or_save(
        request,
        role,
        edit=edit,
        form=None,
        change=AvailabilityChange(rule_delete=(rule_id,)),
        save=lambda: providers.availability_rule_delete(rule_id=rule_id),
    )


@require_http_methods(["GET", "POST"])
@staff_view(Permission.MANAGE_SCHEDULES)
def exception_edit(
    request: HttpRequest, role_id: int, exception_id: int | None = None
) -> HttpResponse:
    role = _role(role_id)
    exception = _exception_of(role_id, exception_id) if exception_id is not None else None
    edit = Edit(
        title="Change leave or extra hours" if exception else "Add leave or extra hours",
        action_url=request.path,
        saved="The exception was saved; the practitioner's slots follow shortly.",
    )
    if request.method != "POST":
        form = ExceptionForm(initial=ExceptionForm.initial_of(exception) if exception else None)
        return _edit_page(request, role, edit, form)
    form = ExceptionForm(request.POST)
    if request.POST.get("change") or not form.is_valid():
        return _edit_page(request, role, edit, form)
    spec = form.spec()
    if exception is None:
        change = AvailabilityChange(exception_create=(spec,))

        def save() -> object:
            return providers.availability_exception_create(
                role_id=role_id, **dataclasses.asdict(spec), actor_id=request.staff.user_id
            )
    else:
        change = AvailabilityChange(exception_update=((exception.id, spec),))

        def save() -> object:
            return providers.availability_exception_update(
                exception_id=exception.id,
                **dataclasses.asdict(spec),
                actor_id=request.staff.user_id,
            )

    return _preview_or_save(request, role, edit=edit, form=form, change=change, save=save)


@require_POST
@staff_view(Permission.MANAGE_SCHEDULES)
def exception_delete(request: HttpRequest, role_id: int, exception_id: int) -> HttpResponse:
    role = _role(role_id)
    exception = _exception_of(role_id, exception_id)
    edit = Edit(
        title=f"Remove the {exception.kind.value} from {exception.date_from} to "
        f"{exception.date_to}",
        action_url=request.path,
        saved="The exception was removed; the practitioner's slots follow shortly.",
    )
    return _preview_or_save(
        request,
        role,
        edit=edit,
        form=None,
        change=AvailabilityChange(exception_delete=(exception_id,)),
        save=lambda: providers.availability_exception_delete(exception_id=exception_id),
    )


urlpatterns = [
    path("schedules/", schedules, name="schedules"),
    path("schedules/<int:role_id>/", schedule, name="schedule"),
    path("schedules/<int:role_id>/rules/new/", rule_edit, name="schedule-rule-new"),
    path("schedules/<int:role_id>/rules/<int:rule_id>/", rule_edit, name="schedule-rule"),
    path(
        "schedules/<int:role_id>/rules/<int:rule_id>/delete/",
        rule_delete,
        name="schedule-rule-delete",
    ),
    path("schedules/<int:role_id>/exceptions/new/", exception_edit, name="schedule-exception-new"),
    path(
        "schedules/<int:role_id>/exceptions/<int:exception_id>/",
        exception_edit,
        name="schedule-exception",
    ),
    path(
        "schedules/<int:role_id>/exceptions/<int:exception_id>/delete/",
        exception_delete,
        name="schedule-exception-delete",
    ),
]
