"""The caller's appointments: list, read, book (idempotent), cancel and reschedule."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import ValidationFailed
from apps.core.openapi import problems
from apps.core.pagination import CappedPageNumberPagination
from apps.core.patient_api import PatientAPIView
from apps.scheduling import public as scheduling
from apps.scheduling.api.paging import one_query_page
from apps.scheduling.api.serializers import AppointmentSerializer, appointment_representation
from apps.scheduling.contracts import AppointmentStatus, PatientBooking

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 200  # BookingRequest.key

APPOINTMENT_EXAMPLE = {
    "id": 41,
    "status": "booked",
    "start": "2030-03-11T14:00:00-04:00",
    "end": "2030-03-11T14:20:00-04:00",
    "timezone": "America/New_York",
    "practitioner": {"id": 7, "name": "Dr. Ada Okafor"},
    "location": {"id": 2, "name": "Riverside Clinic"},
    "appointment_type": {"id": 3, "name": "Follow-up visit"},
    "reason": "Knee pain",
    "needs_allergy_review": False,
    "channel": "patient",
    "rescheduled_from": None,
}


def allergy_review_message(substances: tuple[str, ...]) -> str:
    """Plain language for a patient whose booking was flagged for an allergy review."""
    names = [_in_sentence(name) for name in dict.fromkeys(substances)]
    if not names:
        what = "a substance you are allergic to"
        return (
            f"This visit may involve {what}. The clinic will review your booking and contact "
            "you if anything needs to change."
        )
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"This visit may involve {listed}, which you are allergic to. The clinic will review "
        "your booking and contact you if anything needs to change."
    )


def _in_sentence(display: str) -> str:
    # "Iodinated contrast media" reads lower-case mid-sentence; "NSAIDs" keeps its capitals.
    return display if display[1:2].isupper() else display[:1].lower() + display[1:]


class AppointmentListApi(PatientAPIView):
    pagination_class = CappedPageNumberPagination

    class FilterSerializer(serializers.Serializer):
        when = serializers.ChoiceField(choices=["upcoming", "past"], required=False)
        status = serializers.ChoiceField(
            choices=[s.value for s in AppointmentStatus], required=False
        )

        class Meta:
            ref_name = "AppointmentListFilter"

    OutputSerializer = AppointmentSerializer

    @extend_schema(
        operation_id="me_appointments_list",
        summary="My appointments",
        parameters=[
            OpenApiParameter("when", str, enum=["upcoming", "past"], description="Time filter."),
            OpenApiParameter(
                "status", str, enum=[s.value for s in AppointmentStatus], description="FHIR status."
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 100."),
        ],
        responses={200: AppointmentSerializer(many=True), **problems(400, 401, 403)},
        examples=[
            OpenApiExample(
                "A page of appointments",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [APPOINTMENT_EXAMPLE],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        when, statuses = None, None
        # Without filters there is nothing to validate: the hot path skips the serializer.
        if any(name in request.query_params for name in ("when", "status")):
            filters = AppointmentListApi.FilterSerializer(data=request.query_params)
            filters.is_valid(raise_exception=True)
            when = filters.validated_data.get("when")
            wanted = filters.validated_data.get("status")
            statuses = [wanted] if wanted else None
        patient_id = self.patient_id
        return one_query_page(
            request=request,
            view=self,
            fetch_with_count=lambda *, offset, limit: scheduling.patient_appointment_page(
                patient_id=patient_id, when=when, statuses=statuses, offset=offset, limit=limit
            ),
            count=lambda: scheduling.patient_appointment_count(
                patient_id=patient_id, when=when, statuses=statuses
            ),
            represent=appointment_representation,
        )


class AppointmentDetailApi(PatientAPIView):
    OutputSerializer = AppointmentSerializer

    @extend_schema(
        operation_id="me_appointments_retrieve",
        summary="One of my appointments",
        responses={
            200: AppointmentSerializer,
            **problems(401, 403, 404, codes={404: "appointment_not_found"}),
        },
        examples=[OpenApiExample("An appointment", value=APPOINTMENT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, appointment_id: int) -> Response:
        appointment = scheduling.patient_appointment_get(
            appointment_id=appointment_id, patient_id=self.patient_id
        )
        return Response(self.OutputSerializer(appointment).data)


class AllergyReviewSerializer(serializers.Serializer):
    required = serializers.BooleanField()
    message = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "AllergyReview"


class AppointmentBookApi(PatientAPIView):
    class InputSerializer(serializers.Serializer):
        slot = serializers.IntegerField(min_value=1)
        appointment_type = serializers.IntegerField(min_value=1)
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

        class Meta:
            ref_name = "AppointmentBookInput"

    class OutputSerializer(AppointmentSerializer):
        allergy_review = serializers.SerializerMethodField()

        class Meta:
            ref_name = "AppointmentBooking"

        @extend_schema_field(AllergyReviewSerializer)
        def get_allergy_review(self, booking: object) -> dict[str, object]:
            substances = self.context["allergy_substances"]
            required = bool(getattr(booking, "needs_allergy_review", False))
            return {
                "required": required,
                "message": allergy_review_message(substances) if required else None,
            }

    @extend_schema(
        operation_id="me_appointments_book",
        summary="Book an appointment",
        description=(
            "Books a free slot. The `Idempotency-Key` header is required: repeating a request "
            "with the same key returns the first booking (200) instead of booking twice."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                location=OpenApiParameter.HEADER,
                required=True,
                description="A unique key per booking attempt (at most 200 characters).",
            )
        ],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            **problems(
                400,
                401,
                403,
                409,
                codes={
                    400: "validation_error, booking_not_allowed",
                    403: "patient_pending_review",
                    409: "slot_unavailable, patient_overlap, idempotency_mismatch",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Book a follow-up",
                value={"slot": 812, "appointment_type": 3, "reason": "Knee pain"},
                request_only=True,
            ),
            OpenApiExample(
                "Booked, flagged for an allergy review",
                value={
                    **APPOINTMENT_EXAMPLE,
                    "needs_allergy_review": True,
                    "allergy_review": {
                        "required": True,
                        "message": allergy_review_message(("Iodinated contrast media",)),
                    },
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
        if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationFailed(
                f"The {IDEMPOTENCY_HEADER} header is required for a booking.",
                field_errors={
                    IDEMPOTENCY_HEADER: [
                        f"Required header of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."
                    ]
                },
            )
        data = AppointmentBookApi.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking: PatientBooking = scheduling.patient_appointment_book(
            patient_id=self.patient_id,
            slot_id=data.validated_data["slot"],
            appointment_type_id=data.validated_data["appointment_type"],
            booked_by_id=request.user.id,
            reason=data.validated_data.get("reason", ""),
            idempotency_key=key,
        )
        body = AppointmentBookApi.OutputSerializer(
            booking.appointment, context={"allergy_substances": booking.allergy_substances}
        ).data
        return Response(
            body, status=status.HTTP_201_CREATED if booking.created else status.HTTP_200_OK
        )


class AppointmentCancelApi(PatientAPIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

        class Meta:
            ref_name = "AppointmentCancelInput"

    OutputSerializer = AppointmentSerializer

    @extend_schema(
        operation_id="me_appointments_cancel",
        summary="Cancel one of my appointments",
        request=InputSerializer,
        responses={
            200: AppointmentSerializer,
            **problems(
                400,
                401,
                403,
                404,
                409,
                codes={
                    404: "appointment_not_found",
                    409: "cancellation_window_passed, invalid_transition",
                },
            ),
        },
        examples=[
            OpenApiExample("Cancel", value={"reason": "Feeling better"}, request_only=True),
            OpenApiExample(
                "Cancelled",
                value={**APPOINTMENT_EXAMPLE, "status": "cancelled"},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = scheduling.patient_appointment_cancel(
            appointment_id=appointment_id,
            patient_id=self.patient_id,
            by_id=request.user.id,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self.OutputSerializer(appointment).data)


class AppointmentRescheduleApi(PatientAPIView):
    class InputSerializer(serializers.Serializer):
        slot = serializers.IntegerField(min_value=1)

        class Meta:
            ref_name = "AppointmentRescheduleInput"

    OutputSerializer = AppointmentSerializer

    @extend_schema(
        operation_id="me_appointments_reschedule",
        summary="Move one of my appointments to another slot",
        description="Answers with the new appointment; the old one is cancelled and linked.",
        request=InputSerializer,
        responses={
            201: AppointmentSerializer,
            **problems(
                400,
                401,
                403,
                404,
                409,
                codes={
                    400: "validation_error, booking_not_allowed",
                    404: "appointment_not_found",
                    409: "slot_unavailable, patient_overlap, cancellation_window_passed",
                },
            ),
        },
        examples=[
            OpenApiExample("Move", value={"slot": 815}, request_only=True),
            OpenApiExample(
                "Moved",
                value={**APPOINTMENT_EXAMPLE, "id": 42, "rescheduled_from": 41},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = scheduling.patient_appointment_reschedule(
            appointment_id=appointment_id,
            patient_id=self.patient_id,
            new_slot_id=data.validated_data["slot"],
            by_id=request.user.id,
        )
        return Response(self.OutputSerializer(appointment).data, status=status.HTTP_201_CREATED)


class AppointmentCollectionApi(PatientAPIView):
    """me/appointments/ answers two operations; each stays its own class above."""

    pagination_class = CappedPageNumberPagination
    get = AppointmentListApi.get
    post = AppointmentBookApi.post
