"""The admin base for iqtrack's domain models: the database's rules surface as form errors, and
history is shown but never written back."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


class ConstraintCheckedForm(forms.ModelForm):
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


class DomainAdmin(SimpleHistoryAdmin):
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

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button: a POST here would still save the
        # old version, status and frozen content included, behind the workflow's back.
        if request.method != "GET":
            raise PermissionDenied("History is read-only: change the current version instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)
