"""What every FilterSet shares: `<rel>_id` filters and the `q` text search."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import django_filters
from django import forms
from django.core.validators import EMPTY_VALUES
from django.db.models import Q
from django_filters.filters import QuerySetRequestMixin

from iqtrack.validation import MAX_QUERY_LENGTH


class IdFilter(django_filters.NumberFilter):
    """`<rel>_id=<id>`: objects related to that id. Any whole number is a valid id to ask for;
    one that does not exist, or that you cannot see, simply matches nothing — the same nothing,
    so the answer never tells a hidden id from a missing one (questions.scoping)."""

    field_class = forms.IntegerField

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        from questions.scoping import visible_for  # the project layer asks the domain, lazily

        related = _related_model(qs.model, self.field_name)
        user = getattr(getattr(self.parent, "request", None), "user", None)
        if not visible_for(related, user).filter(pk=value).exists():
            return qs.none()
        return super().filter(qs, value)


def _related_model(model, path: str):
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


class StrictBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`); anything else is an error, not "no filter"."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """ISO 8601 with any offset Python accepts, read as UTC (PostgreSQL refuses offsets past
    ±15:59, so they are not sent as given)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("This moment is out of range.", code="invalid") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class BaseFilterSet(django_filters.FilterSet):
    """Filters that say when a value is wrong instead of quietly not filtering: an empty or
    malformed value is a 400 naming the parameter (only the text search may be empty)."""

    q = django_filters.CharFilter(
        method="search", label="Text search (case-insensitive).", max_length=MAX_QUERY_LENGTH
    )
    # Fields `q` looks in; single-valued paths only, so a match never repeats a row.
    search_fields: tuple[str, ...] = ()
    # The form class of each FilterSet class (see get_form_class).
    _form_classes: ClassVar[dict[type, type]] = {}

    def get_form_class(self):
        """The form's fields follow from the class's filters alone, so its class is made once,
        not for every request (django-filter makes a class and a form field per filter each
        time) — unless a filter's field depends on the request (a queryset callable)."""
        form_class = self._form_classes.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            if not any(isinstance(f, QuerySetRequestMixin) for f in self.filters.values()):
                self._form_classes[type(self)] = form_class
        return form_class

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, given in self.data.lists():
            field = self.filters.get(name)
            if field is None or isinstance(field, django_filters.CharFilter):
                continue
            if any(value == "" for value in given):
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)
