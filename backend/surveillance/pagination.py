"""Pagination of the API's lists.

Page numbers (``?page=``, with ``count``) as the seed's clients expect; the alert list also offers a
cursor (``?cursor=``, no count) that stays fast however deep a client pages through 100k+ alerts.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class AlertCursorPagination(CursorPagination):
    ordering = ("-occurred_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500
