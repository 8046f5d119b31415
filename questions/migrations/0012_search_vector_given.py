"""The question search-vector trigger keeps a vector an insert gives under VECTORS_GIVEN_SETTING
(evidence/search_sql.py; the case-file import works vectors out on a second connection)."""

from django.db import migrations

from evidence import search_sql


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # no triggers on SQLite
    table = "questions_question"
    schema_editor.execute(search_sql.function_sql(table, search_sql.VECTORS[table]))


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0008_search_vectors_given"),
        ("questions", "0011_rating_cover_index"),
    ]

    # Going back leaves the new function: it behaves as the old one unless the setting is on,
    # and nothing before this migration sets it.
    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
