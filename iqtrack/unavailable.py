"""A lost database answers 503, not a 500 with a traceback (docs/operations.md).

While PostgreSQL restarts, every query raises OperationalError or InterfaceError. The API's
exception handler turns those raised in its views into its one error shape; this middleware does
the same for everything else a view raises — the API's JSON for paths under /api/, a plain page
otherwise — and `server_error` (Django's handler500) for what fails outside a view, such as a
session saved on the way out. Django closes the broken connection at the end of the request and
CONN_HEALTH_CHECKS tests a reused one before the next, so service resumes by itself once the
database is back.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from iqtrack.api.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, unavailable_body

logger = logging.getLogger(__name__)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(unavailable_body(), status=503)
    else:
        # Rendered without the request: the base template reads the signed-in user, which needs
        # the database that is missing.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning(
            "Database unavailable during %s %s: %s", request.method, request.path, exception
        )
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage outside any view is a 503 too (with DEBUG off)."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return unavailable_response(request)
    return defaults.server_error(request)
