"""Prepared statements (iqtrack/prepared.py): which reads reuse their plans, and that nothing
else does; and that no read opens a server-side cursor (iqtrack/settings.py).

Read off PostgreSQL itself: `pg_prepared_statements` lists the statements this connection has
prepared, with how often each ran on a generic plan and on one made for its values."""

from __future__ import annotations

from unittest import mock

import psycopg
import pytest
from django.db import connection, transaction

from iqtrack.prepared import reused_plans, unfiltered_read
from questions.models import Question
from questions.visibility import visible_questions
from tests import factories

# On PostgreSQL, as the whole suite (make test): prepared statements are PostgreSQL's.
pytestmark = pytest.mark.django_db


def prepared() -> dict[str, tuple[int, int]]:
    """This connection's prepared statements: text → (generic plans, custom plans)."""
    # Never prepared itself (psycopg's own connection, prepare=False).
    rows = connection.connection.execute(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements",
        prepare=False,
    ).fetchall()
    return {text: (generic, custom) for text, generic, custom in rows}


def prepared_like(fragment: str) -> dict[str, tuple[int, int]]:
    return {text: plans for text, plans in prepared().items() if fragment in text}


@pytest.fixture(autouse=True)
def no_statement_left(db):
    """Each test starts from a connection with nothing prepared (psycopg forgets its own
    statements when it sees this command)."""
    connection.ensure_connection()
    connection.connection.execute("DEALLOCATE ALL", prepare=False)


def test_a_read_is_prepared_only_inside_reused_plans():
    question = factories.QuestionFactory()
    list(Question.objects.filter(pk=question.pk))
    assert prepared_like('FROM "questions_question"') == {}

    with reused_plans():
        list(Question.objects.filter(pk=question.pk))
    assert len(prepared_like('FROM "questions_question"')) == 1

    # Left: the next new query is sent unnamed again.
    list(Question.objects.filter(key=question.key))
    assert len(prepared_like('FROM "questions_question"')) == 1


def test_every_user_and_question_runs_one_statement(team, analyst, lead):
    """Bound on the server, a visibility read has one text whatever the user and the question,
    so one prepared statement serves them all."""
    questions = [factories.QuestionFactory(team=team) for _ in range(4)]
    with reused_plans():
        for question in questions:
            for user in (analyst, lead):
                assert visible_questions(user).filter(pk=question.pk).exists()
    statements = prepared_like('FROM "questions_question"')
    assert len(statements) == 1
    [(generic, custom)] = statements.values()
    assert generic + custom == len(questions) * 2


def test_reused_plans_when_false_changes_nothing(team, analyst):
    question = factories.QuestionFactory(team=team)
    with reused_plans(when=False):
        list(Question.objects.filter(pk=question.pk))
    assert prepared_like('FROM "questions_question"') == {}
    # Inside a block that reuses plans, it does not turn them off.
    with reused_plans(), reused_plans(when=False):
        list(Question.objects.filter(pk=question.pk))
    assert len(prepared_like('FROM "questions_question"')) == 1


def test_reused_plans_is_left_when_the_block_fails():
    with pytest.raises(ZeroDivisionError), reused_plans():
        _ = 1 / 0
    list(Question.objects.all())
    assert prepared() == {}


def test_a_question_page_prepares_its_reads_and_the_sign_in(client, team, analyst):
    question = factories.QuestionFactory(team=team, assignee=analyst)
    client.force_login(analyst)
    assert client.get(f"/questions/{question.pk}/").status_code == 200
    first = prepared()
    assert [text for text in first if 'FROM "django_session"' in text]
    assert [text for text in first if 'FROM "auth_user"' in text]
    assert [text for text in first if 'FROM "questions_evidencelink"' in text]
    assert client.get(f"/questions/{question.pk}/").status_code == 200
    second = prepared()
    # The second view prepared nothing new: it ran each of the first's statements again.
    assert second.keys() == first.keys()
    assert all(sum(second[text]) > sum(first[text]) for text in first)


def test_search_is_never_prepared(client, team, analyst):
    """Its plan depends on how common the word is, which a generic plan cannot know."""
    factories.EvidenceFactory(summary="Negotiations in Doha")
    client.force_login(analyst)
    assert client.get("/search/", {"q": "negotiations"}).status_code == 200
    assert client.get("/api/search/", {"q": "negotiations"}).status_code == 200
    assert prepared_like("tsquery") == {}
    assert prepared_like("@@") == {}


def test_the_question_list_api_is_not_prepared_but_one_question_is(client, team, lead):
    """The list's filter values decide its plan; one question is found by its id."""
    question = factories.QuestionFactory(team=team)
    client.force_login(lead)
    assert client.get("/api/questions/", {"status": "open"}).status_code == 200
    assert prepared_like('FROM "questions_question"') == {}
    assert client.get(f"/api/questions/{question.pk}/").status_code == 200
    assert prepared_like('FROM "questions_question"')


