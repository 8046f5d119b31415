"""Evidence search vectors stay in the row, lz4-compressed (evidence/search_sql.py)."""

from django.db import migrations

from evidence import search_sql


def inline(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(search_sql.inline_vector_sql("evidence_evidence"))


def default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(search_sql.default_vector_storage_sql("evidence_evidence"))


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0004_markings"),
    ]

    operations = [
        migrations.RunPython(inline, default),
    ]
