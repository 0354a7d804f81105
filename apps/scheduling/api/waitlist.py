"""The caller's waitlist: list and join, leave, and accept an offered place."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.openapi import problems
from apps.core.pagination import CappedPageNumberPagination
from apps.core.patient_api import PatientAPIView
from apps.scheduling import public as scheduling
from apps.scheduling.api.appointments import APPOINTMENT_EXAMPLE
from apps.scheduling.api.fields import ZonedDateTimeField
from apps.scheduling.api.paging import paginated_response
from apps.scheduling.api.serializers import AppointmentSerializer
from apps.scheduling.contracts import WaitlistStatus


class _OptionalRef(serializers.Serializer):
    """A reference read from the whole entry; null when the entry names none."""

    key_attribute: ClassVar[str]

    def to_representation(self, instance: Any) -> dict[str, Any] | None:
        if getattr(instance, self.key_attribute) is None:
            return None
        return super().to_representation(instance)


class WaitlistPractitionerSerializer(_OptionalRef):
    key_attribute = "practitioner_id"
    id = serializers.IntegerField(source="practitioner_id")
    name = serializers.CharField(source="practitioner_name")

    class Meta:
        ref_name = "WaitlistPractitioner"


class WaitlistSpecialtySerializer(_OptionalRef):
    key_attribute = "specialty_code"
    code = serializers.CharField(source="specialty_code")
    name = serializers.CharField(source="specialty_name")

    class Meta:
        ref_name = "WaitlistSpecialty"


class WaitlistLocationSerializer(_OptionalRef):
    key_attribute = "location_id"
    id = serializers.IntegerField(source="location_id")
    name = serializers.CharField(source="location_name")

    class Meta:
        ref_name = "WaitlistLocation"


class WaitlistOfferSerializer(_OptionalRef):
    key_attribute = "offered_slot_id"
    slot = serializers.IntegerField(source="offered_slot_id")
    start = ZonedDateTimeField(attribute="offer_start", zone_attribute="offer_timezone")
    end = ZonedDateTimeField(attribute="offer_end", zone_attribute="offer_timezone")
    timezone = serializers.CharField(source="offer_timezone")
    expires_at = ZonedDateTimeField(attribute="offer_expires_at", zone_attribute="offer_timezone")

    class Meta:
        ref_name = "WaitlistOffer"


class WaitlistAppointmentTypeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="appointment_type_id")
    name = serializers.CharField(source="appointment_type_name")

    class Meta:
        ref_name = "WaitlistAppointmentType"


class WaitlistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[s.value for s in WaitlistStatus])
    appointment_type = WaitlistAppointmentTypeSerializer(source="*")
    practitioner = WaitlistPractitionerSerializer(source="*", allow_null=True)
    specialty = WaitlistSpecialtySerializer(source="*", allow_null=True)
    location = WaitlistLocationSerializer(source="*", allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    offer = WaitlistOfferSerializer(source="*", allow_null=True)
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "WaitlistEntry"


ENTRY_EXAMPLE = {
    "id": 5,
    "status": "offered",
    "appointment_type": {"id": 3, "name": "Follow-up visit"},
    "practitioner": {"id": 7, "name": "Dr. Ada Okafor"},
    "specialty": None,
    "location": None,
    "date_from": "2030-03-01",
    "date_to": "2030-03-31",
    "offer": {
        "slot": 812,
        "start": "2030-03-11T14:00:00-04:00",
        "end": "2030-03-11T14:30:00-04:00",
        "timezone": "America/New_York",
        "expires_at": "2030-03-10T11:00:00-04:00",
    },
    "appointment": None,
    "created_at": "2030-02-20T09:12:44Z",
}


class WaitlistListApi(PatientAPIView):
    pagination_class = CappedPageNumberPagination
    OutputSerializer = WaitlistEntrySerializer

    @extend_schema(
        operation_id="me_waitlist_list",
        summary="My open waitlist entries",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: WaitlistEntrySerializer(many=True), **problems(401, 403)},
        examples=[
            OpenApiExample(
                "Waiting entries",
                value={"count": 1, "next": None, "previous": None, "results": [ENTRY_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request=request,
            view=self,
            items=scheduling.waitlist_entries(patient_id=self.patient_id),
            serializer=WaitlistListApi.OutputSerializer,
        )


class WaitlistJoinApi(PatientAPIView):
    class InputSerializer(serializers.Serializer):
        appointment_type = serializers.IntegerField(min_value=1)
        practitioner = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        specialty = serializers.SlugField(max_length=50, required=False, allow_null=True)
        location = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        date_from = serializers.DateField()
        date_to = serializers.DateField()

        class Meta:
            ref_name = "WaitlistJoinInput"

    OutputSerializer = WaitlistEntrySerializer

    @extend_schema(
        operation_id="me_waitlist_join",
        summary="Join the waitlist",
        description="Give a practitioner or a specialty (code); a location narrows it further.",
        request=InputSerializer,
        responses={201: WaitlistEntrySerializer, **problems(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Any dermatologist in March",
                value={
                    "appointment_type": 3,
                    "specialty": "dermatology",
                    "date_from": "2030-03-01",
                    "date_to": "2030-03-31",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Waiting",
                value={**ENTRY_EXAMPLE, "status": "waiting", "offer": None},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = WaitlistJoinApi.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        entry = scheduling.waitlist_join(
            patient_id=self.patient_id,
            appointment_type_id=fields["appointment_type"],
            practitioner_id=fields.get("practitioner"),
            specialty_code=fields.get("specialty"),
            location_id=fields.get("location"),
            date_from=fields["date_from"],
            date_to=fields["date_to"],
            by_id=request.user.id,
        )
        return Response(
            WaitlistJoinApi.OutputSerializer(entry).data, status=status.HTTP_201_CREATED
        )


class WaitlistCollectionApi(PatientAPIView):
    """me/waitlist/ answers two operations; each stays its own class above."""

    pagination_class = CappedPageNumberPagination
    get = WaitlistListApi.get
    post = WaitlistJoinApi.post


class WaitlistLeaveApi(PatientAPIView):
    @extend_schema(
        operation_id="me_waitlist_leave",
        summary="Leave the waitlist",
        request=None,
        responses={
            204: None,
            **problems(401, 403, 404, codes={404: "waitlist_entry_not_found"}),
        },
        examples=[
            OpenApiExample(
                "Not found",
                value={
                    "type": "urn:healthportal:problem:waitlist_entry_not_found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "No such open waitlist entry.",
                    "code": "waitlist_entry_not_found",
                },
                response_only=True,
                status_codes=["404"],
            )
        ],
    )
    def delete(self, request: Request, entry_id: int) -> Response:
        scheduling.waitlist_leave(entry_id=entry_id, patient_id=self.patient_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistAcceptApi(PatientAPIView):
    OutputSerializer = AppointmentSerializer

    @extend_schema(
        operation_id="me_waitlist_accept",
        summary="Take the place a waitlist entry was offered",
        request=None,
        responses={
            201: AppointmentSerializer,
            **problems(
                400,
                401,
                403,
                404,
                409,
                codes={
                    404: "waitlist_entry_not_found",
                    409: "waitlist_offer_expired, patient_overlap, slot_unavailable",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Booked", value=APPOINTMENT_EXAMPLE, response_only=True, status_codes=["201"]
            )
        ],
    )
    def post(self, request: Request, entry_id: int) -> Response:
        appointment = scheduling.waitlist_accept(
            entry_id=entry_id, patient_id=self.patient_id, by_id=request.user.id
        )
        return Response(self.OutputSerializer(appointment).data, status=status.HTTP_201_CREATED)
