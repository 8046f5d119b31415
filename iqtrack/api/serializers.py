"""The base serializer and relation field every app's API uses."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from iqtrack.validation import MAX_TEXT_LENGTH, clean_text

# ---------------------------------------------------------------------------------------------
# Strict fields: a value of the wrong JSON type is refused, not coerced ("5" is not 5, 0 is
# not "0", {} is not a list), so the API accepts exactly what its schema says.
# ---------------------------------------------------------------------------------------------


class _StrictString:
    """Text only, and only text the policy accepts (iqtrack.validation, docs/hostile-input.md):
    a field without a length of its own is capped at MAX_TEXT_LENGTH; a field with one (a model
    CharField) is a single line."""

    def __init__(self, **kwargs):
        self.single_line = kwargs.get("max_length") is not None and not _is_textarea(kwargs)
        kwargs.setdefault("max_length", MAX_TEXT_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            return clean_text(
                value,
                field=self.field_name or "",
                single_line=self.single_line,
                required=self.required and not self.allow_blank,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code="invalid_text") from None


def _is_textarea(kwargs: dict) -> bool:
    return kwargs.get("style", {}).get("base_template") == "textarea.html"


class CharField(_StrictString, serializers.CharField):
    pass


class SlugField(_StrictString, serializers.SlugField):
    pass


class URLField(_StrictString, serializers.URLField):
    pass


class EmailField(_StrictString, serializers.EmailField):
    pass


def _is_whole_number(data) -> bool:
    if isinstance(data, bool):
        return False
    return isinstance(data, int) or (isinstance(data, float) and data.is_integer())


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if not _is_whole_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ChoiceField(serializers.ChoiceField):
    """A choice of the same JSON type as the choices (1, not "1", on an integer scale)."""

    def to_internal_value(self, data):
        kinds = {type(key) for key in self.choices if key != ""}
        if isinstance(data, bool) or (kinds and type(data) not in kinds and data != ""):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class ManyRelatedField(serializers.ManyRelatedField):
    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


STRICT = {
    serializers.CharField: CharField,
    serializers.SlugField: SlugField,
    serializers.URLField: URLField,
    serializers.EmailField: EmailField,
    serializers.IntegerField: IntegerField,
}


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A write-side `<rel>_id`: accepts only ids the requesting user may see.

    An id outside the user's visibility gets the same answer as one that does not exist.
    """

    default_error_messages = {
        "does_not_exist": "Nothing with id {pk_value} among what you may see.",
    }

    def __init__(self, *, visible: Callable, **kwargs) -> None:
        self.visible = visible
        super().__init__(**kwargs)

    @classmethod
    def many_init(cls, *args, **kwargs):
        kept = {k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS}
        return ManyRelatedField(child_relation=cls(*args, **kwargs), **kept)

    def get_queryset(self):
        request = self.context.get("request")
        return self.visible(getattr(request, "user", None))

    def to_internal_value(self, data):
        if not _is_whole_number(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))


class ModelSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (fields, `clean()`, constraints) before saving, so a
    write the database would refuse is a 400 with field messages instead of a 500.

    `Meta.create_only` names model fields set when the object is made and fixed after (e.g. a
    hypothesis's question): on updates they are optional and may only repeat the current value.

    `Meta.marking_rules` (optional) checks a TLP marking with the many-to-many relations it
    depends on (questions.markings): `(candidate, actor=..., **relations) -> {field: [msg]}`;
    `Meta.marking_relations` names those relations. A change of marking that does not restate
    them keeps only what the new marking has a use for (questions.markings).
    """

    serializer_field_mapping = {
        model_field: STRICT.get(field, field)
        for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
    }
    serializer_choice_field = ChoiceField

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
        if getattr(self.Meta, "marking_rules", None) is not None:
            attrs = self._check_marking(candidate, attrs)
        return attrs

    def _check_marking(self, candidate, attrs: dict) -> dict:
        from questions.markings import kept_when_marking_changes

        names = self.Meta.marking_relations
        relations = {
            name: list(attrs[name])
            if name in attrs
            else (list(getattr(self.instance, name).all()) if self.instance is not None else [])
            for name in names
        }
        if self.instance is not None and candidate.tlp != self.instance.tlp:
            kept = dict(
                zip(
                    ("recipients", "shared_with"),
                    kept_when_marking_changes(
                        candidate.tlp,
                        recipients=relations.get("recipients", []),
                        shared_with=relations.get("shared_with", []),
                    ),
                    strict=True,
                )
            )
            for name in names:
                if name not in attrs:
                    relations[name] = attrs[name] = kept[name]
        request = self.context.get("request")
        errors = self.Meta.marking_rules(
            candidate, actor=getattr(request, "user", None), **relations
        )
        if errors:
            raise serializers.ValidationError(self._rename(DjangoValidationError(errors)))
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


# ---------------------------------------------------------------------------------------------
# Brief forms of objects shown inside others
# ---------------------------------------------------------------------------------------------
_PLAIN_FIELDS = (
    serializers.IntegerField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.SlugField,
    serializers.BooleanField,
    serializers.ReadOnlyField,  # DRF passes its value through unchanged, as this does
    serializers.SerializerMethodField,
)


class BriefSerializer(serializers.ModelSerializer):
    """A read-only brief form (a person, a team, a key question inside a question): when all its
    fields are plain values, its representation is read straight off the object. DRF's general
    path (a field object consulted per value) made these small dicts most of a list's
    serialising time — a page of 50 questions holds 300 of them. The fields still describe the
    schema; a form with a field that converts its value (a date, a nested object: the fuller
    forms built on a brief one) takes DRF's path."""

    def to_representation(self, instance) -> dict:
        fields = [f for f in self.fields.values() if not f.write_only]
        if not all(isinstance(f, _PLAIN_FIELDS) for f in fields):
            return super().to_representation(instance)
        data = {}
        for field in fields:
            if isinstance(field, serializers.SerializerMethodField):
                data[field.field_name] = getattr(self, field.method_name)(instance)
            else:
                data[field.field_name] = getattr(instance, field.source)
        return data
