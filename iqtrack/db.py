"""Query building blocks that are about the database, not the domain."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Lookup


class AnyOf(Lookup):
    """`field IN (values)` for a list of hundreds of values known in Python (ids read by an
    earlier query), as a filter: `Evidence.objects.filter(AnyOf("pk", ids))`.

    On PostgreSQL it is `field = ANY(%s)` with the list as one array parameter. Django's
    `field__in=[...]` writes one placeholder per value, and psycopg binds client-side and keeps a
    query's parsed form only for queries of at most 50 parameters: a list of 300 ids made it
    parse the query again with Python regular expressions on every request, and Django prepare
    each value on its own (20 × 300 ACH matrix, bench/RESULTS.md). Elsewhere (SQLite) it is the
    plain IN list. No value: no row, as with `__in=[]`.
    """

    lookup_name = "any"
    prepare_rhs = False

    def __init__(self, field: str | F, values: Iterable) -> None:
        super().__init__(F(field) if isinstance(field, str) else field, list(values))

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
        return f"{lhs} = ANY(%s)", (*params, self.rhs)
