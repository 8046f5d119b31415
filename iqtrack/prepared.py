"""Prepared statements for the reads whose planning costs more than running them.

The visibility conditions (questions/visibility.py) repeat the user's teams, sharing and TLP:RED
namings as subqueries, and a read that checks evidence nests the question conditions inside the
evidence ones. PostgreSQL plans each such subquery on every execution: at bench scale a
question's page spent 18 ms planning its queries against 4.5 ms running them, a case's timeline
27 against 5 (bench/README.md, "planning").

Bound on the server (`server_side_binding`, iqtrack/settings.py), a query's text is the same for
every user and question: `$1`, `$2` … stand for the values. Inside `reused_plans()` (or a view
decorated with `reuses_plans`), each query is sent as a named prepared statement, which psycopg
keeps per connection (its `prepared_max` most recent) and runs again by name when the same text
comes back. PostgreSQL then plans it for the values given for its first five runs, and after that
keeps one generic plan when that plan is estimated to cost no more than those did
(`plan_cache_mode` "auto"): no planning at all from then on.

Opt-in, view by view, not for every query: a generic plan cannot see the values, and where they
decide the plan it is worse. Prepared everywhere (psycopg's `prepare_threshold`), a search's
ranked query took ten times as long — its generic plan cannot know how common the searched word
is — and the question list and the board got slower too. Each view that opts in was measured
before and after (bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

import psycopg

_reusing: ContextVar[bool] = ContextVar("iqtrack_reused_plans", default=False)


@contextmanager
def reused_plans() -> Iterator[None]:
    """Send the queries made inside as prepared statements (this module's docstring says when)."""
    token = _reusing.set(True)
    try:
        yield
    finally:
        _reusing.reset(token)


def reuses_plans(view: Callable) -> Callable:
    """A view whose queries run inside `reused_plans()`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with reused_plans():
            return view(*args, **kwargs)

    return wrapper


class SignInWithReusedPlans:
    """Middleware, after Django's AuthenticationMiddleware: the request's session and user, read
    when something first asks for the user (as before), are read as prepared statements — each
    one row by its key, whose generic plan is the only plan. For every page; the API's token
    is read the same way (iqtrack.api.base.BaseViewSet)."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        # Imported here: the settings import this module for its cursor, before the apps load.
        from django.utils.functional import SimpleLazyObject

        request.user = SimpleLazyObject(lambda: _signed_in_user(request))
        return self.get_response(request)


def _signed_in_user(request):
    from django.contrib.auth.middleware import get_user

    with reused_plans():
        return get_user(request)


# psycopg prepares nothing on a connection without a threshold, not even on request; with one
# this high it prepares only what is asked for (Cursor below), never by count.
ONLY_ON_REQUEST = 2**31


class Cursor(psycopg.Cursor):
    """psycopg's server-side binding cursor that prepares a query while `reused_plans()` is on,
    and otherwise sends it unnamed, planned for its values as with client-side binding."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None:
            prepare = _reusing.get()
        return super().execute(query, params, prepare=prepare, binary=binary)
