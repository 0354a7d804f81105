"""Lists are paginated with a page size the client may choose, up to a cap."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.core.pagination import CappedPageNumberPagination


@pytest.mark.parametrize(("asked", "served"), [(None, 20), ("5", 5), ("100", 100), ("5000", 100)])
def test_page_size_is_capped(asked, served):
    query = {"page_size": asked} if asked else {}
    request = Request(APIRequestFactory().get("/", query))

    page = CappedPageNumberPagination().paginate_queryset(list(range(1000)), request)

    assert len(page) == served
