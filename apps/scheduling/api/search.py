"""Finding care: practitioners with their next online-bookable time, and bookable slots.

Served by scheduling (not providers) because availability is scheduling's: providers is the
lower layer and may not read slots.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.openapi import problems
from apps.core.pagination import CappedPageNumberPagination
from apps.scheduling import public as scheduling
from apps.scheduling.api.fields import ZonedDateTimeField
from apps.scheduling.api.paging import one_query_page, paginated_response
from apps.scheduling.api.serializers import (
    LocationRefSerializer,
    PractitionerRefSerializer,
    slot_representation,
)

DEFAULT_SLOT_RANGE = dt.timedelta(days=14)
MAX_SLOT_RANGE = dt.timedelta(days=31)
MAX_AVAILABLE_WITHIN_DAYS = 90


class SpecialtySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "ProviderSpecialty"


class ProviderLocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address_line = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    timezone = serializers.CharField()

    class Meta:
        ref_name = "ProviderLocation"


class ProviderSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="practitioner.id")
    display_name = serializers.CharField(source="practitioner.display_name")
    qualifications = serializers.CharField(source="practitioner.qualifications")
    specialties = SpecialtySerializer(source="practitioner.specialties", many=True)
    languages = serializers.ListField(
        child=serializers.CharField(), source="practitioner.languages"
    )
    bio = serializers.CharField(source="practitioner.bio")
    locations = ProviderLocationSerializer(many=True)
    next_available = ZonedDateTimeField(
        attribute="next_available", zone_attribute="next_available_timezone", allow_null=True
    )
    next_available_timezone = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "Provider"


PROVIDER_EXAMPLE = {
    "id": 7,
    "display_name": "Dr. Ada Okafor",
    "qualifications": "MD",
    "specialties": [{"code": "family-medicine", "name": "Family medicine"}],
    "languages": ["en", "es"],
    "bio": "Family doctor with a sports medicine background.",
    "locations": [
        {
            "id": 2,
            "name": "Riverside Clinic",
            "address_line": "12 River St",
            "city": "Springfield",
            "postal_code": "01101",
            "country": "US",
            "timezone": "America/New_York",
        }
    ],
    "next_available": "2030-03-11T14:00:00-04:00",
    "next_available_timezone": "America/New_York",
}


class ProviderSearchApi(APIView):
    pagination_class = CappedPageNumberPagination

    class FilterSerializer(serializers.Serializer):
        specialty = serializers.SlugField(max_length=50, required=False)
        location = serializers.IntegerField(min_value=1, required=False)
        language = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)
        name = serializers.CharField(max_length=100, required=False)
        available_within = serializers.IntegerField(
            min_value=1, max_value=MAX_AVAILABLE_WITHIN_DAYS, required=False
        )
        ordering = serializers.ChoiceField(choices=["name", "soonest"], required=False)

        class Meta:
            ref_name = "ProviderSearchFilter"

    OutputSerializer = ProviderSerializer

    @extend_schema(
        operation_id="providers_search",
        summary="Find a practitioner",
        parameters=[
            OpenApiParameter("specialty", str, description="Specialty code."),
            OpenApiParameter("location", int, description="Location id."),
            OpenApiParameter("language", str, description="ISO 639-1 code, e.g. es."),
            OpenApiParameter("name", str, description="Prefix of the given or family name."),
            OpenApiParameter(
                "available_within", int, description="Only those bookable online within 1-90 days."
            ),
            OpenApiParameter(
                "ordering",
                str,
                enum=["name", "soonest"],
                description="soonest: next online-bookable time first, those without one last.",
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: ProviderSerializer(many=True), **problems(400, 401)},
        examples=[
            OpenApiExample(
                "Spanish-speaking family doctors",
                value={"count": 1, "next": None, "previous": None, "results": [PROVIDER_EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        found = scheduling.provider_search(
            specialty_code=wanted.get("specialty"),
            location_id=wanted.get("location"),
            language=(wanted.get("language") or "").lower() or None,
            name=wanted.get("name"),
            available_within_days=wanted.get("available_within"),
            soonest_first=wanted.get("ordering") == "soonest",
        )
        return paginated_response(
            request=request, view=self, items=found, serializer=self.OutputSerializer
        )


class ProviderDetailApi(APIView):
    OutputSerializer = ProviderSerializer

    @extend_schema(
        operation_id="providers_retrieve",
        summary="A practitioner",
        responses={
            200: ProviderSerializer,
            **problems(401, 404, codes={404: "provider_not_found"}),
        },
        examples=[OpenApiExample("A practitioner", value=PROVIDER_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, practitioner_id: int) -> Response:
        provider = scheduling.provider_get(practitioner_id=practitioner_id)
        return Response(self.OutputSerializer(provider).data)


class SlotAppointmentTypeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    duration_minutes = serializers.IntegerField()

    class Meta:
        ref_name = "SlotAppointmentType"


class SlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = ZonedDateTimeField(attribute="start")
    end = ZonedDateTimeField(attribute="end")
    timezone = serializers.CharField()
    practitioner = PractitionerRefSerializer(source="*")
    location = LocationRefSerializer(source="*")
    appointment_types = SlotAppointmentTypeSerializer(many=True)
    remaining = serializers.IntegerField(help_text="Places left in the slot.")

    class Meta:
        ref_name = "BookableSlot"


class SlotSearchApi(APIView):
    pagination_class = CappedPageNumberPagination

    class FilterSerializer(serializers.Serializer):
        practitioner = serializers.IntegerField(min_value=1, required=False)
        specialty = serializers.SlugField(max_length=50, required=False)
        location = serializers.IntegerField(min_value=1, required=False)
        appointment_type = serializers.IntegerField(min_value=1, required=False)
        start = serializers.DateTimeField(required=False)
        end = serializers.DateTimeField(required=False)

        class Meta:
            ref_name = "SlotSearchFilter"

        def validate(self, attrs: dict) -> dict:
            start = attrs.get("start") or timezone.now()
            end = attrs.get("end") or start + DEFAULT_SLOT_RANGE
            if end <= start:
                raise serializers.ValidationError({"end": "Must be after start."})
            if end - start > MAX_SLOT_RANGE:
                raise serializers.ValidationError(
                    {"end": f"At most {MAX_SLOT_RANGE.days} days after start."}
                )
            return {**attrs, "start": start, "end": end}

    OutputSerializer = SlotSerializer

    @extend_schema(
        operation_id="slots_search",
        summary="Free slots bookable online",
        description=(
            "Free slots a patient can book online now. With appointment_type, only slots that "
            "type fits (offered there, minimum notice, booking horizon, length); without it, "
            "slots some online-bookable type fits. start/end default to now and 14 days later; "
            "the range is at most 31 days."
        ),
        parameters=[
            OpenApiParameter("practitioner", int),
            OpenApiParameter("specialty", str, description="Specialty code."),
            OpenApiParameter("location", int),
            OpenApiParameter("appointment_type", int),
            OpenApiParameter("start", dt.datetime, description="ISO 8601; default now."),
            OpenApiParameter("end", dt.datetime, description="ISO 8601; default start + 14 days."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: SlotSerializer(many=True), **problems(400, 401)},
        examples=[
            OpenApiExample(
                "Free slots",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 812,
                            "start": "2030-03-11T14:00:00-04:00",
                            "end": "2030-03-11T14:30:00-04:00",
                            "timezone": "America/New_York",
                            "practitioner": {"id": 7, "name": "Dr. Ada Okafor"},
                            "location": {"id": 2, "name": "Riverside Clinic"},
                            "appointment_types": [
                                {
                                    "id": 3,
                                    "code": "follow-up",
                                    "name": "Follow-up visit",
                                    "duration_minutes": 20,
                                }
                            ],
                            "remaining": 1,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        query = {
            "start": filters.validated_data["start"],
            "end": filters.validated_data["end"],
            "practitioner_id": filters.validated_data.get("practitioner"),
            "specialty_code": filters.validated_data.get("specialty"),
            "location_id": filters.validated_data.get("location"),
            "appointment_type_id": filters.validated_data.get("appointment_type"),
        }
        return one_query_page(
            request=request,
            view=self,
            fetch_with_count=lambda *, offset, limit: scheduling.bookable_slot_page(
                **query, offset=offset, limit=limit
            ),
            count=lambda: scheduling.bookable_slot_count(**query),
            represent=slot_representation,
        )
