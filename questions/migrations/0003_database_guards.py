"""Database guards: the two-person rule and frozen versions hold even for direct writes.

CHECK constraints cannot look at other rows, so these triggers close the rest (docs/workflow.md):
- a review names the version's real author and the question's real analyst (so the CHECKs on
  those denormalised columns mean something), is by the question's assigned reviewer, who wrote
  no version of the assessment, and is of a submitted version; reviews never change;
- an assessment version starts as a draft, becomes approved or returned only with the matching
  review (approved: with the reviewed hash), and never changes once submitted; its question,
  number and author never change; the evidence a frozen version cites never changes;
- transitions never change.
PostgreSQL and SQLite (the embedded default) get the same rules. On SQLite the DELETE guards are
left out because Django's `flush` empties tables with DELETE there (PostgreSQL uses TRUNCATE,
which row triggers do not see); the model layer still refuses those deletes.
Violations raise SQLSTATE 23514 (PostgreSQL) / SQLITE_CONSTRAINT: Django's IntegrityError.
"""

from django.db import migrations

RAISE = "RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'iqtrack: {}'"

POSTGRESQL = [
    (
        f"""
        CREATE FUNCTION questions_assessment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
            IF OLD.state <> 'draft' AND (NEW.key_judgments, NEW.likelihood,
                    NEW.likelihood_wording, NEW.confidence, NEW.change_note, NEW.submitted_at)
                    IS DISTINCT FROM (OLD.key_judgments, OLD.likelihood, OLD.likelihood_wording,
                    OLD.confidence, OLD.change_note, OLD.submitted_at) THEN
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
        CREATE TRIGGER questions_assessment_guard
            BEFORE INSERT OR UPDATE OR DELETE ON questions_assessment
            FOR EACH ROW EXECUTE FUNCTION questions_assessment_guard();
        """,
        """
        DROP TRIGGER IF EXISTS questions_assessment_guard ON questions_assessment;
        DROP FUNCTION IF EXISTS questions_assessment_guard();
        """,
    ),
    (
        f"""
        CREATE FUNCTION questions_citation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM questions_assessment a WHERE a.state <> 'draft'
                    AND (a.id = OLD.assessment_id OR a.id = NEW.assessment_id)) THEN
                {RAISE.format("the evidence a frozen version cites never changes")};
            END IF;
            RETURN COALESCE(NEW, OLD);
        END $$;
        CREATE TRIGGER questions_citation_guard
            BEFORE INSERT OR UPDATE OR DELETE ON questions_assessment_cited_evidence
            FOR EACH ROW EXECUTE FUNCTION questions_citation_guard();
        """,
        """
        DROP TRIGGER IF EXISTS questions_citation_guard ON questions_assessment_cited_evidence;
        DROP FUNCTION IF EXISTS questions_citation_guard();
        """,
    ),
    (
        f"""
        CREATE FUNCTION questions_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            reviewed questions_assessment%ROWTYPE;
            asked questions_question%ROWTYPE;
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                {RAISE.format("a review, once recorded, never changes")};
            END IF;
            SELECT * INTO reviewed FROM questions_assessment WHERE id = NEW.assessment_id;
            SELECT * INTO asked FROM questions_question WHERE id = reviewed.question_id;
            IF reviewed.state IS DISTINCT FROM 'submitted' THEN
                {RAISE.format("only a submitted version is reviewed")};
            END IF;
            IF NEW.assessment_author_id IS DISTINCT FROM reviewed.author_id
                    OR NEW.question_analyst_id IS DISTINCT FROM asked.assignee_id THEN
                {RAISE.format("a review names the real author and the real analyst")};
            END IF;
            IF NEW.reviewer_id IS DISTINCT FROM asked.reviewer_id THEN
                {RAISE.format("only the question''s assigned reviewer reviews it")};
            END IF;
            IF EXISTS (SELECT 1 FROM questions_assessment o
                    WHERE o.question_id = reviewed.question_id
                    AND o.author_id = NEW.reviewer_id) THEN
                {RAISE.format("two-person rule: the reviewer wrote a version of this assessment")};
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER questions_review_guard
            BEFORE INSERT OR UPDATE OR DELETE ON questions_review
            FOR EACH ROW EXECUTE FUNCTION questions_review_guard();
        """,
        """
        DROP TRIGGER IF EXISTS questions_review_guard ON questions_review;
        DROP FUNCTION IF EXISTS questions_review_guard();
        """,
    ),
    (
        f"""
        CREATE FUNCTION questions_transition_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {RAISE.format("transition records are immutable")};
        END $$;
        CREATE TRIGGER questions_transition_guard
            BEFORE UPDATE OR DELETE ON questions_transition
            FOR EACH ROW EXECUTE FUNCTION questions_transition_guard();
        """,
        """
        DROP TRIGGER IF EXISTS questions_transition_guard ON questions_transition;
        DROP FUNCTION IF EXISTS questions_transition_guard();
        """,
    ),
]


def _sqlite_trigger(name: str, timing: str, when: str, message: str) -> tuple[str, str]:
    return (
        f"CREATE TRIGGER {name} {timing} FOR EACH ROW WHEN {when} "
        f"BEGIN SELECT RAISE(ABORT, 'iqtrack: {message}'); END;",
        f"DROP TRIGGER IF EXISTS {name};",
    )


