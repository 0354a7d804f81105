"""Who opened my record: /api/v1/me/access-log/ (the PHI access log, the patient's own part).

It lives in patients, above accounts and audit: the log keeps user ids, and the names shown
beside them come from accounts.public when the page is read.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts import public as accounts
from apps.audit import public as audit
from apps.audit.contracts import AccessFilter, Action, Outcome, Purpose
from apps.core.openapi import problems
from apps.core.pagination import CappedPageNumberPagination
from apps.core.patient_api import PatientAPIView

SYSTEM_NAME = "HealthPortal (automatic)"


def _values(vocabulary: type) -> list[str]:
    return [item.value for item in vocabulary]


class AccessLogApi(PatientAPIView):
    pagination_class = CappedPageNumberPagination

    class OutputSerializer(serializers.Serializer):
        occurred_at = serializers.DateTimeField()
        accessed_by = serializers.CharField(help_text="The staff member's display name.")
        role = serializers.CharField(help_text='Their role then, e.g. "clinician".')
        resource = serializers.CharField(help_text='What was opened: "patient", "allergy"...')
        action = serializers.ChoiceField(choices=_values(Action))
        purpose = serializers.ChoiceField(choices=_values(Purpose))
        outcome = serializers.ChoiceField(choices=_values(Outcome))

        class Meta:
            ref_name = "AccessLogEntry"

    @extend_schema(
        operation_id="me_access_log_list",
        summary="Who accessed my record",
        description="Every read or change of the caller's record by staff (and refused "
        "attempts), newest first. The caller's own use of the app is left out.",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: OutputSerializer(many=True), **problems(401, 403)},
        examples=[
            OpenApiExample(
                "A clinician read the chart",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "occurred_at": "2026-12-03T09:15:02Z",
                            "accessed_by": "Dr. Marta Ruiz",
                            "role": "clinician",
                            "resource": "patient",
                            "action": "read",
                            "purpose": "treatment",
                            "outcome": "allowed",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        pages = audit.AccessPages(AccessFilter(patient_id=self.patient_id, exclude_self=True))
        paginator = self.pagination_class()
        entries = paginator.paginate_queryset(pages, request, view=self) or []
        names = accounts.user_display_names(
            user_ids=[entry.user_id for entry in entries if entry.user_id is not None]
        )
        rows = [
            {
                "occurred_at": entry.occurred_at,
                "accessed_by": (
                    names.get(entry.user_id, "") if entry.user_id is not None else SYSTEM_NAME
                ),
                "role": entry.actor_role,
                "resource": entry.resource_type,
                "action": entry.action.value,
                "purpose": entry.purpose.value,
                "outcome": entry.outcome.value,
            }
            for entry in entries
        ]
        return paginator.get_paginated_response(self.OutputSerializer(rows, many=True).data)
