"""The patient API's common ground: the caller is a patient, known by the token's patient_id.

Patients never pass their own id: every /api/v1/me/ view takes it from the access token's
`patient_id` claim, which the token endpoint (apps.patients.api) adds for patient accounts only.
Extracted services' views use the same claim, so they need no lookup in the monolith.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

PATIENT_ID_CLAIM = "patient_id"
# Set on Django's request once a /me/ call is authorised: apps.audit's middleware records the
# patient's access to their own record from it (purpose "self"), so no view needs a line.
CALLER_PATIENT_ATTRIBUTE = "caller_patient_id"


def patient_id_of(request: Request) -> int | None:
    token = getattr(request, "auth", None)
    if token is None:
        return None
    try:
        value = token.get(PATIENT_ID_CLAIM)
    except AttributeError:
        return None
    return int(value) if value is not None else None


class IsPatient(BasePermission):
    """An authenticated request whose access token names a patient."""

    message = "This endpoint is for patient accounts."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated) and (
            patient_id_of(request) is not None
        )


class PatientAPIView(APIView):
    """Base of /api/v1/me/ views: `self.patient_id` is the caller's own patient record."""

    permission_classes = [IsPatient]

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        setattr(request._request, CALLER_PATIENT_ATTRIBUTE, patient_id_of(request))

    @property
    def patient_id(self) -> int:
        patient_id = patient_id_of(self.request)
        if patient_id is None:  # IsPatient has already refused such a request
            raise PermissionError("no patient_id claim")
        return patient_id
