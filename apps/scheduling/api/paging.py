"""Lists that the paginator slices in the database: a count and one page, whatever the size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

# fetch_with_count(offset=, limit=) -> (count of all rows or None when unknown, rows of the page)
FetchWithCount = Callable[..., tuple[int | None, Sequence[Any]]]


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


class KnownPage(Sequence):
    """A page already fetched together with the count of all rows, for the paginator to check.

    Slicing at the page's own offset answers the fetched rows; any other slice (the paginator
    clamps nothing else) fetches again.
    """

    def __init__(
        self, *, total: int, offset: int, rows: Sequence[Any], fetch: Callable[..., Sequence[Any]]
    ) -> None:
        self._total = total
        self._offset = offset
        self._rows = list(rows)
        self._fetch = fetch

    def count(self) -> int:  # type: ignore[override]  # Paginator calls count() without args
        return self._total

    def __len__(self) -> int:
        return self._total

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start = index.start or 0
            stop = index.stop if index.stop is not None else self._total
            if start == self._offset and stop - start <= len(self._rows):
                return self._rows[: stop - start]
            return list(self._fetch(offset=start, limit=max(stop - start, 0)))
        return next(iter(self._fetch(offset=index, limit=1)))


MAX_PAGE_NUMBER = 1_000_000


def one_query_page(
    *,
    request: Request,
    view: APIView,
    fetch_with_count: FetchWithCount,
    count: Callable[[], int],
    represent: Callable[[Any], dict[str, Any]],
) -> Response:
    """A page and its count from one query, paginated (links, checks) by the view's paginator.

    The page number is read as the paginator reads it; a page past the end, or a page number
    that is not one, falls back to a count query so the paginator answers as it always does.
    `represent` turns one item into its JSON shape (a plain function: no serializer per row).
    """
    paginator = view.pagination_class()
    size = paginator.get_page_size(request)

    def fetch(*, offset: int, limit: int) -> Sequence[Any]:
        return fetch_with_count(offset=offset, limit=limit)[1]

    try:
        number = int(request.query_params.get(paginator.page_query_param, 1))
    except (TypeError, ValueError):
        number = 0
    total, offset, rows = None, 0, []
    # A page number far past any list (its offset would not even fit the database's integers)
    # takes the count path too, where the paginator answers "invalid page".
    if 1 <= number <= MAX_PAGE_NUMBER and size:
        offset = (number - 1) * size
        total, rows = fetch_with_count(offset=offset, limit=size)
    if total is None:
        items = CountedPages(count=count, fetch=fetch)
    else:
        items = KnownPage(total=total, offset=offset, rows=rows, fetch=fetch)
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response([represent(item) for item in page])
