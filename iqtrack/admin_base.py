"""The admin base for iqtrack's domain models: the database's rules surface as form errors, and
history is shown but never written back."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from iqtrack.validation import TextPolicyForm


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


class DomainAdmin(SimpleHistoryAdmin):
    form = ConstraintCheckedForm

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button: a POST here would still save the
        # old version, status and frozen content included, behind the workflow's back.
        if request.method != "GET":
            raise PermissionDenied("History is read-only: change the current version instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)
