"""The access log's forms: the break-glass reason, and the filters of /staff/audit/."""

from __future__ import annotations

from django import forms
from django.conf import settings

from apps.audit.contracts import Action, Outcome, Purpose


def _choices(vocabulary: type) -> list[tuple[str, str]]:
    return [("", "Any"), *((item.value, item.value.capitalize()) for item in vocabulary)]


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this record now?",
        min_length=settings.BREAK_GLASS_REASON_MIN_LENGTH,
        max_length=500,
        strip=True,
        help_text="Administrators review every break-glass access. Do not copy clinical details "
        "here: say why, for example “covering for the on-call clinician, urgent call”.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AccessLogFilterForm(forms.Form):
    patient = forms.CharField(
        label="Patient id or MRN",
        required=False,
        max_length=20,
        help_text="A patient id, or a 9-digit MRN.",
    )
    user = forms.CharField(
        label="Staff or patient user (id or email)", required=False, max_length=254
    )
    action = forms.ChoiceField(choices=_choices(Action), required=False)
    outcome = forms.ChoiceField(choices=_choices(Outcome), required=False)
    purpose = forms.ChoiceField(choices=_choices(Purpose), required=False)
    since = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label="To (inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must not be before the start date.")
        return data
