"""Reference lists a booking app offers as choices: specialties, locations, appointment types."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.openapi import problems
from apps.core.pagination import CappedPageNumberPagination
from apps.providers import public as providers

PAGE_PARAMETERS = [OpenApiParameter("page", int), OpenApiParameter("page_size", int)]


def _page_example(name: str, row: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={"count": 1, "next": None, "previous": None, "results": [row]},
        response_only=True,
    )


def _page(request: Request, view: APIView, rows: list[Any]) -> Response:
    """A short list, read in one query, paginated like every list."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(view.OutputSerializer(page, many=True).data)


class SpecialtyListApi(APIView):
    pagination_class = CappedPageNumberPagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()

        class Meta:
            ref_name = "Specialty"

    @extend_schema(
        operation_id="specialties_list",
        summary="Specialties",
        parameters=PAGE_PARAMETERS,
        responses={200: OutputSerializer(many=True), **problems(401)},
        examples=[
            _page_example("Specialties", {"id": 1, "code": "dermatology", "name": "Dermatology"})
        ],
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, providers.specialties())


class LocationListApi(APIView):
    pagination_class = CappedPageNumberPagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        address_line = serializers.CharField()
        city = serializers.CharField()
        postal_code = serializers.CharField()
        country = serializers.CharField()
        timezone = serializers.CharField(help_text="IANA time zone of the location.")

        class Meta:
            ref_name = "Location"

    @extend_schema(
        operation_id="locations_list",
        summary="Active locations",
        parameters=PAGE_PARAMETERS,
        responses={200: OutputSerializer(many=True), **problems(401)},
        examples=[
            _page_example(
                "Locations",
                {
                    "id": 2,
                    "name": "Riverside Clinic",
                    "address_line": "12 River St",
                    "city": "Springfield",
                    "postal_code": "01101",
                    "country": "US",
                    "timezone": "America/New_York",
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, providers.locations())


class AppointmentTypeListApi(APIView):
    pagination_class = CappedPageNumberPagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        duration_minutes = serializers.IntegerField()
        online_bookable = serializers.BooleanField()

        class Meta:
            ref_name = "AppointmentType"

    @extend_schema(
        operation_id="appointment_types_list",
        summary="Active appointment types",
        parameters=PAGE_PARAMETERS,
        responses={200: OutputSerializer(many=True), **problems(401)},
        examples=[
            _page_example(
                "Appointment types",
                {
                    "id": 3,
                    "code": "follow-up",
                    "name": "Follow-up visit",
                    "duration_minutes": 20,
                    "online_bookable": True,
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, providers.appointment_types())
