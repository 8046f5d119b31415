"""Search vectors of the entries an import is about to insert, worked out on a second database
connection while the import's own connection writes.

Working out the search vectors (evidence/search_sql.py: five parses of each item's texts) is
most of what PostgreSQL spends on an import, and the trigger does it on the importing
connection, one core, while the other waits: 2.4 s of a 10,000-item import of 5.5–6.3 s here
(bench/README.md). So the import sends each section's texts, in batches, to a second connection
as soon as the file is valid; what comes back (the same expression, so the same vectors) goes
into the insert, and the trigger keeps a vector given under VECTORS_GIVEN_SETTING. The second
connection only reads (a query of functions over the JSON it is sent): nothing is written
outside the import's transaction, and a failed import leaves nothing behind. Should the second
connection fail, an entry goes without a given vector and the trigger works it out as ever.

PostgreSQL only: on SQLite there is no search vector.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
from django.db import connection, models

from evidence.search_sql import VECTORS, VECTORS_GIVEN_SETTING, vector_columns, vectors_sql
from questions.casefile.validation import Record

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


def has_vector(model: type[models.Model]) -> bool:
    return model._meta.db_table in VECTORS


class SearchVectors:
    """Vectors by (table, entry key), worked out in the background in the order asked for."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="casefile-vectors")
        self._raw: psycopg.Connection | None = None  # the second one, opened by the worker
        # Read here, in the importing thread: as Django would connect, to the same database
        # (with psycopg's own cursor: iqtrack's prepared-statement one is for Django's reads).
        params = connection.get_connection_params()
        self._params = {k: v for k, v in params.items() if k != "cursor_factory"}
        self._batch_of: dict[tuple[str, str], Future] = {}

    @staticmethod
    def give_on_this_transaction() -> None:
        """Have the triggers keep the vectors this transaction's inserts give."""
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {VECTORS_GIVEN_SETTING} = on")

    def start(self, model: type[models.Model], records: list[Record]) -> None:
        """Begin working out the vectors of `records`, entries of `model` about to be new."""
        table = model._meta.db_table
        for start in range(0, len(records), BATCH_SIZE):
            batch = records[start : start + BATCH_SIZE]
            future = self._pool.submit(self._work_out, table, batch)
            for record in batch:
                self._batch_of[table, record.key] = future

    def given(self, model: type[models.Model], key: str) -> str | None:
        """The vector of entry `key` (waiting for its batch), or None: the trigger's to do."""
        future = self._batch_of.get((model._meta.db_table, key))
        if future is None:
            return None
        try:
            return future.result().get(key)
        except Exception:  # the second connection failed: the trigger works it out
            logger.warning("search vectors not worked out ahead", exc_info=True)
            self._batch_of = {}
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def _work_out(self, table: str, records: list[Record]) -> dict[str, str]:
        """In the worker thread: the batch's texts (its Python work also done here, while the
        importing thread waits on its own connection), then their vectors."""
        columns = ["key", *vector_columns(table)]
        document = json.dumps(
            [{name: record.values.get(name) for name in columns} for record in records],
            ensure_ascii=False,
        )
        if self._raw is None:
            # A read of functions only: no transaction to keep open.
            self._raw = psycopg.connect(**self._params, autocommit=True)
        with self._raw.cursor() as cursor:
            cursor.execute(vectors_sql(table), [document])
            return dict(cursor.fetchall())
