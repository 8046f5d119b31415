"""Query building blocks that are about the database, not the domain."""

from __future__ import annotations

from collections.abc import Iterable
from operator import index

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Lookup


class AnyOf(Lookup):
    """`field IN (values)` for a list of hundreds of integers known in Python (ids read by an
    earlier query), as a filter: `Evidence.objects.filter(AnyOf("pk", ids))`.

    On PostgreSQL it is `field = ANY(%s::bigint[])` (the field's type) with the ids as one
    parameter, the array's text. Django's `field__in=[...]` writes one placeholder per value, and
    psycopg keeps a query's parsed form (its placeholders turned into PostgreSQL's) only for
    queries of at most 50 parameters: a list of 300 ids made it parse the query again with Python
    regular expressions on every request, and Django prepare each value on its own (20 × 300 ACH
    matrix, bench/RESULTS.md). One parameter also keeps the query's text the same however many
    ids it carries, so one prepared statement serves them all (iqtrack/prepared.py). The text,
    not a list: psycopg writes a list's items one by one in Python.
    Elsewhere (SQLite) it is the plain IN list. No value: no row, as with `__in=[]`.
    """

    lookup_name = "any"
    prepare_rhs = False

    def __init__(self, field: str | F, values: Iterable[int]) -> None:
        # Integers only (operator.index refuses anything else): they are written into SQL text.
        super().__init__(F(field) if isinstance(field, str) else field, list(map(index, values)))

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs} IN ({placeholders})", (*params, *self.rhs)

    @staticmethod
    def array(values: Iterable[int]) -> str:
        """The parameter PostgreSQL reads as the array of `values` (integers)."""
        return "{" + ",".join(map(str, map(index, values))) + "}"

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        array = self.array(self.rhs)
        element = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{element}[])", (*params, array)


def server_bound_cursor():
    """A cursor of the default connection that sends its parameters apart from the SQL (binary
    where the placeholder returned, "%b", asks), and that placeholder.

    For the bulk writes that send a few large parameters: Django's cursors on psycopg 3 quote
    every parameter into the SQL text: an array element by element (a third of a second per
    40,000-row insert, notifications/bulk.py), a case file's batch of JSON (a megabyte,
    questions/casefile/rows.py) escaped, copied in and parsed back out. This one sends them
    as they are. Wrapped as Django wraps its own, so the query is logged and counted.
    """
    from django.db.backends.postgresql import base

    binding = getattr(base, "ServerBindingCursor", None)  # psycopg 3 only
    if binding is None:
        return connection.cursor(), "%s"
    connection.ensure_connection()
    raw = binding(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw), "%b"
    return connection.make_cursor(raw), "%b"
