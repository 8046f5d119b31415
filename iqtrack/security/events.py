"""The security log: one logger, `iqtrack.security`, one record shape.

Each record's message reads `<event> outcome=<outcome> user=<user> ip=<ip> object=<object> …`
and carries the same values as attributes (`record.event`, `record.outcome`, `record.user`,
`record.ip`, `record.object`, `record.details`) for handlers that ship structured logs.
Values are repr()'d, so a hostile username cannot forge a second log line. Never pass a
password, a token or a session key here: callers log who and what, never secrets.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("iqtrack.security")

# The request being served on this thread, for code that has none (model signals).
current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    outermost of them saw (each appends to X-Forwarded-For, so that entry cannot be forged)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return remote


def describe(obj: Any) -> str:
    """`app.model:pk` for a model instance; other values as they are."""
    meta = getattr(obj, "_meta", None)
    if meta is not None:
        return f"{meta.label_lower}:{obj.pk}"
    return "" if obj is None else str(obj)


def _username(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return user.get_username()


def log_event(
    event: str,
    outcome: str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str | None = None,
    obj: Any = None,
    level: int = logging.INFO,
    **details: Any,
) -> None:
    """Write one security event. `request` defaults to the one being served, `user` to its user;
    `username` names an account that is not signed in (a failed sign-in)."""
    request = request if request is not None else current_request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    who = username if username is not None else _username(user)
    ip = client_ip(request) if request is not None else ""
    target = describe(obj)
    if request is not None and "path" not in details:
        details["path"] = request.path
    extras = "".join(f" {key}={value!r}" for key, value in sorted(details.items()))
    logger.log(
        level,
        "%s outcome=%s user=%r ip=%r object=%r%s",
        event,
        outcome,
        who,
        ip,
        target,
        extras,
        extra={
            "event": event,
            "outcome": outcome,
            "user": who,
            "ip": ip,
            "object": target,
            "details": details,
        },
    )


def log_marking_change(obj: Any, old: str | None, new: str, actor: Any = None) -> None:
    """A TLP marking changed on `obj` (question, evidence, assessment) from `old` to `new`.

    Called for every save that changes `tlp` (iqtrack.security.receivers); other code that changes
    a marking without saving the model through the ORM calls it itself."""
    log_event(
        "marking_changed",
        "changed",
        user=actor,
        obj=obj,
        level=logging.WARNING,
        old=old,
        new=new,
    )
