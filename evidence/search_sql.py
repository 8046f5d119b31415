"""PostgreSQL full-text search plumbing, used by migrations (and nothing else at run time).

Each searchable table has a `search_vector` column that a BEFORE INSERT OR UPDATE trigger keeps
current, so bulk inserts (benchmarks, imports) are indexed too. Original-language text is
analysed with its own language's configuration — PostgreSQL has english, russian, arabic,
turkish, french and german; Persian, Hebrew, Ukrainian and Chinese fall back to `simple` — and
also with `simple`, so an exact word matches whatever the language.
"""

from __future__ import annotations

import re

# Language code (evidence.choices.Language) → PostgreSQL text search configuration.
TS_CONFIG: dict[str, str] = {
    "en": "english",
    "ru": "russian",
    "ar": "arabic",
    "tr": "turkish",
    "fr": "french",
    "de": "german",
}
# Every configuration a query is parsed with: one per analysed language, and simple.
QUERY_CONFIGS: tuple[str, ...] = (*sorted(set(TS_CONFIG.values())), "simple")


def config_function_sql() -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{cfg}'::regconfig" for code, cfg in TS_CONFIG.items())
    return f"""
CREATE OR REPLACE FUNCTION iqtrack_ts_config(lang text) RETURNS regconfig AS $$
    SELECT CASE lang {cases} ELSE 'simple'::regconfig END
$$ LANGUAGE sql IMMUTABLE;
"""


# Set (SET LOCAL, for one transaction) by a writer that inserts rows with their search vector
# already worked out by vectors_sql(): the trigger keeps a vector such an insert gives. The
# case-file import does, so that the parsing, most of its cost, runs on a second connection in
# parallel with its writes (questions/casefile/vectors.py). Any other insert, and every update,
# gets the vector worked out here, whatever it sends.
VECTORS_GIVEN_SETTING = "iqtrack.search_vectors_given"


def function_sql(table: str, vector_expression: str) -> str:
    """The trigger function that sets `table.search_vector` to `vector_expression` (over NEW.*),
    unless an insert under VECTORS_GIVEN_SETTING gives one.

    Only ever called by migrations with the constants below: nothing user-supplied reaches it.
    """
    return f"""
CREATE OR REPLACE FUNCTION {table}_search_vector_update() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.search_vector IS NOT NULL
            AND current_setting('{VECTORS_GIVEN_SETTING}', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.search_vector := {vector_expression};
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


def trigger_sql(table: str, vector_expression: str) -> str:
    """Trigger keeping `table.search_vector` equal to `vector_expression` (over NEW.*).

    Only ever called by migrations with the constants below: nothing user-supplied reaches it.
    """
    return f"""
{function_sql(table, vector_expression)}
DROP TRIGGER IF EXISTS {table}_search_vector ON {table};
CREATE TRIGGER {table}_search_vector BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_search_vector_update();
CREATE INDEX IF NOT EXISTS {table}_search_vector_gin ON {table} USING gin (search_vector);
UPDATE {table} SET search_vector = NULL;
"""


def drop_trigger_sql(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS {table}_search_vector ON {table};
DROP FUNCTION IF EXISTS {table}_search_vector_update();
DROP INDEX IF EXISTS {table}_search_vector_gin;
"""


def weighted(config: str, column: str, weight: str) -> str:
    return f"setweight(to_tsvector({config}, coalesce(NEW.{column}, '')), '{weight}')"


def english(column: str, weight: str) -> str:
    return weighted("'english'::regconfig", column, weight)


def simple(column: str, weight: str) -> str:
    return weighted("'simple'::regconfig", column, weight)


EVIDENCE_VECTOR = " || ".join(
    [
        english("summary", "A"),
        english("translation", "B"),
        weighted("iqtrack_ts_config(NEW.original_language)", "original_text", "B"),
        simple("original_text", "C"),
        simple("summary", "D"),
    ]
)
SOURCE_VECTOR = " || ".join(
    [simple("name", "A"), english("name", "A"), english("description", "C")]
)
ACTOR_VECTOR = " || ".join(
    [simple("name", "A"), english("affiliation", "B"), english("description", "C")]
)
QUESTION_VECTOR = " || ".join([english("title", "A"), simple("title", "B"), english("body", "B")])

# Each searchable table's vector, as its trigger works it out.
VECTORS: dict[str, str] = {
    "evidence_evidence": EVIDENCE_VECTOR,
    "evidence_source": SOURCE_VECTOR,
    "evidence_actor": ACTOR_VECTOR,
    "questions_question": QUESTION_VECTOR,
}


def vector_columns(table: str) -> list[str]:
    """The columns `table`'s vector is worked out from."""
    return list(dict.fromkeys(re.findall(r"NEW\.(\w+)", VECTORS[table])))


def vectors_sql(table: str) -> str:
    """A query of the search vectors the trigger would give the rows in a JSON array (the one
    parameter, objects of column values as an insert would send them): key and vector of each.

    The same expression as the trigger's: NEW is the name of each row here too.
    """
    return (
        f"SELECT NEW.key, {VECTORS[table]} "
        f"FROM json_populate_recordset(NULL::{table}, %s::json) AS NEW"
    )


def inline_vector_sql(table: str) -> str:
    """Keep `table.search_vector` in the row, compressed with lz4 where the server has it.

    Search reads the vector of every candidate it considers (the match test, then ts_rank). By
    default PostgreSQL compresses a large vector with pglz and, when the row is still over ~2 kB,
    moves it out of line into the TOAST table: then each read is an index lookup and a chunk
    fetch, and each pglz decompression is slow. STORAGE MAIN keeps it in the row (it leaves only
    as a last resort) and lz4 decompresses several times faster. The column is rewritten in the
    same statement (the settings apply to values written from then on), so the rows already
    there are stored the new way too.
    """
    rewrite = (
        f"ALTER TABLE {table} ALTER COLUMN search_vector TYPE tsvector"
        " USING search_vector || ''::tsvector, ALTER COLUMN search_vector SET STORAGE MAIN"
    )
    return f"""
DO $$
BEGIN
    {rewrite}, ALTER COLUMN search_vector SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    {rewrite};  -- a server built without lz4 keeps pglz; the vector still stays in the row
END
$$;
"""


def default_vector_storage_sql(table: str) -> str:
    return f"""
ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE EXTENDED;
ALTER TABLE {table} ALTER COLUMN search_vector SET COMPRESSION default;
"""
