"""Query building blocks that are about the database, not the domain."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from operator import index

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    F,
    ForeignObject,
    IntegerField,
    Lookup,
    QuerySet,
)
from django.db.models.expressions import Col
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In
from django.db.models.sql.where import WhereNode


class AnyOf(Lookup):
    """`field IN (values)` for a list of hundreds of integers known in Python (ids read by an
    earlier query), as a filter: `Evidence.objects.filter(AnyOf("pk", ids))`.

    On PostgreSQL it is `field = ANY(%s::bigint[])` (the field's type) with the ids as one
    parameter, the array's text. Django's `field__in=[...]` with integers takes the same form
    since IntegerIn (below); AnyOf also refuses anything but integers as it is built. Django's
    own form writes one placeholder per value, and psycopg keeps a query's parsed form (its
    placeholders turned into PostgreSQL's) only for queries of at most 50 parameters: a list of
    300 ids made it parse the query again with Python regular expressions on every request, and
    Django prepare each value on its own (20 × 300 ACH matrix, bench/RESULTS.md). One parameter
    also keeps the query's text the same however many ids it carries, so one prepared statement
    serves them all (iqtrack/prepared.py). The text, not a list: psycopg writes a list's items
    one by one in Python.
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
        element = self.lhs.output_field.cast_db_type(connection)
        return _equals_any(self, compiler, connection, self.rhs, element)


def _equals_any(
    lookup: Lookup, compiler, connection, values: Iterable[int], element: str
) -> tuple[str, tuple]:
    """`lhs = ANY(%s::element[])`, the values as one parameter (AnyOf)."""
    lhs, params = lookup.process_lhs(compiler, connection)
    return f"{lhs} = ANY(%s::{element}[])", (*params, AnyOf.array(values))


_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})


class _ArrayIn:
    """Django's own `__in` with a list of integers — ids read by an earlier query, and the ids
    of a page that prefetch_related reads the rows of — sent on PostgreSQL as AnyOf is: one
    array parameter rather than a placeholder per value, whose text psycopg parses once and
    which reads as the same prepared statement whatever the ids. PostgreSQL plans `IN (1, 2)`
    as `= ANY('{1,2}')` itself, so the plan is the one it was. Anything else (a subquery,
    expressions, other types) goes as Django writes it."""

    def as_postgresql(self, compiler, connection):
        if not (self.rhs_is_direct_value() and isinstance(self.lhs, Col)):
            return self.as_sql(compiler, connection)
        # The column's own field (a reverse relation's output_field is the relation, not a
        # column), and integers exactly: not bools, not choices' members, not expressions.
        element = self.lhs.target.cast_db_type(connection)
        if element not in _INTEGER_TYPES or not all(
            type(value) is int or value is None for value in self.rhs
        ):
            return self.as_sql(compiler, connection)
        values = [value for value in dict.fromkeys(self.rhs) if value is not None]
        if not values:
            raise EmptyResultSet  # as Django's: NULL equals nothing
        return _equals_any(self, compiler, connection, values, element)


class IntegerIn(_ArrayIn, In):
    pass


class RelatedIntegerIn(_ArrayIn, RelatedIn):
    pass


def register_lookups() -> None:
    """IntegerIn and RelatedIntegerIn as the `in` of integer fields and relations (the apps'
    ready())."""
    IntegerField.register_lookup(IntegerIn)
    ForeignObject.register_lookup(RelatedIntegerIn)


def _c_timestamptz_loader() -> type | None:
    """psycopg's own timestamptz loader in C (psycopg[binary]), or None without it."""
    try:
        from psycopg import _cmodule
    except ImportError:  # psycopg 2, or a psycopg without its C part
        return None
    module = getattr(_cmodule, "_psycopg", None)
    return getattr(module, "TimestamptzLoader", None)


