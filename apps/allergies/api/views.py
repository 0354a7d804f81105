"""The caller's allergies (list, report one) and the allergen catalogue for pickers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.allergies import public as allergies
from apps.allergies.contracts import (
    AllergyCategory,
    AllergyType,
    AssertedBy,
    ClinicalStatus,
    Criticality,
    ExposureRoute,
    ReactionData,
    ReactionSeverity,
    RecordKind,
    VerificationStatus,
)
from apps.core.openapi import problems
from apps.core.pagination import CappedPageNumberPagination
from apps.core.patient_api import PatientAPIView


def _values(vocabulary: type) -> list[str]:
    return [member.value for member in vocabulary]


class ReactionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    manifestations = serializers.ListField(child=serializers.CharField())
    severity = serializers.ChoiceField(choices=_values(ReactionSeverity))
    exposure_route = serializers.ChoiceField(choices=_values(ExposureRoute))
    description = serializers.CharField()
    onset_date = serializers.DateField(allow_null=True)

    class Meta:
        ref_name = "AllergyReaction"


class AllergySerializer(serializers.Serializer):
    """An entry as its patient sees it; unconfirmed until a clinician verifies it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=_values(RecordKind))
    substance_code = serializers.CharField(allow_null=True)
    substance_display = serializers.CharField()
    type = serializers.ChoiceField(choices=_values(AllergyType), allow_null=True)
    category = serializers.ChoiceField(choices=_values(AllergyCategory), allow_null=True)
    criticality = serializers.ChoiceField(choices=_values(Criticality), allow_null=True)
    clinical_status = serializers.ChoiceField(choices=_values(ClinicalStatus), allow_null=True)
    verification_status = serializers.ChoiceField(choices=_values(VerificationStatus))
    asserted_by = serializers.ChoiceField(choices=_values(AssertedBy))
    onset_date = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    note = serializers.CharField()
    reactions = ReactionSerializer(many=True)

    class Meta:
        ref_name = "Allergy"


ALLERGY_EXAMPLE = {
    "id": 12,
    "kind": "allergy",
    "substance_code": "iodinated-contrast",
    "substance_display": "Iodinated contrast media",
    "type": "allergy",
    "category": "medication",
    "criticality": "high",
    "clinical_status": "active",
    "verification_status": "unconfirmed",
    "asserted_by": "patient",
    "onset_date": "2019-06-01",
    "recorded_at": "2030-02-20T09:12:44Z",
    "note": "",
    "reactions": [
        {
            "id": 3,
            "manifestations": ["hives"],
            "severity": "moderate",
            "exposure_route": "injection",
            "description": "",
            "onset_date": None,
        }
    ],
}


class AllergyListApi(PatientAPIView):
    pagination_class = CappedPageNumberPagination
    OutputSerializer = AllergySerializer

    @extend_schema(
        operation_id="me_allergies_list",
        summary="My allergies",
        description="Every entry but those entered in error, newest first, with reactions.",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: AllergySerializer(many=True), **problems(401, 403)},
        examples=[
            OpenApiExample(
                "One allergy",
                value={"count": 1, "next": None, "previous": None, "results": [ALLERGY_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        # A patient's entries are few: one query for them and one for their reactions.
        entries = allergies.allergy_list(patient_id=self.patient_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(
            AllergyListApi.OutputSerializer(page, many=True).data
        )


class AllergyReportApi(PatientAPIView):
    class ReactionInputSerializer(serializers.Serializer):
        manifestations = serializers.ListField(
            child=serializers.CharField(max_length=100), min_length=1, max_length=20
        )
        severity = serializers.ChoiceField(choices=_values(ReactionSeverity))
        exposure_route = serializers.ChoiceField(
            choices=_values(ExposureRoute), default=ExposureRoute.UNKNOWN.value
        )
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)

        class Meta:
            ref_name = "AllergyReportReaction"

    class InputSerializer(serializers.Serializer):
        """What a patient may say; statuses, recorder and assertion are never theirs to set."""

        substance_code = serializers.SlugField(max_length=64, required=False, allow_blank=True)
        substance_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
        type = serializers.ChoiceField(choices=_values(AllergyType), required=False)
        category = serializers.ChoiceField(choices=_values(AllergyCategory), required=False)
        criticality = serializers.ChoiceField(
            choices=_values(Criticality), default=Criticality.UNABLE_TO_ASSESS.value
        )
        onset_date = serializers.DateField(required=False)
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        reactions = serializers.ListField(required=False, max_length=10)

        class Meta:
            ref_name = "AllergyReportInput"

        def validate_reactions(self, value: list) -> list:
            nested = AllergyReportApi.ReactionInputSerializer(data=value, many=True)
            nested.is_valid(raise_exception=True)
            return nested.validated_data

    OutputSerializer = AllergySerializer

    @extend_schema(
        operation_id="me_allergies_report",
        summary="Report an allergy",
        description=(
            "Give a catalogue `substance_code` (see /substances/) or free `substance_text`. "
            "The entry is recorded as patient-reported and unconfirmed until a clinician "
            "reviews it; criticality defaults to unable-to-assess."
        ),
        request=InputSerializer,
        responses={
            201: AllergySerializer,
            **problems(
                400,
                401,
                403,
                409,
                codes={
                    400: "validation_error, allergy_rule_violation",
                    409: "allergy_duplicate",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Contrast allergy",
                value={
                    "substance_code": "iodinated-contrast",
                    "type": "allergy",
                    "criticality": "high",
                    "onset_date": "2019-06-01",
                    "reactions": [
                        {
                            "manifestations": ["hives"],
                            "severity": "moderate",
                            "exposure_route": "injection",
                        }
                    ],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Recorded", value=ALLERGY_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = AllergyReportApi.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        entry = allergies.allergy_record(
            patient_id=self.patient_id,
            substance_code=fields.get("substance_code") or None,
            substance_text=fields.get("substance_text", ""),
            type=AllergyType(fields["type"]) if fields.get("type") else None,
            category=AllergyCategory(fields["category"]) if fields.get("category") else None,
            criticality=Criticality(fields["criticality"]),
            onset_date=fields.get("onset_date"),
            note=fields.get("note", ""),
            reactions=[
                ReactionData(
                    manifestations=tuple(reaction["manifestations"]),
                    severity=ReactionSeverity(reaction["severity"]),
                    exposure_route=ExposureRoute(reaction["exposure_route"]),
                    description=reaction.get("description", ""),
                )
                for reaction in fields.get("reactions", [])
            ],
            asserted_by=AssertedBy.PATIENT,
            recorder_id=request.user.id,
        )
        return Response(
            AllergyReportApi.OutputSerializer(entry).data, status=status.HTTP_201_CREATED
        )


class AllergyCollectionApi(PatientAPIView):
    """me/allergies/ answers two operations; each stays its own class above."""

    pagination_class = CappedPageNumberPagination
    get = AllergyListApi.get
    post = AllergyReportApi.post


class SubstanceListApi(APIView):
    pagination_class = CappedPageNumberPagination

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        display = serializers.CharField()
        category = serializers.ChoiceField(choices=_values(AllergyCategory))

        class Meta:
            ref_name = "Substance"

    @extend_schema(
        operation_id="substances_list",
        summary="The allergen catalogue",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: OutputSerializer(many=True), **problems(401)},
        examples=[
            OpenApiExample(
                "Catalogue page",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "code": "iodinated-contrast",
                            "display": "Iodinated contrast media",
                            "category": "medication",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(allergies.substance_catalogue(), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
