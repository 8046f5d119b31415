from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, QuerySet, Window
from rest_framework import serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination


class _PageSize:
    """`page_size` 1–200 (default 50): outside that a 400 naming it, rather than being silently
    replaced."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return field.run_validation(raw)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({self.page_size_query_param: error.detail}) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["schema"].get("type") != "integer":
                continue  # the cursor
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class Pagination(_PageSize, PageNumberPagination):
    """`?page=2&page_size=100`, with the total (`count`). A page past the last one answers
    404."""


class CursorPages(_PageSize, CursorPagination):
    """`?cursor=…` from the `next` and `previous` links, newest first, without a total.

    For the lists of analytic records, which grow with the work: evidence, hypotheses, links,
    ratings, assessments, reviews, comments, transitions. A page is read off the primary key's
    index, checking each row's marking as it is read until the page is full (the lists' own
    querysets are the item-by-item forms, questions.visibility), so the first page of 200,000
    items costs about what a question's ten do. A total would check every row the caller may
    see (0.1–0.3 s per unfiltered request, in-process at the benchmark's scale), and an order
    by the question's priority sorted them all first. `page` is refused with a 400 rather
    than ignored: a client counting pages up would otherwise read the first page forever.
    """

    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        if "page" in request.query_params:
            raise serializers.ValidationError(
                {"page": ["This list pages by cursor: follow `next` (and `previous`)."]}
            )
        return super().paginate_queryset(queryset, request, view)


# The total, counted in the query that picks the page (a name no model field has).
_TOTAL = "pagination_total"


class IdsFirstPaginator(DjangoPaginator):
    """A page read in two steps: the page's ids with the total (a window count over the same
    rows), then those rows in full — their joins, annotations and prefetches — by id.

    Django's way, a count and then the page of full rows, joined every matching row before
    sorting to keep 50 of them (2,222 joined rows for the benchmark's question list) and ran the
    filters twice. Here the sort runs over ids, the total costs no query of its own, and only
    the page's rows are joined. The second step keeps the queryset's filters (it is the same
    queryset, narrowed to the ids), so a row that left the user's sight in between is not shown.

    Not for a DISTINCT queryset (the window would count the rows before DISTINCT) or a list;
    those, and orphans, take Django's way.
    """

    def page(self, number):
        rows = self.object_list
        if not isinstance(rows, QuerySet) or rows.query.distinct or self.orphans:
            return super().page(number)
        number = self._whole_number(number)
        offset = (number - 1) * self.per_page
        window = rows.annotate(**{_TOTAL: Window(Count("pk"))}).values_list("pk", _TOTAL)
        picked = list(window[offset : offset + self.per_page])
        if not picked:
            if number > 1 or not self.allow_empty_first_page:
                raise EmptyPage(self.error_messages["no_results"])
            self.count = 0
            return self._get_page([], number, self)
        self.count = picked[0][1]
        ids = [pk for pk, _total in picked]
        # Unordered: the ids are in the page's order already.
        found = {row.pk: row for row in rows.filter(pk__in=ids).order_by()}
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)

    def _whole_number(self, number) -> int:
        """Django's checks of a page number that need no count (Paginator.validate_number);
        a number past the last page is found when its page comes back empty."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class IdsFirstPagination(Pagination):
    """Pagination for a list whose page query cannot be read in order off an index, so that
    Django's way sorts every matching row in full (IdsFirstPaginator): the question list, by
    priority and due date."""

    django_paginator_class = IdsFirstPaginator
