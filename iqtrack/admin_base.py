"""The admin base for iqtrack's domain models: the database's rules surface as form errors,
history is shown but never written back, and a staff user who is not a superuser sees in the
admin exactly what questions.visibility lets them see anywhere else.

Scoping (`VisibleAdminMixin`, `VisibleInlineMixin`; every registered admin and inline uses them,
tests/test_tlp_leaks.py checks): the changelist, its search and counts, the change, delete and
history views (an object out of sight answers as one that does not exist), the choices of every
relation field and the autocomplete answers all come from questions.scoping.visible_for. A
delete that would touch anything out of the user's sight is refused without naming it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from django import forms
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from iqtrack.validation import TextPolicyForm
from questions.scoping import is_scoped, visible_for


def _scoped(request: HttpRequest, queryset):
    """`queryset` narrowed to what the user may see; superusers see everything; a model no rule
    scopes shows a non-superuser nothing."""
    if request.user.is_superuser:
        return queryset
    model = queryset.model
    if not is_scoped(model):
        return queryset.none()
    return queryset.filter(pk__in=visible_for(model, request.user).values("pk"))


class _ScopedChoices:
    """Relation fields offer only what the user may see (a foreign key's select, a many-to-many's
    list, an autocomplete's initial value)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scoped(request, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = _scoped(request, field.queryset)
        return field


class VisibleAdminMixin(_ScopedChoices):
    def get_queryset(self, request: HttpRequest):
        return _scoped(request, super().get_queryset(request))

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted = super().get_deleted_objects(objs, request)
        if request.user.is_superuser:
            return deleted
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        touched = [*collector.data.items(), *_by_model(collector.protected)]
        for model, items in touched:
            pks = {obj.pk for obj in items}
            shown = _scoped(request, model._default_manager.filter(pk__in=pks))
            if not is_scoped(model) or shown.count() < len(pks):
                return [], {}, set(), ["It has dependants you may not see: ask an administrator."]
        return deleted


class VisibleInlineMixin(_ScopedChoices):
    def get_queryset(self, request: HttpRequest):
        return _scoped(request, super().get_queryset(request))


def _by_model(objects) -> list:
    grouped: dict = {}
    for obj in objects:
        grouped.setdefault(type(obj), set()).add(obj)
    return list(grouped.items())


class ConstraintCheckedForm(TextPolicyForm, forms.ModelForm):
    """Checks every model constraint, not only those whose fields are all on the form.

    Django skips a constraint that mentions a field missing from the form — a read-only `state`,
    the primary key — so "one draft per question" or "not its own parent" would otherwise reach
    the database and fail as a server error instead of a message.
    """

    def validate_unique(self) -> None:
        super().validate_unique()
        if self.errors:
            return  # one message per problem: Django's own checks already spoke
        try:
            self.instance.validate_constraints()
        except ValidationError as error:
            self.add_error(None, ValidationError(error.messages))


class DomainAdmin(VisibleAdminMixin, SimpleHistoryAdmin):
    form = ConstraintCheckedForm
    # The TLP rules of a marked model (questions.markings), as the API and the pages apply them:
    # `(candidate, actor=..., **relations) -> {field: [messages]}` over `marking_relations`.
    marking_rules: Callable | None = None
    marking_relations: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.marking_rules is None:
            return form
        rules, relations, actor = type(self).marking_rules, self.marking_relations, request.user

        class MarkingCheckedForm(form):
            def clean(self):
                from questions.markings import add_marking_errors

                data = super().clean()
                if "tlp" not in data:
                    return data
                candidate = copy.copy(self.instance)
                for name, value in data.items():
                    if name not in relations and hasattr(candidate, name):
                        setattr(candidate, name, value)
                given = {
                    name: list(data[name])
                    if name in data
                    else (list(getattr(self.instance, name).all()) if self.instance.pk else [])
                    for name in relations
                }
                add_marking_errors(self, rules(candidate, actor=actor, **given))
                return data

        return MarkingCheckedForm

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        # django-simple-history falls back to the history rows when the object is not in
        # get_queryset: for a non-superuser an object out of sight has no history to read.
        if request.user.is_superuser:
            return
        try:
            visible = self.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button: a POST here would still save the
        # old version, status and frozen content included, behind the workflow's back.
        self._require_visible(request, object_id)
        if request.method != "GET":
            raise PermissionDenied("History is read-only: change the current version instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)
