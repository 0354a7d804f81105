"""The bench settings' wiring: reference endpoints exist only there; the query counter counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from healthportal.bench.middleware import HEADER, QueryCountMiddleware

pytestmark = pytest.mark.django_db


def test_reference_endpoints_are_not_mounted_outside_the_bench_settings():
    with pytest.raises(Resolver404):
        resolve("/bench/bare/")
    with pytest.raises(Resolver404):
        resolve("/bench/raw-appointments/")


def test_the_bench_urls_add_the_references_to_the_projects():
    from healthportal.bench import urls as bench_urls
    from healthportal.urls import urlpatterns

    names = {getattr(pattern, "name", None) for pattern in bench_urls.urlpatterns}
    assert {"bench-bare", "bench-raw-appointments", "bench-drf-appointments"} <= names
    assert all(pattern in bench_urls.urlpatterns for pattern in urlpatterns)


@pytest.mark.parametrize("queries", [0, 3])
def test_the_query_counter_answers_the_requests_number_of_queries(queries):
    def view(request):
        with connection.cursor() as cursor:
            for _ in range(queries):
                cursor.execute("SELECT 1")
        return HttpResponse("ok")

    response = QueryCountMiddleware(view)(RequestFactory().get("/"))

    assert response[HEADER] == str(queries)
