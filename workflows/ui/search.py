"""A filtered, paginated list page: the search's FilterSet over some rows, one page of them."""

from __future__ import annotations

from django.core.paginator import Paginator

PAGE_SIZE = 50


def search(request, filterset_class, rows):
    """``(filterset, page)``; page is None when a filter is invalid (the form says why)."""
    filterset = filterset_class(request.GET or None, rows, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, None
    return filterset, Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
