"""Two small middlewares: the current request for signals, and the request-body limit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from iqtrack.security.events import current_request, log_event


class CurrentRequestMiddleware:
    """Makes the request being served visible to model signals (who changed a marking)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class RequestSizeLimitMiddleware:
    """Refuses, before anything reads it, a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE.

    Django applies that limit to forms only when request.POST or request.body is read; DRF's
    parsers read the stream directly and would take any size. Nothing in iqtrack takes a file,
    so one limit fits every request. A body sent without a Content-Length (chunked) is cut at
    the same size by Django's stream and then fails to parse.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return too_large(request, length, limit)
        return self.get_response(request)


def too_large(request: HttpRequest, length: int, limit: int) -> HttpResponse:
    log_event("request_too_large", "refused", request=request, size=length, limit=limit)
    message = f"The request is too large: {length} bytes; at most {limit} are accepted."
    if request.path.startswith("/api/"):
        body = {"code": "request_too_large", "message": message, "fields": {}}
        return JsonResponse(body, status=413)
    return render(request, "errors/413.html", {"message": message}, status=413)
