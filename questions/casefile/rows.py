"""Insert many rows of one table in a statement per batch, from plain column values.

On PostgreSQL each batch is one `INSERT … SELECT … FROM json_populate_recordset(NULL::table,
%b::json)`: the batch goes as one JSON document (json.dumps, in C), bound apart from the
SQL, that the server unpacks into the table's own row type. Django's bulk_create costs far more
per row: a model instance, each value prepared field by field and quoted by psycopg in Python,
and on the tables with a search vector (whose type keeps it from sending one array per column)
one parameter per value, 23,000 for a batch of evidence. Importing a 10,000-item case file spent
most of its time there (bench/RESULTS.md). The search vector is left out: its trigger fills it.
Elsewhere (the SQLite of `make run`), bulk_create does it. (Or a row gives its
vector, worked out ahead on another connection: questions/casefile/vectors.py.)

A row is a dict of column values by attribute name (`source_id`, not `source`); the columns it
leaves out are filled in (in place, so the caller sees what was written): a field's default, or
for `auto_now` / `auto_now_add` the time given.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models.expressions import RawSQL

from iqtrack.db import server_bound_cursor

BATCH_SIZE = 1000

# Filled by the database (a trigger), never by an insert.
_FILLED_BY_DATABASE = (SearchVectorField,)
# Values that go into JSON as the database reads them, without Django's preparation.
_PLAIN = frozenset({str, int, bool, float, dt.date, dt.datetime, type(None)})


def _columns(model: type[models.Model], *, search_vector: bool = False) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and not field.generated
        and (search_vector or not isinstance(field, _FILLED_BY_DATABASE))
    ]


def _complete(fields: list[models.Field], row: dict[str, Any], now: dt.datetime) -> None:
    """Give `row` every column the insert writes: defaults and timestamps filled in."""
    for field in fields:
        if field.attname in row:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            row[field.attname] = now
        else:
            row[field.attname] = field.get_default()


def insert_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    now: dt.datetime,
    returning: Sequence[str] = (),
    batch_size: int = BATCH_SIZE,
    search_vector: bool = False,
) -> list[tuple]:
    """Insert `rows` into `model`'s table; the `returning` columns of each inserted row (in no
    promised order: match them to the rows by a unique column).

    With `search_vector`, a row's `search_vector` (worked out ahead: questions/casefile
    /vectors.py) is written too, and kept where the transaction allows it; else the trigger
    works it out."""
    if not rows:
        return []
    fields = _columns(model, search_vector=search_vector)
    for row in rows:
        _complete(fields, row, now)
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        for row, obj in zip(rows, made, strict=True):  # bulk_create sets auto_now itself
            row.update((field.attname, getattr(obj, field.attname)) for field in fields)
        return [tuple(getattr(obj, name) for name in returning) for obj in made]
    # Only names from the models' metadata go into the statement; the rows are one parameter.
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(field.column) for field in fields)
    cursor, placeholder = server_bound_cursor()
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608
        f"FROM json_populate_recordset(NULL::{table}, {placeholder}::json)"
    )
    if returning:
        sql += " RETURNING " + ", ".join(qn(model._meta.get_field(n).column) for n in returning)
    names = [(field.column, field.attname) for field in fields]
    # Where every column is named as its attribute (most tables), the rows go as they are: the
    # server reads only the table's columns from each object, and the rest is not selected.
    renamed = any(column != attname for column, attname in names)
    found: list[tuple] = []
    with cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            if renamed:
                batch = [{column: row[attname] for column, attname in names} for row in batch]
            _prepare(fields, batch)
            cursor.execute(sql, [json.dumps(batch, ensure_ascii=False, default=_iso)])
            if returning:
                found += cursor.fetchall()
    return found


def _prepare(fields: list[models.Field], batch: list[dict[str, Any]]) -> None:
    """Values that are not plain (an enum member from a field's default) as Django would write
    them."""
    for field in fields:
        for row in batch:
            if type(row[field.column]) not in _PLAIN:
                row[field.column] = field.get_db_prep_save(row[field.column], connection)


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):  # datetimes too: PostgreSQL reads ISO 8601
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written to JSON")


def in_bulk(model: type[models.Model], field_name: str, keys: list[str]) -> dict[str, Any]:
    """`model.objects.in_bulk(keys, field_name=…)` for text keys, sent as one parameter on
    PostgreSQL: an IN list of 10,000 keys costs more to send and parse than to look up."""
    if connection.vendor != "postgresql" or not keys:
        return model.objects.in_bulk(keys, field_name=field_name)
    wanted = RawSQL("SELECT json_array_elements_text(%s::json)", [json.dumps(keys)])
    found = model.objects.filter(**{f"{field_name}__in": wanted})
    return {getattr(obj, field_name): obj for obj in found}


def insert_copies(
    model: type[models.Model],
    into: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    columns: list[str],
    extra: dict[str, Any],
    now: dt.datetime,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert into `into` a copy of each of `rows`, stored in `model`'s table and found there by
    `id`: the `columns` (attribute names the two share) and the `extra` values, the same in every
    copy (a history record of each new row). On PostgreSQL the copy is made by the server from
    the stored rows, so their texts are not sent a second time."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        copies = [{name: row[name] for name in columns} | extra for row in rows]
        return insert_rows(into, copies, now=now, returning=returning)
    # Only names from the models' metadata go into the statement; the values are parameters.
    qn = connection.ops.quote_name
    added = [into._meta.get_field(name) for name in extra]
    target = ", ".join(
        [qn(into._meta.get_field(name).column) for name in columns]
        + [qn(field.column) for field in added]
    )
    copied = ", ".join(qn(model._meta.get_field(name).column) for name in columns)
    # A cast to varchar(100) would cut a longer value silently; the column refuses it instead.
    given = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}" for field in added)
    table, into_table, pk = (
        qn(model._meta.db_table),
        qn(into._meta.db_table),
        qn(model._meta.pk.column),
    )
    wanted = "SELECT json_array_elements_text(%s::json)::bigint"
    sql = f"INSERT INTO {into_table} ({target}) SELECT {copied}, {given} FROM {table} WHERE {pk} IN ({wanted})"  # noqa: E501, S608
    if returning:
        sql += " RETURNING " + ", ".join(qn(into._meta.get_field(n).column) for n in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*extra.values(), json.dumps([row["id"] for row in rows])])
        return cursor.fetchall() if returning else []
