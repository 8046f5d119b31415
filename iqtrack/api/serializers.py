"""The base serializer and relation field every app's API uses."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from functools import cache, cached_property

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import MANY_RELATION_KWARGS, PKOnlyObject
from rest_framework.settings import api_settings

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

    def __deepcopy__(self, memo):
        # Every serializer object copies its declared fields (DRF). The queryset given here only
        # names the model (for the schema; get_queryset asks `visible`) and is never run, so the
        # copies share it: copying it cloned a Query per field per serializer, per request.
        queryset = self._kwargs.get("queryset")
        if queryset is not None:
            memo[id(queryset)] = queryset
        return super().__deepcopy__(memo)

    def get_queryset(self):
        request = self.context.get("request")
        return self.visible(getattr(request, "user", None))

    def to_internal_value(self, data):
        if not _is_whole_number(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))


# ---------------------------------------------------------------------------------------------
# Reading: a representation planned once per serializer, not worked out again for every value
# ---------------------------------------------------------------------------------------------
# DRF's Serializer.to_representation asks each field, for each object, how to reach its value
# (Field.get_attribute: a general path walk, a callable check, exception handling). For a field
# that reads one of the model's own attributes the answer is always the same plain attribute
# read; a page of 50 questions asked it over a thousand times (most of the list's serialising
# time with the brief forms: bench/RESULTS.md). The plan keeps DRF's semantics: the same
# fields in the same order, None for None, the field's own to_representation for the value.

# How a planned field reaches its value.
_DRF = "drf"  # DRF's general way (Field.get_attribute)
_SELF = "self"  # the whole object (SerializerMethodField)
_ATTR = "attr"  # one of the model's own attributes
_MOMENT = "moment"  # a date-time attribute, written as DRF writes it
_MANY = "many"  # a many-to-many relation's rows


@cache
def _model_attributes(model) -> tuple[frozenset[str], frozenset[str]]:
    """(the attributes an instance of `model` holds for its own fields and forward relations —
    reading one calls nothing —, those of them that are many-to-many managers)."""
    plain, many = set(), set()
    for field in model._meta.get_fields():
        if field.concrete and not field.many_to_many:
            plain.update({field.name, field.attname})
        elif field.many_to_many and not field.auto_created:
            many.add(field.name)
    return frozenset(plain | many), frozenset(many)


def _writes_iso_in_current_zone(field) -> bool:
    """Whether DRF writes this field's aware values as ISO 8601 in the current time zone."""
    return (
        type(field) is serializers.DateTimeField
        and not hasattr(field, "timezone")
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and settings.USE_TZ
    )


def _read_plan(fields, model) -> list[tuple[str, str, str | None, object]]:
    """(name, how, attribute, field) per readable field, in order."""
    attributes, many = _model_attributes(model)
    plan = []
    for field in fields.values():
        if field.write_only:
            continue
        how, attr = _DRF, None
        # Only fields that reach their value DRF's plain way (RelatedField and ManyRelatedField
        # have their own get_attribute: a pk-only object, an empty list when unsaved).
        if type(field).get_attribute is serializers.Field.get_attribute:
            if field.source == "*":
                how = _SELF
            elif len(field.source_attrs) == 1 and field.source_attrs[0] in attributes:
                attr = field.source_attrs[0]
                how = _MANY if attr in many else _ATTR
                if how is _ATTR and _writes_iso_in_current_zone(field):
                    how = _MOMENT
        plan.append((field.field_name, how, attr, field))
    return plan


def listed(relation: str) -> str:
    """The attribute `prefetch_listed` leaves a relation's rows in."""
    return f"listed_{relation}"


def prefetch_listed(relation: str, queryset: QuerySet | None = None) -> Prefetch:
    """Prefetch a many-to-many `relation` as a plain list, which ModelSerializer reads in place of
    the relation. Django's own prefetch builds a related manager and two querysets per object
    only to hold the rows: for a page of 50 questions that was most of its prefetching time.

    For views whose serializers are this module's ModelSerializer (DRF's would not look for the
    list and would query each object's relation again); code that asks the relation itself
    (`question.recipients.all()`) queries it."""
    return Prefetch(relation, queryset=queryset, to_attr=listed(relation))


def prefetch_brief(
    relation: str, brief: type[BriefSerializer], rows: QuerySet | None = None
) -> Prefetch:
    """prefetch_listed of a relation that a list shows in its brief form: only the columns
    `brief` reads, of `rows` (default: every row of its model)."""
    rows = brief.Meta.model.objects.all() if rows is None else rows
    return prefetch_listed(relation, rows.only(*brief.columns()))


