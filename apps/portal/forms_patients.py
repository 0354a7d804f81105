"""The patients area's forms: search, registration and edit, and recording an allergy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django import forms

from apps.allergies.contracts import (
    AllergyCategory,
    AllergyType,
    ClinicalStatus,
    Criticality,
    ExposureRoute,
    ReactionData,
    ReactionSeverity,
    SubstanceInfo,
    VerificationStatus,
)
from apps.patients.contracts import LANGUAGES, AdministrativeGender

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def _choices(vocabulary: type, *, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(member.value, member.value.replace("-", " ").capitalize()) for member in vocabulary]
    return [("", blank), *options] if blank is not None else options


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(
    form: forms.Form, field_errors: Mapping[str, Sequence[str]], names: Mapping[str, str]
) -> None:
    """Put a refused service call's field errors beside the form's fields; `names` maps the
    service's field names to the form's where they differ. Unknown fields go on top."""
    for service_name, messages in field_errors.items():
        name = names.get(service_name, service_name)
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            else:
                form.add_error(None, f"{service_name}: {message}")


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Name, MRN or birth date",
        max_length=100,
        required=False,
        help_text='A name or its start ("smi", "smith, jo"), a 9-digit MRN, or a birth date '
        "as YYYY-MM-DD.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class PatientForm(forms.Form):
    """The fields of patients.public.patient_register that staff fill in; patient_update takes
    the same names. Formats are checked here, the rules by the service (errors land here too)."""

    family_name = forms.CharField(label="Family name", max_length=100)
    given_name = forms.CharField(label="Given name", max_length=100)
    birth_date = forms.DateField(
        label="Birth date",
        help_text="YYYY-MM-DD; not in the future.",
        widget=_date_input(),
        input_formats=["%Y-%m-%d"],
    )
    # A blank first choice: a select without one would silently submit its first option.
    gender = forms.ChoiceField(
        label="Gender", choices=_choices(AdministrativeGender, blank="Choose…")
    )
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        help_text="International format, such as +1 555 010 0100.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label="Email", required=False)
    address_line = forms.CharField(label="Address", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    country = forms.CharField(
        label="Country",
        max_length=2,
        required=False,
        help_text="Two-letter code, such as US or ES.",
    )
    emergency_contact_name = forms.CharField(
        label="Emergency contact name", max_length=200, required=False
    )
    emergency_contact_phone = forms.CharField(
        label="Emergency contact phone",
        max_length=32,
        required=False,
        help_text="International format.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    emergency_contact_relationship = forms.CharField(
        label="Emergency contact relationship", max_length=50, required=False
    )
    preferred_language = forms.ChoiceField(
        label="Preferred language",
        choices=[(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        initial="en",
    )
    consent_email = forms.BooleanField(label="May be contacted by email", required=False)
    consent_sms = forms.BooleanField(label="May be contacted by text message", required=False)


class AllergyForm(forms.Form):
    """allergies.public.allergy_record's arguments, with at most one reaction."""

    substance_code = forms.ChoiceField(
        label="Substance from the catalogue",
        required=False,
        help_text="Or name it below if it is not in the catalogue.",
    )
    substance_text = forms.CharField(
        label="Other substance (free text)", max_length=200, required=False
    )
    type = forms.ChoiceField(
        label="Type", choices=_choices(AllergyType, blank="Not known"), required=False
    )
    category = forms.ChoiceField(
        label="Category",
        choices=_choices(AllergyCategory, blank="The substance's own category"),
        required=False,
    )
    criticality = forms.ChoiceField(label="Criticality", choices=_choices(Criticality))
    clinical_status = forms.ChoiceField(
        label="Clinical status", choices=_choices(ClinicalStatus), initial=ClinicalStatus.ACTIVE
    )
    verification_status = forms.ChoiceField(
        label="Verification",
        choices=[
            (VerificationStatus.CONFIRMED.value, "Confirmed"),
            (VerificationStatus.UNCONFIRMED.value, "Unconfirmed"),
        ],
        initial=VerificationStatus.CONFIRMED,
    )
    onset_date = forms.DateField(
        label="Onset date",
        required=False,
        help_text="YYYY-MM-DD; not in the future.",
        widget=_date_input(),
        input_formats=["%Y-%m-%d"],
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    manifestations = forms.CharField(
        label="Reaction: manifestations",
        required=False,
        max_length=500,
        help_text="What was seen, separated by commas (such as hives, wheezing). "
        "Leave empty to record no reaction.",
    )
    severity = forms.ChoiceField(
        label="Reaction: severity",
        choices=_choices(ReactionSeverity, blank="Choose if there was a reaction"),
        required=False,
    )
    exposure_route = forms.ChoiceField(
        label="Reaction: exposure route",
        choices=_choices(ExposureRoute),
        initial=ExposureRoute.UNKNOWN,
        required=False,
    )

    # The service's names for the reaction's fields, mapped onto this form's.
    SERVICE_NAMES = {
        "reactions.0.manifestations": "manifestations",
        "reactions.0.severity": "severity",
        "reactions.0.exposure_route": "exposure_route",
    }

    def __init__(self, *args: object, substances: Sequence[SubstanceInfo], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["substance_code"].choices = [
            ("", "Not in the catalogue"),
            *((substance.code, substance.display) for substance in substances),
        ]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if not cleaned.get("substance_code") and not cleaned.get("substance_text", "").strip():
            self.add_error(
                "substance_code", "Choose a substance from the catalogue or name it as free text."
            )
        if cleaned.get("manifestations", "").strip() and not cleaned.get("severity"):
            self.add_error("severity", "Required when a reaction is described.")
        return cleaned

    def reactions(self) -> tuple[ReactionData, ...]:
        names = tuple(
            name.strip()
            for name in self.cleaned_data.get("manifestations", "").split(",")
            if name.strip()
        )
        if not names:
            return ()
        return (
            ReactionData(
                manifestations=names,
                severity=ReactionSeverity(self.cleaned_data["severity"]),
                exposure_route=ExposureRoute(
                    self.cleaned_data.get("exposure_route") or ExposureRoute.UNKNOWN
                ),
            ),
        )
