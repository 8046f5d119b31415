"""The search-vector triggers keep a vector an insert gives under VECTORS_GIVEN_SETTING
(evidence/search_sql.py; the case-file import works vectors out on a second connection)."""

from django.db import migrations

from evidence import search_sql

TABLES = ("evidence_evidence", "evidence_source", "evidence_actor")


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # no triggers on SQLite
    for table in TABLES:
        schema_editor.execute(search_sql.function_sql(table, search_sql.VECTORS[table]))


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0007_visibility_index"),
    ]

    # Going back leaves the new functions: they behave as the old ones unless the setting is on,
    # and nothing before this migration sets it.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
