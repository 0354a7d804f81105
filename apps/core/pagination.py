"""Pagination for every list endpoint: clients choose a page size, up to a cap; admin lists
that do not count past a point."""

import json
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination


class CappedPageNumberPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class EstimatedCountPaginator(Paginator):
    """A Django paginator (admin changelists) that stops counting at EXACT_UP_TO rows.

    Counting hundreds of thousands of rows on every changelist page costs more than showing
    them. Up to EXACT_UP_TO the count is exact (one COUNT over a LIMITed subquery); beyond
    that it is the planner's estimate of the filtered query (EXPLAIN), never less than what
    was counted. Pages past the estimate are simply empty.
    """

    EXACT_UP_TO = 10_000

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return len(rows)
        counted = rows.order_by()[: self.EXACT_UP_TO + 1].count()
        if counted <= self.EXACT_UP_TO:
            return counted
        return max(counted, _planner_estimate(rows))


def _planner_estimate(rows: QuerySet) -> int:
    sql, params = rows.order_by().query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
