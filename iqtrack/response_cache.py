"""Repeat reads answered from the cache, never staler than the database (docs/operations.md).

A lead opens the board dozens of times a day and mostly nothing has changed in between. A page
or API answer is kept in the cache under a key made of:

- **the database's state**: PostgreSQL's current snapshot (`pg_current_snapshot()`), which
  lists the transactions that have finished. Two equal snapshots see exactly the same committed
  data, and any transaction that commits a write anywhere changes it (on the whole server: writes
  to its other databases count too). So an answer is reused only
  while nothing at all has been written since it was made — whoever wrote it, however (the API,
  a page, the admin, a Celery task, a bulk insert, `psql`). There is nothing to invalidate and no
  write path that can forget to: the first write makes every key new. `SnapshotMiddleware`
  reads the snapshot first thing, before the session, the user or the token, so everything an
  answer is made from is at least as recent as its key.
- **who asks and how**: the user, and the credential — the API token, or the session and its
  CSRF cookie, because a page carries a CSRF token minted from that cookie's secret;
- **what is asked**: the full path with its query string, and the headers that change the
  answer (Accept, the HTMX headers, the language);
- **the time**, in periods of RESPONSE_CACHE_SECONDS (default 60): pages say "overdue" and
  "3 minutes ago", so no answer outlives its period.

Only reads in autocommit mode take part: inside a transaction that has written, the snapshot
does not describe what the transaction sees. SQLite has no snapshot, so the embedded default
(`make run`) never caches; nor does a read while the database is unreachable. Only 200 answers
without cookies or `no-store` are kept, and never a page that shows a one-time message. Redis
being down makes every read a miss (iqtrack/cache.py).

The cost when nothing is reused is one query (the snapshot) and one Redis read and write.
The views that use it: `cached_read` on every page a GET reads (a form's GET included: its
POST is never kept), `BaseViewSet.cache_reads` on every API viewset.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation

from iqtrack.api.errors import DATABASE_UNAVAILABLE

PREFIX = "iqtrack:read:"
# Request headers that select a different answer for the same path.
VARYING_HEADERS = ("Accept", "HX-Request", "HX-Target", "HX-Trigger")
# Response headers a kept answer does not repeat (cookies live in response.cookies).
_NOT_KEPT = {"set-cookie", "date"}


def database_state() -> str | None:
    """The database's current snapshot, or None when a cached answer cannot be trusted: not on
    PostgreSQL, or inside a transaction (its own writes are not in the snapshot)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_snapshot()::text")
            return cursor.fetchone()[0]
    except DATABASE_UNAVAILABLE:
        # No reuse; the view's own first query fails the same way and answers 503 in the
        # page's or the API's shape (iqtrack/unavailable.py).
        return None


def _reuses_reads(path: str) -> bool:
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    # A page marked by cached_read (login_required's wraps copies the mark), or an API viewset
    # with cache_reads.
    return getattr(view, "reuses_reads", False) or getattr(
        getattr(view, "cls", None), "cache_reads", False
    )


class SnapshotMiddleware:
    """Reads the database's snapshot before anything else is read, for a GET that a kept answer
    may serve (settings.MIDDLEWARE puts it before the session and authentication)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.database_state = None
        if (
            request.method == "GET"
            and settings.RESPONSE_CACHE_SECONDS
            and connection.vendor == "postgresql"  # no snapshot elsewhere: no URL to resolve
            and _reuses_reads(request.path_info)
        ):
            request.database_state = database_state()
        return self.get_response(request)


def session_credential(request: HttpRequest) -> str | None:
    """The session and its CSRF cookie; None without either (the answer would have to set
    them, and a kept one cannot)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not session_key or not csrf_cookie:
        return None
    return f"session:{session_key}:{csrf_cookie}"


def key_for(request: HttpRequest, user, credential: str | None) -> str | None:
    """The key of this read, or None when it may not be cached."""
    seconds = settings.RESPONSE_CACHE_SECONDS
    if not seconds or credential is None or request.method != "GET":
        return None
    state = getattr(request, "database_state", None)
    if state is None or not getattr(user, "is_authenticated", False):
        return None
    parts = [
        connection.settings_dict["NAME"],
        state,
        int(time.time() // seconds),
        credential,
        user.pk,
        request.get_full_path(),
        translation.get_language(),
        *(request.headers.get(name, "") for name in VARYING_HEADERS),
    ]
    return PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def kept(key: str | None) -> HttpResponse | None:
    """The answer kept under `key`, as a new response."""
    if key is None:
        return None
    found = cache.get(key)
    if found is None:
        return None
    headers, content = found
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    return response


def keep(key: str | None, response: HttpResponse) -> None:
    """Keep a rendered answer under `key` if it is one that may be reused."""
    if key is None or response.status_code != 200 or response.streaming or response.cookies:
        return
    if "no-store" in response.get("Cache-Control", ""):
        return
    headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_KEPT]
    cache.set(key, (headers, response.content), timeout=settings.RESPONSE_CACHE_SECONDS)


def keep_when_rendered(key: str | None, response) -> None:
    """`keep`, once a lazily rendered response (DRF's Response, a TemplateResponse) has its
    content; at once for one that already has."""
    if key is None:
        return
    if hasattr(response, "add_post_render_callback"):
        response.add_post_render_callback(lambda rendered: keep(key, rendered))
    else:
        keep(key, response)


def cached_read(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page whose GET answer may be reused while the database and the time period are the
    same (see the module). Put it under `login_required`: only signed-in reads are kept."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if len(get_messages(request)):  # shown once: this answer is not for reuse
            return view(request, *args, **kwargs)
        key = key_for(request, request.user, session_credential(request))
        hit = kept(key)
        if hit is not None:
            return hit
        response = view(request, *args, **kwargs)
        keep_when_rendered(key, response)
        return response

    wrapper.reuses_reads = True  # type: ignore[attr-defined]  # read by SnapshotMiddleware
    return wrapper
