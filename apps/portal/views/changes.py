"""A patient's change history: who changed what in the record, allergies and appointments, and
when, newest first; for staff caring for the patient, like the chart."""

from __future__ import annotations

import dataclasses

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from apps.accounts import public as accounts
from apps.allergies import public as allergies
from apps.core.changes import RecordChange
from apps.core.errors import ApplicationError
from apps.patients import public as patients
from apps.portal.access import in_care, outside_care, staff_view
from apps.scheduling import public as scheduling

CHANGES_PER_PAGE = 25
NO_ONE = "No one (an import or the system)"


@dataclasses.dataclass(frozen=True)
class ChangeRow:
    change: RecordChange
    actor: str


def _timeline(patient_id: int) -> list[RecordChange]:
    """The three timelines merged, newest first (each reader answers in constant queries)."""
    changes = [
        *patients.patient_changes(patient_id=patient_id),
        *allergies.allergy_changes(patient_id=patient_id),
        *scheduling.appointment_changes(patient_id=patient_id),
    ]
    return sorted(changes, key=lambda change: change.when, reverse=True)


@staff_view()
def patient_changes(request: HttpRequest, patient_id: int) -> HttpResponse:
    if not in_care(request, patient_id):
        return outside_care(request, action="see this patient's change history")
    try:
        record = patients.patient_record_get(patient_id=patient_id)
    except ApplicationError as exc:
        raise Http404("No such patient.") from exc
    page = Paginator(_timeline(patient_id), CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    names = accounts.user_display_names(
        user_ids={change.user_id for change in page if change.user_id is not None}
    )
    rows = [
        ChangeRow(
            change=change,
            actor=NO_ONE
            if change.user_id is None
            else names.get(change.user_id, f"user {change.user_id}"),
        )
        for change in page
    ]
    return render(
        request,
        "portal/patients/changes.html",
        {"record": record, "page": page, "rows": rows},
    )


urlpatterns = [
    path("patients/<int:patient_id>/changes/", patient_changes, name="patient-changes"),
]
