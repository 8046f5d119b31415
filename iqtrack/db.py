"""Query building blocks that are about the database, not the domain."""

from __future__ import annotations

from collections.abc import Iterable
from operator import index

from django.core.exceptions import EmptyResultSet
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

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        array = "{" + ",".join(map(str, self.rhs)) + "}"
        element = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{element}[])", (*params, array)