def test_an_unfiltered_api_list_is_prepared_and_a_filtered_one_is_not(client, team, lead):
    """Unfiltered, a list's SQL differs from user to user only by ids; paging and ordering
    change no value its plan depends on."""
    factories.QuestionFactory(team=team)
    client.force_login(lead)
    assert client.get("/api/questions/", {"q": "weapons"}).status_code == 200
    assert client.get("/api/hypotheses/", {"question_id": "1"}).status_code == 200
    assert prepared_like('FROM "questions_question"') == {}
    assert prepared_like('FROM "questions_hypothesis"') == {}

    assert (
        client.get("/api/questions/", {"page_size": "10", "ordering": "-due_at"}).status_code == 200
    )
    assert client.get("/api/hypotheses/").status_code == 200
    assert prepared_like('FROM "questions_question"')
    assert prepared_like('FROM "questions_hypothesis"')


def test_a_list_page_is_prepared_until_it_is_filtered(client, team, lead):
    factories.QuestionFactory(team=team)
    client.force_login(lead)
    assert client.get("/questions/", {"status": "open"}).status_code == 200
    assert prepared_like('FROM "questions_question"') == {}
    assert client.get("/questions/").status_code == 200
    assert prepared_like('FROM "questions_question"')


def test_the_header_unread_count_is_prepared_on_every_page(client, team, analyst):
    client.force_login(analyst)
    assert client.get("/search/", {"q": "negotiations"}).status_code == 200
    assert prepared_like('FROM "notifications_notification"')


@pytest.mark.parametrize(
    ("method", "query", "unfiltered"),
    [
        ("GET", "", True),
        ("GET", "page=2&page_size=10&ordering=-due_at", True),
        ("GET", "cursor=abc", True),
        ("HEAD", "before=2023-10-01T00:00:00Z~5", True),
        ("GET", "status=open", False),
        ("GET", "page=2&q=weapons", False),
        ("GET", "since=2023-10-01", False),
        ("POST", "", False),
    ],
)
def test_which_reads_count_as_unfiltered(rf, method, query, unfiltered):
    request = rf.generic(method, f"/questions/?{query}")
    assert unfiltered_read(request) is unfiltered


def test_other_reads_keep_client_side_binding_and_its_unlimited_parameters():
    """Bound on the server, a query takes at most 65,535 parameters; a bulk insert of 5,000
    questions has 90,000. Outside reused_plans the values are merged into the text, as Django's
    own cursor does."""
    question = factories.QuestionFactory()
    ids = [question.pk, *range(-70_000, 0)]
    assert Question.objects.filter(pk__in=ids).count() == 1
    assert prepared() == {}


def test_a_form_reads_its_choices_without_a_server_side_cursor(client, team, lead):
    """Django reads a select's choices by iterator(); a server-side cursor for them cost three
    round trips per select (iqtrack/settings.py turns them off)."""
    client.force_login(lead)
    refused = AssertionError("a server-side cursor was opened")
    with mock.patch.object(psycopg.ServerCursor, "execute", side_effect=refused):
        assert client.get("/questions/new/").status_code == 200
        assert client.get("/evidence/new/").status_code == 200


# Generic plans from the first run (reused_plans(generic=True), BaseViewSet.generic_plans).
# PostgreSQL's setting is changed outside transactions only: these tests commit as they go.


def _plans_of(table: str) -> tuple[int, int]:
    """(generic, custom) runs of the statements that read `table`, together."""
    found = prepared_like(f'FROM "{table}"').values()
    return sum(g for g, _c in found), sum(c for _g, c in found)


@pytest.mark.django_db(transaction=True)
def test_a_generic_block_runs_its_statements_on_their_generic_plan_from_the_first_run():
    question = factories.QuestionFactory()
    with reused_plans(generic=True):
        list(Question.objects.filter(pk=question.pk))
        with reused_plans():  # a nested block (the token's read) keeps the enclosing choice
            list(Question.objects.filter(pk=question.pk))
    assert _plans_of("questions_question") == (2, 0)

    with reused_plans():  # back to PostgreSQL's own choice: custom plans for the first runs
        list(Question.objects.filter(pk=question.pk))
    assert _plans_of("questions_question") == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_the_lists_measured_faster_on_generic_plans_run_on_them_and_the_others_do_not(
    client, team, lead
):
    factories.QuestionFactory(team=team)
    client.force_login(lead)
    for path, table, generic in [
        ("/api/transitions/", "questions_transition", True),
        ("/api/assessments/", "questions_assessment", True),
        ("/api/evidence-links/", "questions_evidencelink", True),
        ("/api/hypothesis-ratings/", "questions_hypothesisrating", True),
        # Its generic plan took five times as long at the benchmark's scale.
        ("/api/reviews/", "questions_review", False),
    ]:
        assert client.get(path).status_code == 200
        on_generic, on_custom = _plans_of(table)
        if generic:
            assert on_generic >= 1 and on_custom == 0, path
        else:
            assert on_generic == 0 and on_custom >= 1, path


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_setting_is_left_as_it_is():
    """A rollback would undo it unseen; the statement runs on PostgreSQL's own choice."""
    question = factories.QuestionFactory()
    with reused_plans():  # the connection on PostgreSQL's own choice
        list(Question.objects.filter(key=question.key))
    with transaction.atomic(), reused_plans(generic=True):
        list(Question.objects.filter(pk=question.pk))
    assert prepared_like('"questions_question"."id" =') and all(
        plans == (0, 1) for plans in prepared_like('"questions_question"."id" =').values()
    )
