"""The base serializer and relation field every app's API uses."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A write-side `<rel>_id`: accepts only ids the requesting user may see.

    An id outside the user's visibility gets the same answer as one that does not exist.
    """

    def __init__(self, *, visible: Callable, **kwargs) -> None:
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.visible(getattr(request, "user", None))


class ModelSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (fields, `clean()`, constraints) before saving, so a
    write the database would refuse is a 400 with field messages instead of a 500.

    `Meta.create_only` names model fields set when the object is made and fixed after (e.g. a
    hypothesis's question): on updates they are optional and may only repeat the current value.
    """

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            for field in fields.values():
                if field.source in self._create_only():
                    field.required = False
        return fields

    def _create_only(self) -> tuple[str, ...]:
        return getattr(self.Meta, "create_only", ())

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None:
            attrs = self._keep_create_only(attrs)
        model = self.Meta.model
        many_to_many = {f.name for f in model._meta.many_to_many}
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name not in many_to_many:
                setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=self.not_validated())
        except DjangoValidationError as error:
            raise serializers.ValidationError(self._rename(error)) from None
        return attrs

    def _keep_create_only(self, attrs: dict) -> dict:
        names = {field.source: name for name, field in self.fields.items()}
        errors = {}
        for source in self._create_only():
            if source in attrs and attrs[source] != getattr(self.instance, source):
                errors[names.get(source, source)] = ["Set when created; it cannot be changed."]
        if errors:
            raise serializers.ValidationError(errors)
        return {k: v for k, v in attrs.items() if k not in self._create_only()}

    def not_validated(self) -> list[str]:
        """Model fields the serializer leaves to the server (set in save()), not the client."""
        return []

    def _rename(self, error: DjangoValidationError) -> dict:
        """Key the model's messages by this serializer's field names (`team` → `team_id`)."""
        names = {field.source: name for name, field in self.fields.items() if not field.read_only}
        detail = serializers.as_serializer_error(error)
        return {names.get(key, key): messages for key, messages in detail.items()}
