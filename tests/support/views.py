"""Views mounted only by tests: they exercise the kernel the way real endpoints will."""

import logging

from django.db import transaction
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import outbox
from apps.core.errors import Conflict
from tests.support.events import SomethingHappened


class EmitView(APIView):
    """POST commits an event through the outbox, as a service would, and answers 201."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        with transaction.atomic():
            envelope = outbox.emit(SomethingHappened(thing_id=int(request.data.get("thing", 1))))
        return Response({"event_id": envelope.event_id}, status=201)


class ProblemView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        slots = serializers.ListField(child=serializers.IntegerField(min_value=1))

    def post(self, request):
        if request.query_params.get("conflict"):
            raise Conflict(
                "The slot was taken meanwhile.",
                code="slot_unavailable",
                field_errors={"slot": ["No capacity left."]},
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class PrivateView(APIView):
    def get(self, request):
        return Response({"ok": True})


class LoggingView(APIView):
    """Logs one line while handling the request, as application code does."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        logging.getLogger("healthportal.test").info("handled a test request")
        return Response({"ok": True})