SQLITE = [
    _sqlite_trigger(
        "questions_assessment_starts_as_draft",
        "BEFORE INSERT ON questions_assessment",
        "NEW.state <> 'draft'",
        "an assessment version starts as a draft",
    ),
    _sqlite_trigger(
        "questions_assessment_identity_fixed",
        "BEFORE UPDATE ON questions_assessment",
        "NEW.question_id IS NOT OLD.question_id OR NEW.version IS NOT OLD.version "
        "OR NEW.author_id IS NOT OLD.author_id",
        "a version''s question, number and author never change",
    ),
    _sqlite_trigger(
        "questions_assessment_state_moves",
        "BEFORE UPDATE ON questions_assessment",
        "NOT ((OLD.state = 'draft' AND NEW.state IN ('draft', 'submitted')) "
        "OR (OLD.state = 'submitted' AND NEW.state IN ('approved', 'returned')) "
        "OR OLD.state = NEW.state)",
        "illegal change of assessment version state",
    ),
    _sqlite_trigger(
        "questions_assessment_frozen",
        "BEFORE UPDATE ON questions_assessment",
        "OLD.state <> 'draft' AND (NEW.key_judgments IS NOT OLD.key_judgments "
        "OR NEW.likelihood IS NOT OLD.likelihood "
        "OR NEW.likelihood_wording IS NOT OLD.likelihood_wording "
        "OR NEW.confidence IS NOT OLD.confidence OR NEW.change_note IS NOT OLD.change_note "
        "OR NEW.submitted_at IS NOT OLD.submitted_at)",
        "a submitted, returned or approved version never changes",
    ),
    _sqlite_trigger(
        "questions_assessment_signed_on_approval",
        "BEFORE UPDATE ON questions_assessment",
        "(NEW.content_hash IS NOT OLD.content_hash OR NEW.approved_at IS NOT OLD.approved_at) "
        "AND NOT (OLD.state = 'submitted' AND NEW.state = 'approved')",
        "a version is signed only when it is approved",
    ),
    _sqlite_trigger(
        "questions_assessment_approved_by_review",
        "BEFORE UPDATE ON questions_assessment",
        "OLD.state = 'submitted' AND NEW.state = 'approved' AND NOT EXISTS ("
        "SELECT 1 FROM questions_review r WHERE r.assessment_id = NEW.id "
        "AND r.decision = 'approve' AND r.content_hash = NEW.content_hash)",
        "a version is approved only by a review that signed its hash",
    ),
    _sqlite_trigger(
        "questions_assessment_returned_by_review",
        "BEFORE UPDATE ON questions_assessment",
        "OLD.state = 'submitted' AND NEW.state = 'returned' AND NOT EXISTS ("
        "SELECT 1 FROM questions_review r WHERE r.assessment_id = NEW.id "
        "AND r.decision = 'return')",
        "a version is returned only by a review that returned it",
    ),
    _sqlite_trigger(
        "questions_citation_added_to_frozen",
        "BEFORE INSERT ON questions_assessment_cited_evidence",
        "EXISTS (SELECT 1 FROM questions_assessment a WHERE a.id = NEW.assessment_id "
        "AND a.state <> 'draft')",
        "the evidence a frozen version cites never changes",
    ),
    _sqlite_trigger(
        "questions_citation_changed_in_frozen",
        "BEFORE UPDATE ON questions_assessment_cited_evidence",
        "EXISTS (SELECT 1 FROM questions_assessment a WHERE a.state <> 'draft' "
        "AND a.id IN (OLD.assessment_id, NEW.assessment_id))",
        "the evidence a frozen version cites never changes",
    ),
    _sqlite_trigger(
        "questions_review_of_submitted_version",
        "BEFORE INSERT ON questions_review",
        "(SELECT state FROM questions_assessment WHERE id = NEW.assessment_id) IS NOT 'submitted'",
        "only a submitted version is reviewed",
    ),
    _sqlite_trigger(
        "questions_review_names_real_people",
        "BEFORE INSERT ON questions_review",
        "NEW.assessment_author_id IS NOT "
        "(SELECT author_id FROM questions_assessment WHERE id = NEW.assessment_id) "
        "OR NEW.question_analyst_id IS NOT (SELECT q.assignee_id FROM questions_question q "
        "JOIN questions_assessment a ON a.question_id = q.id WHERE a.id = NEW.assessment_id)",
        "a review names the real author and the real analyst",
    ),
    _sqlite_trigger(
        "questions_review_by_assigned_reviewer",
        "BEFORE INSERT ON questions_review",
        "NEW.reviewer_id IS NOT (SELECT q.reviewer_id FROM questions_question q "
        "JOIN questions_assessment a ON a.question_id = q.id WHERE a.id = NEW.assessment_id)",
        "only the question''s assigned reviewer reviews it",
    ),
    _sqlite_trigger(
        "questions_review_two_person_rule",
        "BEFORE INSERT ON questions_review",
        "EXISTS (SELECT 1 FROM questions_assessment a JOIN questions_assessment o "
        "ON o.question_id = a.question_id WHERE a.id = NEW.assessment_id "
        "AND o.author_id = NEW.reviewer_id)",
        "two-person rule: the reviewer wrote a version of this assessment",
    ),
    _sqlite_trigger(
        "questions_review_immutable",
        "BEFORE UPDATE ON questions_review",
        "1",
        "a review, once recorded, never changes",
    ),
    _sqlite_trigger(
        "questions_transition_immutable",
        "BEFORE UPDATE ON questions_transition",
        "1",
        "transition records are immutable",
    ),
]

GUARDS = {"postgresql": POSTGRESQL, "sqlite": SQLITE}


def install(apps, schema_editor):
    for create, _drop in GUARDS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(create, None)


def remove(apps, schema_editor):
    for _create, drop in reversed(GUARDS.get(schema_editor.connection.vendor, [])):
        schema_editor.execute(drop, None)


class Migration(migrations.Migration):
    dependencies = [("questions", "0002_revision_notes_and_step_instants")]

    operations = [migrations.RunPython(install, remove)]
