"""One INSERT for tens of thousands of rows, without building a model instance for each.

The first sweep after a quiet spell (or of a fresh deployment) records and delivers tens of
thousands of notices at once; `bulk_create` spends most of its time preparing each object's
fields in Python (seconds at 40,000 rows, bench/RESULTS.md). On PostgreSQL the rows go in as one
array per column instead: `INSERT … SELECT FROM unnest(…)`, a handful of parameters whatever the
row count. Elsewhere (the embedded SQLite default) it is `bulk_create`, which is the same insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

from iqtrack.db import server_bound_cursor


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple],
    *,
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert `rows` (tuples of values for `fields`, by attribute name: "question_id") in one
    statement. Every NOT NULL column without a value here must be listed. With
    `ignore_conflicts`, rows that break a unique constraint are skipped (ON CONFLICT DO
    NOTHING). Returns the `returning` attributes of each inserted row (not with
    `ignore_conflicts` outside PostgreSQL)."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, ignore_conflicts=ignore_conflicts)
        if ignore_conflicts:
            return []
        return [tuple(getattr(o, name) for name in returning) for o in objects]
    meta = model._meta
    # get_field knows attribute names too ("question_id"); a foreign key's type is its target's.
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    cursor, placeholder = server_bound_cursor()
    arrays = ", ".join(f"{placeholder}::{f.db_type(connection).split('(')[0]}[]" for f in columns)
    names = ", ".join(quote(f.column) for f in columns)
    # Identifiers from the model's own metadata, quoted; every value is a parameter.
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(meta.get_field(name).column) for name in returning)
    with cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        return [tuple(row) for row in cursor.fetchall()] if returning else []
