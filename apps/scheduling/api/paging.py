"""Lists that the paginator slices in the database: a count and one page, whatever the size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView


class CountedPages(Sequence):
    """A sequence the paginator can count and slice, backed by two public read functions.

    `count()` and `fetch(offset=, limit=)` each run a constant number of queries, so a page of
    one row and a page of fifty cost the same.
    """

    def __init__(self, *, count: Callable[[], int], fetch: Callable[..., Sequence[Any]]) -> None:
        self._count = count
        self._fetch = fetch
        self._total: int | None = None

    def count(self) -> int:  # type: ignore[override]  # Paginator calls count() without args
        if self._total is None:
            self._total = self._count()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start = index.start or 0
            stop = index.stop if index.stop is not None else self.count()
            return list(self._fetch(offset=start, limit=max(stop - start, 0)))
        return next(iter(self._fetch(offset=index, limit=1)))


def paginated_response(
    *, request: Request, view: APIView, items: Sequence[Any], serializer: type[Serializer]
) -> Response:
    """One page of `items` (a list or CountedPages) under the view's pagination_class."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
