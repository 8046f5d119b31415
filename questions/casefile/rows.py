"""Insert many rows of one table in a statement per batch, from plain column values.

On PostgreSQL each batch is one `INSERT … SELECT * FROM unnest(one array per column)
RETURNING …`: what Django's bulk_create sends there too, without its cost per row (a model
instance, its signals, each value prepared field by field) and without the search-vector column,
whose type keeps bulk_create from using unnest (it then sends one parameter per value: 23,000
for a batch of evidence) and which the search trigger fills anyway. Importing a 10,000-item case
file spent most of its time there (bench/RESULTS.md). Elsewhere (the SQLite of `make run`),
bulk_create does it.

A row is a dict of column values by attribute name (`source_id`, not `source`); the columns it
leaves out are filled in (in place, so the caller sees what was written): a field's default, or
for `auto_now` / `auto_now_add` the time given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models

BATCH_SIZE = 1000

# Filled by the database (a trigger), never by an insert.
_FILLED_BY_DATABASE = (SearchVectorField,)
# Values psycopg adapts exactly as Django's fields would prepare them.
_PLAIN = frozenset({str, int, bool, float, dt.date, dt.datetime, type(None)})


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and not field.generated
        and not isinstance(field, _FILLED_BY_DATABASE)
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
) -> list[tuple]:
    """Insert `rows` into `model`'s table; the `returning` columns of each inserted row (in no
    promised order: match them to the rows by a unique column)."""
    if not rows:
        return []
    fields = _columns(model)
    for row in rows:
        _complete(fields, row, now)
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return [tuple(getattr(obj, name) for name in returning) for obj in made]
    # Only names from the models' metadata go into the statement; the values are parameters.
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(field.column) for field in fields)
    # varchar(80)[] would cut values to the length silently; the column checks it instead.
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
    if returning:
        sql += " RETURNING " + ", ".join(qn(model._meta.get_field(n).column) for n in returning)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(sql, [_array(field, batch) for field in fields])
            if returning:
                found += cursor.fetchall()
    return found


def _array(field: models.Field, rows: list[dict[str, Any]]) -> list:
    values = [row[field.attname] for row in rows]
    if all(type(value) in _PLAIN for value in values):
        return values
    return [field.get_db_prep_save(value, connection) for value in values]
