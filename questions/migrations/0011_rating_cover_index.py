# The ACH matrix reads a question's ratings from an index that carries them (questions.ach).

import django.db.models.deletion
from django.db import migrations, models

# Django's name for the hypothesis foreign key's own index (the same on PostgreSQL and SQLite).
FK_INDEX = "questions_hypothesisrating_hypothesis_id_e3cd1041"


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0010_board_order_index"),
    ]

    operations = [
        # The covering index first, so that the hypothesis is never without an index.
        migrations.AddIndex(
            model_name="hypothesisrating",
            index=models.Index(
                fields=["hypothesis"], include=("evidence", "rating"), name="questions_rating_cover"
            ),
        ),
        # Then the foreign key's own index goes: the covering one starts with the same column.
        # Dropped by name, not by AlterField, which would also drop and re-check the foreign key.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="hypothesisrating",
                    name="hypothesis",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ratings",
                        to="questions.hypothesis",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {FK_INDEX}",
                    reverse_sql=(
                        f"CREATE INDEX {FK_INDEX} ON questions_hypothesisrating (hypothesis_id)"
                    ),
                ),
            ],
        ),
    ]
