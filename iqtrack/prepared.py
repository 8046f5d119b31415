"""Prepared statements for the reads whose planning costs more than running them.

The visibility conditions (questions/visibility.py) repeat the user's teams, sharing and TLP:RED
namings as subqueries, and a read that checks evidence nests the question conditions inside the
evidence ones. PostgreSQL plans each such subquery on every execution: at bench scale a
question's page spent 18 ms planning its queries against 4.5 ms running them, a case's timeline
27 against 5 (bench/README.md, "planning").

Inside `reused_plans()` (or a view decorated with `reuses_plans`), a query is bound on the
server, so that its text is the same for every user and question (`$1`, `$2` … stand for the
values), and sent as a named prepared statement, which psycopg keeps per connection (its
`prepared_max` most recent) and runs again by name when the same text comes back. PostgreSQL
plans it for the values given for its first five runs, and after that keeps one generic plan
when that plan is estimated to cost no more than those did (`plan_cache_mode` "auto"): no
planning at all from then on. Where its estimate keeps it planning although the generic plan
runs as fast, a block asks for the generic plan from the first run (`generic`, below).

Opt-in, view by view, not for every query: a generic plan cannot see the values, and where they
decide the plan it is worse. Prepared everywhere, the search API took nearly twice as long and
the search page seven times — a generic plan cannot know how common the searched word is. Each
view that opts in was measured both ways (bench/README.md). Lists opt in only while unfiltered
(`reuses_plans_unfiltered`, and the API's lists in iqtrack.api.base): the first page of the
board, a timeline or an API list differs from user to user only by ids, but a list filtered by a
status or a word is planned for its values. Every other query goes as Django sends it: values
merged into the text on the client, planned for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

import psycopg

_reusing: ContextVar[bool] = ContextVar("iqtrack_reused_plans", default=False)
_generic: ContextVar[bool] = ContextVar("iqtrack_generic_plans", default=False)


@contextmanager
def reused_plans(when: bool = True, *, generic: bool | None = None) -> Iterator[None]:
    """Send the queries made inside as prepared statements (this module's docstring says when).
    `when` False changes nothing: the queries go as they would have outside.

    `generic`: run them on their generic plan from the first run on (`plan_cache_mode`
    force_generic_plan), for a read whose custom plans PostgreSQL keeps choosing although the
    generic one runs faster: it then plans on every run. Measured view by view, as a generic
    plan can also be far worse (the API's reviews took five times as long on theirs). None:
    as the enclosing block says (a view's reads of the token or session inside it)."""
    if not when:
        yield
        return
    token = _reusing.set(True)
    generic_token = _generic.set(generic) if generic is not None else None
    try:
        yield
    finally:
        if generic_token is not None:
            _generic.reset(generic_token)
        _reusing.reset(token)


def reuses_plans(view: Callable) -> Callable:
    """A view whose queries run inside `reused_plans()`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with reused_plans():
            return view(*args, **kwargs)

    return wrapper


# Query-string parameters that page through or order a list without choosing its rows by a value
# (a place in a timeline, a cursor, a page number).
PAGING_PARAMETERS = frozenset({"page", "page_size", "cursor", "ordering", "after", "before"})


def unfiltered_read(request) -> bool:
    """A GET (or HEAD) whose query string only pages or orders: its SQL differs from user to
    user and page to page only by ids and places, which a generic plan serves as well."""
    return request.method in ("GET", "HEAD") and PAGING_PARAMETERS.issuperset(request.GET)


def reuses_plans_unfiltered(view: Callable) -> Callable:
    """A list page whose queries run inside `reused_plans()` while it is not filtered
    (`unfiltered_read`); filtered, they are planned for their values."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with reused_plans(when=unfiltered_read(request)):
            return view(request, *args, **kwargs)

    return wrapper


class SignInWithReusedPlans:
    """Middleware, after Django's AuthenticationMiddleware: the request's session and user, read
    when something first asks for the user (as before), are read as prepared statements — each
    one row by its key, whose generic plan is the only plan. For every page; the API's token
    is read the same way (iqtrack.api.base.BaseViewSet)."""

    def __init__(self, get_response: Callable) -> None:
        # Imported here, once: the settings import this module for its cursor, before the apps
        # load.
        from django.contrib.auth.middleware import get_user
        from django.utils.functional import SimpleLazyObject

        self.get_response = get_response
        self.get_user, self.lazy = get_user, SimpleLazyObject

    def __call__(self, request):
        request.user = self.lazy(lambda: self._signed_in_user(request))
        return self.get_response(request)

    def _signed_in_user(self, request):
        with reused_plans():
            return self.get_user(request)


# psycopg prepares nothing on a connection without a threshold, not even on request; with one
# this high it prepares only what is asked for, never by count.
ONLY_ON_REQUEST = 2**31


class _Prepared(psycopg.Cursor):
    """Bound on the server and sent as a named prepared statement.

    The connection has a threshold only while such a query runs: with one, psycopg also counts
    every other query by its whole text, which for a bulk insert with its values written in is
    megabytes hashed and kept."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        connection = self.connection
        _plan_mode(connection, GENERIC if _generic.get() else AUTO)
        connection.prepare_threshold = ONLY_ON_REQUEST
        try:
            return super().execute(query, params, prepare=prepare is not False, binary=binary)
        finally:
            connection.prepare_threshold = None


AUTO, GENERIC = "auto", "force_generic_plan"


def _plan_mode(connection: psycopg.Connection, mode: str) -> None:
    """`plan_cache_mode` as `mode` for the prepared statement about to run. It counts only for
    prepared statements, so it is changed only before one, and only when it differs from what
    this connection was last set to: a worker going from one kind of read to another, not
    every query. Not inside a transaction, whose rollback would undo it unseen (the statement
    then runs in the mode the connection has, which changes its speed, never its answer)."""
    if getattr(connection, "_iqtrack_plan_mode", AUTO) == mode:
        return
    # Django's atomic() turns autocommit off and psycopg opens the transaction at the next
    # statement, so an idle connection is not enough.
    if not connection.autocommit or (
        connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    ):
        return
    with psycopg.Cursor(connection) as setting:  # not the connection's factory: this class
        setting.execute(f"SET plan_cache_mode = {mode}", prepare=False)
    connection._iqtrack_plan_mode = mode  # type: ignore[attr-defined]


def cursor(connection, *args, **kwargs) -> psycopg.Cursor:
    """The connection's cursor factory (iqtrack/settings.py): Django makes a cursor for each
    query it runs, so the cursor made inside `reused_plans()` is the one that runs the query.

    Outside, psycopg's ClientCursor, as Django's own: the values merged into the text on the
    client, planned for them. Server-side binding everywhere would also cap a query at 65,535
    parameters (a bulk_create of 5,000 questions has 90,000), which client-side binding does
    not. The bulk writes that send a few large parameters bound, unprepared, take their cursor
    from iqtrack.db.server_bound_cursor."""
    kind = _Prepared if _reusing.get() else psycopg.ClientCursor
    return kind(connection, *args, **kwargs)
