"""The admin base for models with history: the history is shown, never written back."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin without "revert".

    SIMPLE_HISTORY_REVERT_DISABLED only hides the button: a POST to a historical version's page
    would still save that old version, status and frozen content included, bypassing the workflow.
    """

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied("History is read-only: change the current version instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)
