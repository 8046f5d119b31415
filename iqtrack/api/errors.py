"""One error shape for every 4xx (and the 503 of an outage): `{"code", "message", "fields"}`.

`code` is machine-readable and stable, `message` is one sentence for a person, `fields` maps a
field name (dotted for nested ones) to its messages and is empty when no field is at fault.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.contrib.auth import get_user
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from iqtrack.security.events import log_event
from questions.exceptions import WorkflowError

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    code = serializers.CharField(
        help_text="Machine-readable and stable, e.g. `wrong_state`, `not_team_lead`, `invalid`."
    )
    message = serializers.CharField(help_text="One sentence for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (dotted when nested); empty unless a field is at fault.",
    )


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The object changed since you read it: read it again, then retry."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is larger than the server accepts."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the object."


class Unavailable(exceptions.APIException):
    """The database cannot be reached (restarting, failing over): try again shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    default_detail = "iqtrack cannot reach its database just now; try again in a moment."


# Seconds a client is asked to wait before retrying after a 503 (a restart takes a few).
RETRY_AFTER_SECONDS = 5

# What a lost or refused database connection raises (psycopg's errors, wrapped by Django).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def unavailable_body() -> dict:
    """The 503 body, for the API's handler and for iqtrack.unavailable's middleware alike."""
    return {"code": Unavailable.default_code, "message": Unavailable.default_detail, "fields": {}}


def _flatten(detail, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list) and all(not isinstance(x, dict | list) for x in detail):
        if detail:
            yield prefix or NON_FIELD, [str(x) for x in detail]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            yield from _flatten(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or NON_FIELD, [str(detail)]


def field_errors(detail) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, messages in _flatten(detail):
        name = NON_FIELD if name == NON_FIELD_ERRORS else name  # Django's "__all__"
        fields.setdefault(name, []).extend(messages)
    return fields


def _validation_body(detail, code: str = "invalid") -> dict:
    fields = field_errors(detail)
    named = [name for name in fields if name != NON_FIELD]
    if named:
        message = f"Some fields are invalid: {', '.join(named)}."
    else:
        message = " ".join(fields.get(NON_FIELD, [])) or "The request is invalid."
    return {"code": code, "message": message, "fields": fields}


def _translate(exc: Exception) -> Exception:
    """Domain and Django exceptions as DRF ones, so DRF's handler does the HTTP details."""
    if isinstance(exc, WorkflowError):
        # The domain says which status its refusal is (403 for the user, 409 for the state).
        error = exceptions.APIException(detail=exc.message, code=exc.code)
        error.status_code = exc.http_status
        error.field_errors = getattr(exc, "errors", None)
        return error
    if isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE: in the one shape, not Django's HTML 400 page.
        return PayloadTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound("Nothing with this id among what you may see.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(serializers.as_serializer_error(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict("Other records still refer to this object.", code="protected")
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # Logged without a traceback page: the client learns only that it should retry.
        logger.warning("Database unavailable: %s", exc)
        return Unavailable()
    if isinstance(exc, IntegrityError):
        # The database's own guards (constraints, triggers) refused the write: a rule of the
        # domain, enforced one layer down. Logged, since an entry point should have asked first.
        logger.warning("Write refused by the database: %s", exc)
        return Conflict("The database refused this change: it breaks a rule of the record.")
    return exc


def exception_handler(exc: Exception, context: dict):
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a 5xx: let Django report it
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    elif getattr(exc, "field_errors", None):
        body = _validation_body(exc.field_errors, code=exc.detail.code)
        body["message"] = str(exc.detail)
        response.data = body
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else None
        code = getattr(detail, "code", None) or "error"
        response.data = {"code": code, "message": str(detail or ""), "fields": {}}
    if response.status_code in (401, 403):
        _log_refusal(context, response)
    return response


def _log_refusal(context: dict, response) -> None:
    """Every refused API request passes here: a bad token (401), a missing CSRF token or a
    permission the domain refused (403). Unsigned requests (no credentials at all) are routine
    and not logged."""
    code = response.data["code"]
    if code == "not_authenticated":
        return
    request = context.get("request")
    view = context.get("view")
    pk = (getattr(view, "kwargs", None) or {}).get("pk")
    target = f"{getattr(view, 'basename', '')}:{pk}" if pk else ""
    django_request = getattr(request, "_request", request)
    if response.data["message"].startswith("CSRF Failed"):
        # DRF has dropped the session's user by now; the session still names who it was.
        event, user = "csrf_failed", get_user(django_request)
    elif response.status_code == 401:
        event, user = "authentication_failed", None
    else:
        event, user = "permission_refused", getattr(request, "user", None)
    log_event(
        event,
        "refused",
        request=django_request,
        user=user,
        obj=target,
        level=logging.WARNING,
        code=code,
    )


@csrf_exempt  # nothing is written; a POST to a wrong path must get this 404, not a CSRF page
def not_found(request, *args, **kwargs) -> JsonResponse:
    """A path under /api/ that names no endpoint."""
    body = {"code": "not_found", "message": "There is no such endpoint.", "fields": {}}
    return JsonResponse(body, status=404)
