"""Forms of the schedules area: a weekly availability rule and an availability exception."""

from __future__ import annotations

from django import forms

from apps.providers.contracts import (
    AvailabilityExceptionInfo,
    AvailabilityExceptionSpec,
    AvailabilityRuleInfo,
    AvailabilityRuleSpec,
    ExceptionKind,
)

WEEKDAYS = ((0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"),
            (5, "Saturday"), (6, "Sunday"))  # fmt: skip
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _end_after_start(form: forms.Form, cleaned: dict) -> None:
    start, end = cleaned.get("start_time"), cleaned.get("end_time")
    if start is not None and end is not None and end <= start:
        form.add_error("end_time", "The end time must be after the start time.")


class RuleForm(forms.Form):
    weekday = forms.TypedChoiceField(label="Weekday", choices=WEEKDAYS, coerce=int)
    start_time = forms.TimeField(
        label="Start time", widget=TIME, help_text="Local time at the location, e.g. 09:00."
    )
    end_time = forms.TimeField(label="End time", widget=TIME)
    slot_minutes = forms.IntegerField(
        label="Slot length (minutes)",
        min_value=5,
        max_value=24 * 60,
        help_text="At least 5; one slot must fit between the start and end time.",
    )
    capacity = forms.IntegerField(label="Patients per slot", min_value=1, max_value=100, initial=1)
    valid_from = forms.DateField(
        label="Valid from", required=False, widget=DATE, help_text="Leave empty for no start."
    )
    valid_until = forms.DateField(
        label="Valid until", required=False, widget=DATE, help_text="Leave empty for no end."
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        _end_after_start(self, cleaned)
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", "Must not be before 'Valid from'.")
        return cleaned

    @staticmethod
    def initial_of(rule: AvailabilityRuleInfo) -> dict:
        return {
            "weekday": rule.weekday,
            "start_time": rule.start_time,
            "end_time": rule.end_time,
            "slot_minutes": rule.slot_minutes,
            "capacity": rule.capacity,
            "valid_from": rule.valid_from,
            "valid_until": rule.valid_until,
        }

    def spec(self) -> AvailabilityRuleSpec:
        return AvailabilityRuleSpec(**self.cleaned_data)


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=(
            (ExceptionKind.LEAVE.value, "Leave (no slots)"),
            (ExceptionKind.EXTRA.value, "Extra hours"),
        ),
    )
    date_from = forms.DateField(label="From date", widget=DATE)
    date_to = forms.DateField(label="To date", widget=DATE, help_text="The last day, included.")
    start_time = forms.TimeField(
        label="Start time",
        required=False,
        widget=TIME,
        help_text="Local time. Leave both times empty for leave covering whole days.",
    )
    end_time = forms.TimeField(label="End time", required=False, widget=TIME)
    slot_minutes = forms.IntegerField(
        label="Slot length (minutes)",
        required=False,
        min_value=5,
        max_value=24 * 60,
        help_text="Extra hours only.",
    )
    capacity = forms.IntegerField(
        label="Patients per slot",
        required=False,
        min_value=1,
        max_value=100,
        help_text="Extra hours only.",
    )
    reason = forms.CharField(label="Reason", required=False, max_length=200)

    def clean(self) -> dict:
        cleaned = super().clean()
        _end_after_start(self, cleaned)
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "Must not be before the 'From date'.")
        return cleaned

    @staticmethod
    def initial_of(exception: AvailabilityExceptionInfo) -> dict:
        return {
            "kind": exception.kind.value,
            "date_from": exception.date_from,
            "date_to": exception.date_to,
            "start_time": exception.start_time,
            "end_time": exception.end_time,
            "slot_minutes": exception.slot_minutes,
            "capacity": exception.capacity,
            "reason": exception.reason,
        }

    def spec(self) -> AvailabilityExceptionSpec:
        return AvailabilityExceptionSpec(
            **{**self.cleaned_data, "kind": ExceptionKind(self.cleaned_data["kind"])}
        )