def _utc_timestamptz_loader() -> type | None:
    """A timestamptz loader that parses in C, for connections whose zone is UTC.

    Django registers a loader of its own (psycopg_any.BaseTzLoader) that subclasses psycopg's
    Python one, so psycopg never swaps in its C form: every date-time read cost a regular
    expression and three datetime calls in Python, about 3 µs, most of the time a page of 100
    timeline entries (400 date-times) spent turning its rows into Python values.

    Django's loader parses the value, converts it to the session's zone, then labels it with
    the connection's zone; on a connection whose session zone and Django zone are both UTC
    (USE_TZ, Django's own set-up), psycopg's C loader gives the same value with the same tzinfo
    (datetime.timezone.utc). `timezone` is what Django's create_cursor compares before putting
    its loader back on a cursor. The C class cannot be subclassed, so it is held and called.
    """
    parser = _c_timestamptz_loader()
    if parser is None:
        return None
    from psycopg.adapt import Loader

    class UtcTimestamptzLoader(Loader):
        timezone = datetime.UTC

        def __init__(self, oid: int, context=None) -> None:
            super().__init__(oid, context)
            self._parse = parser(oid, context).load

        def load(self, data):
            return self._parse(data)

    return UtcTimestamptzLoader


UTC_TIMESTAMPTZ_LOADER = _utc_timestamptz_loader()


def parse_timestamps_in_c(sender, connection, **kwargs) -> None:
    """connection_created receiver: UTC_TIMESTAMPTZ_LOADER on a new PostgreSQL connection whose
    zone is UTC (where it reads what Django's loader reads); any other connection keeps
    Django's."""
    if (
        connection.vendor != "postgresql"
        or UTC_TIMESTAMPTZ_LOADER is None
        or connection.timezone != datetime.UTC
        or connection.connection.info.parameter_status("TimeZone") != "UTC"
    ):
        return
    connection.connection.adapters.register_loader("timestamptz", UTC_TIMESTAMPTZ_LOADER)


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


# Relabelled forms kept per CompiledOnce (see relabeled_clone).
RELABELLINGS_KEPT = 8


class CompiledOnce(Expression):
    """A queryset's conditions (its WHERE) compiled to SQL once and that SQL reused, for a
    queryset kept and copied for many requests (questions.visibility._kept_per_user).

    A copy of a queryset shares its conditions' leaves (WhereNode.clone copies only the tree's
    nodes), so every copy of the kept queryset holds this same object and the SQL compiled for
    the first request serves the next. Anything that changes the conditions goes through a new
    object — relabelled when the queryset becomes a subquery, resolved into another query —
    which compiles afresh (set_source_expressions forgets the SQL). Keyed by the connection and
    the compiler's class: a SELECT's text may not serve an UPDATE."""

    conditional = True

    def __init__(self, where: WhereNode) -> None:
        super().__init__(output_field=BooleanField())
        self.where = where
        self._sql: dict[tuple, tuple[str, tuple]] = {}
        self._relabeled: dict[tuple, CompiledOnce] = {}

    def get_source_expressions(self) -> list:
        return [self.where]

    def set_source_expressions(self, exprs) -> None:
        (self.where,) = exprs
        self._sql, self._relabeled = {}, {}

    def copy(self) -> CompiledOnce:
        copy = super().copy()
        copy._sql, copy._relabeled = {}, {}
        return copy

    def relabeled_clone(self, change_map):
        # A kept queryset used as a subquery (`question__in=visible_questions(user)`) is
        # relabelled on every use, by the same map where the same code uses it: its own aliases
        # to the next prefix (U0 as a subquery, V0 in a subquery's subquery), so a few maps at
        # most. Bounded all the same, as each keeps a copy of the conditions.
        key = tuple(sorted(change_map.items()))
        found = self._relabeled.get(key)
        if found is None:
            found = CompiledOnce(self.where.relabeled_clone(change_map))
            if len(self._relabeled) < RELABELLINGS_KEPT:
                self._relabeled[key] = found
        return found

    def as_sql(self, compiler, connection):
        key = (connection.alias, type(compiler))
        found = self._sql.get(key)
        if found is None:
            sql, params = compiler.compile(self.where)
            found = self._sql[key] = (sql, tuple(params))
        return found


def compile_conditions_once(queryset: QuerySet) -> None:
    """`queryset`'s conditions compiled once for it and all its copies (CompiledOnce)."""
    query = queryset.query
    if query.where.children and not query.is_empty():
        query.where = WhereNode([CompiledOnce(query.where)])