def _read(plan, instance) -> dict:
    data = {}
    zone = None
    for name, how, attr, field in plan:
        if how is _DRF:
            try:
                value = field.get_attribute(instance)
            except SkipField:
                continue
            if (value.pk if isinstance(value, PKOnlyObject) else value) is None:
                data[name] = None
                continue
        elif how is _SELF:
            value = instance
        elif how is _MANY:
            # The prefetched rows themselves (prefetch_listed's list, or Django's prefetch): a
            # related manager built per object only to hand them back cost more than reading them.
            value = instance.__dict__.get(listed(attr))
            if value is None:
                prefetched = getattr(instance, "_prefetched_objects_cache", {})
                value = prefetched[attr] if attr in prefetched else getattr(instance, attr)
        else:
            try:
                value = getattr(instance, attr)
            except ObjectDoesNotExist:  # as DRF: a related object that is not there reads None
                value = None
            if value is None:
                data[name] = None
                continue
            if how is _MOMENT and isinstance(value, datetime) and value.utcoffset() is not None:
                # DRF's DateTimeField.to_representation of an aware value, with the current zone
                # looked up once per object rather than once per value (a context-local read).
                if zone is None:
                    zone = timezone.get_current_timezone()
                try:
                    text = value.astimezone(zone).isoformat()
                except OverflowError:
                    pass  # DRF's own refusal, below
                else:
                    data[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
                    continue
        data[name] = field.to_representation(value)
    return data


class PlannedRead:
    """A model serializer's representation read by its plan (`_read_plan`, above): for a
    serializer of DRF's, e.g. a read-only one (assessments, reviews, transitions), as for this
    module's ModelSerializer. Put before the DRF class."""

    @cached_property
    def _plan(self) -> list:
        return _read_plan(self.fields, self.Meta.model)

    def to_representation(self, instance):
        if not isinstance(instance, self.Meta.model):  # e.g. validated data, a dict
            return super().to_representation(instance)
        return _read(self._plan, instance)


class ModelSerializer(PlannedRead, serializers.ModelSerializer):
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
    forms built on a brief one) takes DRF's path.

    Which fields, and how each is read, is worked out once per class: a form nested in another
    serializer is a new object for every request, and building its fields again (DRF's model
    introspection) cost more than reading a page of 50 through them."""

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The model fields the form reads — its model fields and, for its method fields,
        `Meta.method_reads` — so that a query can load only those."""
        by_name = {}
        for field in cls.Meta.model._meta.concrete_fields:
            by_name[field.name] = by_name[field.attname] = field.name
        named = [by_name[name] for name in cls.Meta.fields if name in by_name]
        return tuple(dict.fromkeys([*named, *getattr(cls.Meta, "method_reads", ())]))

    @classmethod
    def unread(cls, relation: str) -> list[str]:
        """`<relation>__<field>` for each column the form does not read: what to `defer()` of a
        row joined along `relation` (select_related) that is shown only in this form."""
        shown = set(cls.columns())
        return [
            f"{relation}__{field.name}"
            for field in cls.Meta.model._meta.concrete_fields
            if field.name not in shown
        ]

    def to_representation(self, instance) -> dict:
        plan = _brief_plan(self)
        if plan is None:
            return super().to_representation(instance)
        return {
            name: getattr(self, method)(instance) if method else getattr(instance, source)
            for name, method, source in plan
        }


_BRIEF_PLANS: dict[type, tuple | None] = {}


def _brief_plan(serializer: BriefSerializer) -> tuple[tuple[str, str | None, str], ...] | None:
    """(name, method name or None, attribute) per field of the serializer's class, or None when
    one of its fields converts its value. A form's fields are its class's: nothing given to an
    instance (`read_only`, `many`, `source`) changes them."""
    cls = type(serializer)
    if cls not in _BRIEF_PLANS:
        fields = [f for f in serializer.fields.values() if not f.write_only]
        plain = all(isinstance(f, _PLAIN_FIELDS) and len(f.source_attrs) <= 1 for f in fields)
        _BRIEF_PLANS[cls] = (
            tuple(
                (
                    f.field_name,
                    f.method_name if isinstance(f, serializers.SerializerMethodField) else None,
                    f.source,
                )
                for f in fields
            )
            if plain
            else None
        )
    return _BRIEF_PLANS[cls]
