"""The notifications inbox and each person's preferences. The rules are notifications.delivery's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from iqtrack.prepared import reuses_plans
from iqtrack.response_cache import cached_read
from notifications import delivery
from notifications.choices import Kind
from notifications.forms import PreferencesForm

PAGE_SIZE = 100


def _inbox_context(user) -> dict:
    return {
        "items": delivery.inbox(user)[:PAGE_SIZE],
        "unread": delivery.unread_count(user),
    }


@login_required
@cached_read
@reuses_plans
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/inbox.html", _inbox_context(request.user))


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    delivery.mark_read(request.user, pk)
    if request.htmx:
        # The list and the unread count in the header change together.
        return render(request, "notifications/_inbox.html", _inbox_context(request.user))
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = delivery.mark_all_read(request.user)
    if request.htmx:
        return render(request, "notifications/_inbox.html", _inbox_context(request.user))
    messages.success(request, f"Marked {count} as read.")
    return redirect("notifications:inbox")


@login_required
@cached_read
def preferences(request: HttpRequest) -> HttpResponse:
    chosen = delivery.deliveries_for((request.user.pk, kind) for kind in Kind.values)
    initial = {kind: chosen[(request.user.pk, kind)] for kind in Kind.values}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for kind, choice in form.cleaned_data.items():
            if choice != initial[kind]:
                delivery.set_preference(request.user, kind, choice)
        messages.success(request, "Preferences saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
