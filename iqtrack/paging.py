"""Pages of a long list for the HTML pages: `?page=N`, with links that keep the list's filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """What templates/includes/page_links.html shows; `num_pages` is None when not counted."""

    items: list[Any] = field(repr=False)
    number: int
    has_next: bool
    num_pages: int | None = None
    query_string: str = ""  # the request's other parameters, for the links

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _number(request: HttpRequest) -> int:
    """The page asked for; anything but a positive number is the first page."""
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() and 0 < int(value) < 10**6 else 1


def _others(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def counted_page(items: QuerySet, request: HttpRequest, per_page: int = PER_PAGE) -> Page:
    """A page of `items` with the number of pages (Django's Paginator: one COUNT), for lists
    whose count is cheap (a thousand actors). Past the last page: the last page."""
    page = Paginator(items, per_page).get_page(_number(request))
    return Page(
        list(page.object_list),
        page.number,
        page.has_next(),
        page.paginator.num_pages,
        _others(request),
    )


def uncounted_page(items: QuerySet, request: HttpRequest, per_page: int = PER_PAGE) -> Page:
    """A page of `items` read with one row more than shown to know whether another follows, and
    no COUNT: counting what a user may see of 200,000 evidence items checks every one of them."""
    number = _number(request)
    start = (number - 1) * per_page
    rows = list(items[start : start + per_page + 1])
    return Page(rows[:per_page], number, len(rows) > per_page, None, _others(request))
