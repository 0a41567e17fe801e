"""Pagination of the API's lists.

Page numbers (``?page=``, with ``count``) as the seed's clients expect; the alert list also offers a
cursor (``?cursor=``, no count) that stays fast however deep a client pages through 100k+ alerts.

The page's ``count`` is exact up to ``API_COUNT_LIMIT`` rows. Past it the list says
``"count_exact": false`` and ``count`` is a lower bound, and pages go on as long as there are rows: counting
every event a user in 20 teams may see (a million) took 110-740 ms p95 on PostgreSQL, where counting up
to the limit and reading one row past the page costs what the page costs (Elasticsearch's
``track_total_hits`` stops at 10,000 for the same reason).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

MAX_OFFSET = 2**62


def count_lower_bound(*, limit: int, rows_before: int, rows_on_page: int, more: bool) -> int:
    """What a capped count can promise: more than ``limit`` rows (the count stopped there), and at least
    the rows before this page, on it, and one more when a row was read past it."""
    return max(limit + 1, rows_before + rows_on_page + int(more))


class CappedCountPaginator(Paginator):
    """Django's paginator whose count stops at ``limit`` (one ``COUNT(*)`` over ``LIMIT limit + 1``,
    without the list's ordering: the planner stops at the first rows it finds). Past the limit, a page is
    read with one row more to know whether another follows; page numbers have no upper bound then."""

    def __init__(self, object_list: Any, per_page: int, *, limit: int | None) -> None:
        super().__init__(object_list, per_page)
        self.limit = limit
        self.lower_bound: int | None = None

    @cached_property
    def count(self) -> int:
        if self.limit is None:
            return super().count
        rows = cast(QuerySet[Any], self.object_list)  # the API pages querysets only
        counted: int = rows.order_by()[: self.limit + 1].count()
        return counted

    @property
    def exact(self) -> bool:
        return self.limit is None or self.count <= self.limit

    def count_everything(self) -> None:
        """Counts every row from now on (``?page=last`` needs the last page's number)."""
        self.limit = None
        self.__dict__.pop("count", None)
        self.__dict__.pop("num_pages", None)

    def validate_number(self, number: Any) -> int:
        if self.exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            return super().validate_number(number)  # Django's own "not an integer" message
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        if (number - 1) * self.per_page > MAX_OFFSET:  # the database's OFFSET is a 64-bit integer
            raise EmptyPage("That page contains no results")
        return number

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if self.exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        assert self.limit is not None  # not exact: a limit was hit
        self.lower_bound = count_lower_bound(
            limit=self.limit, rows_before=bottom, rows_on_page=len(rows), more=more
        )
        return OpenEndedPage(rows, number, self, more=more)


class OpenEndedPage(Page):
    """A page of a list whose end is not counted: whether another follows is what was read past it."""

    def __init__(self, object_list: Any, number: int, paginator: Paginator, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        return self.number + 1


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def django_paginator_class(self, queryset: Any, page_size: int) -> CappedCountPaginator:  # type: ignore[override]
        return CappedCountPaginator(queryset, page_size, limit=settings.API_COUNT_LIMIT)

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            paginator.count_everything()  # rare, and slow past the limit: the cursor is the fast way
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None  # paginate_queryset ran
        paginator = cast(CappedCountPaginator, self.page.paginator)
        exact = paginator.exact
        return Response(
            {
                "count": paginator.count if exact else paginator.lower_bound,
                "count_exact": exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false past API_COUNT_LIMIT rows: count is then a lower bound.",
        }
        return shape


def page_response(
    queryset: Any, request: Any, view: Any, serializer_class: Any, *, paginator: Any = None
) -> Response:
    """One page of ``queryset`` as every list answers: ``paginator`` (default the page numbers) picks the
    rows, ``serializer_class`` renders them with the request in its context (absolute URLs)."""
    paginator = paginator or PagePagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


class AlertCursorPagination(CursorPagination):
    ordering = ("-occurred_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500
