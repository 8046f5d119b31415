"""What every FilterSet shares: `<rel>_id` filters and the `q` text search."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """`<rel>_id=<id>`: objects related to that id (an id you cannot see simply matches none)."""

    field_class = IdField


class BaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Text search (case-insensitive).")
    # Fields `q` looks in; single-valued paths only, so a match never repeats a row.
    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)
