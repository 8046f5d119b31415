"""Pages for refusals, each logged to the security log: CSRF, permission, lockout."""

from __future__ import annotations

import logging

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

from iqtrack.security.events import log_event


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form posted without a valid token (or from another origin)."""
    log_event("csrf_failed", "refused", request=request, level=logging.WARNING, reason=reason)
    if _wants_json(request):
        body = {
            "code": "csrf_failed",
            "message": "The request has no valid CSRF token: reload the page and try again.",
            "fields": {},
        }
        return JsonResponse(body, status=403)
    return django_csrf_failure(request, reason=reason)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: every page that refuses with PermissionDenied (pages, admin) ends here."""
    log_event(
        "permission_refused",
        "refused",
        request=request,
        level=logging.WARNING,
        reason=str(exception or ""),
    )
    return defaults.permission_denied(request, exception)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a sign-in while its username and address are locked."""
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else None
    wait = f"Try again in {minutes} minutes." if minutes else "Ask an administrator to unlock it."
    message = f"Too many failed sign-ins for this account from your address. {wait}"
    if _wants_json(request):
        body = {"code": "locked_out", "message": message, "fields": {}}
        return JsonResponse(body, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
