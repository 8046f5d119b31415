"""The hypothesis a version's judgment supports is content: frozen with the rest of it.

Replaces the assessment guard of 0003_database_guards (PostgreSQL function, SQLite trigger) with
one that also compares `hypothesis_id`; unapplying restores the 0003 rule. The other guards are
untouched. 0006 adds the column with ALTER TABLE ADD COLUMN, which keeps SQLite's triggers
(tests/test_two_person_rule.py checks they are all still there).
"""

from django.db import migrations

RAISE = "RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'iqtrack: {}'"

FROZEN_0003 = (
    "key_judgments",
    "likelihood",
    "likelihood_wording",
    "confidence",
    "change_note",
    "submitted_at",
)
FROZEN = (*FROZEN_0003, "hypothesis_id")


def _postgresql_guard(frozen: tuple[str, ...]) -> str:
    new = ", ".join(f"NEW.{column}" for column in frozen)
    old = ", ".join(f"OLD.{column}" for column in frozen)
    return f"""
        CREATE OR REPLACE FUNCTION questions_assessment_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.state <> 'draft' THEN
                    {RAISE.format("an assessment version starts as a draft")};
                END IF;
                RETURN NEW;
            END IF;
            IF TG_OP = 'DELETE' THEN
                IF OLD.state <> 'draft' THEN
                    {RAISE.format("a submitted, returned or approved version is never deleted")};
                END IF;
                RETURN OLD;
            END IF;
            IF (NEW.question_id, NEW.version, NEW.author_id)
                    IS DISTINCT FROM (OLD.question_id, OLD.version, OLD.author_id) THEN
                {RAISE.format("a version''s question, number and author never change")};
            END IF;
            IF NOT ((OLD.state = 'draft' AND NEW.state IN ('draft', 'submitted'))
                    OR (OLD.state = 'submitted' AND NEW.state IN ('approved', 'returned'))
                    OR OLD.state = NEW.state) THEN
                {RAISE.format("illegal change of assessment version state")};
            END IF;
            IF OLD.state <> 'draft' AND ({new}) IS DISTINCT FROM ({old}) THEN
                {RAISE.format("a submitted, returned or approved version never changes")};
            END IF;
            IF (NEW.content_hash, NEW.approved_at) IS DISTINCT FROM
                    (OLD.content_hash, OLD.approved_at)
                    AND NOT (OLD.state = 'submitted' AND NEW.state = 'approved') THEN
                {RAISE.format("a version is signed only when it is approved")};
            END IF;
            IF OLD.state = 'submitted' AND NEW.state = 'approved' AND NOT EXISTS (
                    SELECT 1 FROM questions_review r WHERE r.assessment_id = NEW.id
                    AND r.decision = 'approve' AND r.content_hash = NEW.content_hash) THEN
                {RAISE.format("a version is approved only by a review that signed its hash")};
            END IF;
            IF OLD.state = 'submitted' AND NEW.state = 'returned' AND NOT EXISTS (
                    SELECT 1 FROM questions_review r WHERE r.assessment_id = NEW.id
                    AND r.decision = 'return') THEN
                {RAISE.format("a version is returned only by a review that returned it")};
            END IF;
            RETURN NEW;
        END $$;
        """


def _sqlite_guard(frozen: tuple[str, ...]) -> list[str]:
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in frozen)
    return [
        "DROP TRIGGER IF EXISTS questions_assessment_frozen;",
        "CREATE TRIGGER questions_assessment_frozen BEFORE UPDATE ON questions_assessment "
        f"FOR EACH ROW WHEN OLD.state <> 'draft' AND ({changed}) "
        "BEGIN SELECT RAISE(ABORT, "
        "'iqtrack: a submitted, returned or approved version never changes'); END;",
    ]


def _install(frozen: tuple[str, ...]):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_postgresql_guard(frozen), None)
        elif vendor == "sqlite":
            for statement in _sqlite_guard(frozen):
                schema_editor.execute(statement, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("questions", "0006_assessment_supported_hypothesis")]

    operations = [migrations.RunPython(_install(FROZEN), _install(FROZEN_0003))]
