"""AccessLogMiddleware writes a request's records once, after the view, whatever the view did:
answered, failed with a 500, or rolled its own transaction back."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from apps.audit import public as audit
from apps.audit.contracts import Action, Purpose
from apps.audit.models import AccessRecord

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _record(request: HttpRequest, patient_id: int) -> None:
    audit.record_access(
        request, patient_id=patient_id, resource="patient", action=Action.READ,
        purpose=Purpose.TREATMENT,
    )  # fmt: skip


def reads_two(request: HttpRequest) -> HttpResponse:
    _record(request, 1)
    _record(request, 2)
    # Nothing is written while the view runs.
    assert not AccessRecord.objects.exists()
    return HttpResponse("ok")


def fails(request: HttpRequest) -> HttpResponse:
    _record(request, 3)
    raise RuntimeError("the view broke after reading")


def rolls_back(request: HttpRequest) -> HttpResponse:
    try:
        with transaction.atomic():
            _record(request, 4)
            raise ValueError("refused half-way")
    except ValueError:
        return HttpResponse("refused", status=409)


urlpatterns = [
    path("reads-two/", reads_two),
    path("fails/", fails),
    path("rolls-back/", rolls_back),
]


def test_the_records_of_a_request_are_written_after_the_view_in_one_insert(
    django_assert_num_queries,
):
    with django_assert_num_queries(2):  # the view's own check, then the one INSERT
        assert Client().get("/reads-two/").status_code == 200

    assert sorted(AccessRecord.objects.values_list("patient_id", flat=True)) == [1, 2]


def test_a_view_that_fails_still_leaves_its_records():
    response = Client(raise_request_exception=False).get("/fails/")

    assert response.status_code == 500
    assert list(AccessRecord.objects.values_list("patient_id", flat=True)) == [3]


def test_a_rolled_back_change_still_leaves_the_record_of_the_attempt():
    assert Client().get("/rolls-back/").status_code == 409

    assert list(AccessRecord.objects.values_list("patient_id", flat=True)) == [4]
