"""Repeat reads are answered from the cache only while the database is exactly as it was.

These tests commit for real (transactional): the cache keys on PostgreSQL's snapshot, which only
moves when a transaction finishes, and an ordinary test runs inside one transaction. The
snapshot is the whole server's, so another test worker's commit also makes the next read new:
a test that expects a read to be reused checks that nothing finished meanwhile, and tries again
if something did (`undisturbed`). The clock stands still unless a test moves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Concat
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse

from iqtrack.response_cache import cached_read, database_state
from questions.choices import Status
from questions.models import Question
from tests import factories
from tokens.services import issue_token

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")
CSRF_SECRET = "k" * 32  # a browser holds the csrftoken cookie the first page set


def signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


def read(client: Client, url: str, **headers) -> tuple[int, bytes]:
    """Queries a GET ran, and its body."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries), response.content


@pytest.fixture(autouse=True)
def still_clock():
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        yield


def undisturbed(action: Callable[[], T]) -> T:
    """`action()`'s result from a try during which no transaction on the server finished."""
    for _ in range(50):
        before = database_state()
        result = action()
        if database_state() == before:
            return result
    pytest.fail("the database server was never quiet for the length of a few requests")


@pytest.fixture
def question(team, lead, analyst):
    return factories.QuestionFactory(team=team, title="Who supplied the rockets?", assignee=analyst)


# Every page a GET reads, with what it is about (`{question}`, `{evidence}`, `{actor}`).
READ_PAGES = [
    "/",
    "/questions/",
    "/questions/new/",  # read by the lead, who writes questions
    "/questions/{question}/",
    "/questions/{question}/ach/",
    "/questions/{question}/timeline/",
    "/questions/{question}/assessment/",
    "/questions/{question}/review/",
    "/timeline/",
    "/search/?q=rockets",
    "/actors/",
    "/actors/{actor}/",
    "/evidence/",
    "/evidence/new/",
    "/evidence/{evidence}/",
    "/evidence/{evidence}/edit/",
    "/evidence/sources/new/",
    "/notifications/",
    "/notifications/preferences/",
    "/pickers/key-question/?q=rockets",
]


@pytest.mark.parametrize("page", READ_PAGES)
def test_a_repeat_view_reads_only_the_session_the_user_and_the_snapshot(
    page, question, lead, analyst
):
    # In analysis, read by its analyst: the one who may open the assessment form.
    Question.objects.filter(pk=question.pk).update(status=Status.IN_ANALYSIS)
    item = factories.EvidenceFactory(owner_team=question.team, created_by=analyst)
    question.evidence_links.create(evidence=item, linked_by=analyst)
    actor = factories.ActorFactory()
    url = page.format(question=question.pk, evidence=item.pk, actor=actor.pk)
    client = signed_in(lead if page == "/questions/new/" else analyst)
    first = read(client, url)[0]
    body, (again, same) = undisturbed(lambda: (read(client, url)[1], read(client, url)))
    assert first > 3
    assert again == 3  # session, user, pg_current_snapshot()
    assert same == body


def test_the_snapshot_is_read_before_the_session_and_the_user(question, lead):
    client = signed_in(lead)

    def twice():
        read(client, reverse("questions:board"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("questions:board"))
        return [q["sql"] for q in queries.captured_queries]

    sql = undisturbed(twice)
    assert len(sql) == 3
    assert sql[0] == "SELECT pg_current_snapshot()::text"
    assert "django_session" in sql[1] and "auth_user" in sql[2]


# The pages that are not reused, and why. Every other page must be: a new page fails
# test_every_page_is_reused_or_says_why_not until it is marked @cached_read or listed here.
NOT_REUSED = {
    "healthz": "a probe of the services, never kept",
    "login": "signed out: only signed-in reads are kept",
    "logout": "signs out",
    **dict.fromkeys(
        (
            "questions:action",
            "questions:comment",
            "questions:hypothesis_add",
            "questions:link",
            "questions:rate",
            "notifications:mark_read",
            "notifications:mark_all_read",
        ),
        "POST only: a write, and a GET is refused",
    ),
}


def page_patterns(patterns=None, namespace=""):
    """(name, view) of every URL outside the admin and the API (whose viewsets reuse reads by
    default, iqtrack.api.base.BaseViewSet.cache_reads)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) in ("admin/", "api/"):
                continue
            inner = ":".join(filter(None, (namespace, pattern.namespace)))
            yield from page_patterns(pattern.url_patterns, inner)
        else:
            yield ":".join(filter(None, (namespace, pattern.name))), pattern.callback


def test_every_page_is_reused_or_says_why_not():
    pages = dict(page_patterns())
    assert set(NOT_REUSED) <= set(pages)  # the list names no page that is gone
    unmarked = {name for name, view in pages.items() if not getattr(view, "reuses_reads", False)}
    assert unmarked == set(NOT_REUSED)


@pytest.mark.parametrize(
    "name", [n for n, why in NOT_REUSED.items() if why.startswith("POST only")]
)
def test_the_pages_listed_as_writes_refuse_a_get(name, question, lead):
    kwargs = {"pk": question.pk}
    if name == "questions:action":
        kwargs["action"] = "assign"
    elif name == "questions:rate":
        kwargs["evidence_pk"] = factories.EvidenceFactory(owner_team=question.team).pk
    elif name == "notifications:mark_all_read":
        kwargs = {}
    assert signed_in(lead).get(reverse(name, kwargs=kwargs)).status_code == 405


def test_a_page_without_reuse_reads_no_snapshot(question, lead):
    client = signed_in(lead)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("login"))
    assert not any("pg_current_snapshot" in q["sql"] for q in queries.captured_queries)


def test_the_question_page_and_its_ach_matrix_are_reused(question, lead):
    client = signed_in(lead)
    urls = (reverse("questions:detail", args=[question.pk]), f"/questions/{question.pk}/ach/")
    made, again = undisturbed(
        lambda: ([read(client, url)[1] for url in urls], [read(client, url) for url in urls])
    )
    assert made[0] != made[1]
    assert again == [(3, body) for body in made]


def test_a_write_through_the_orm_shows_on_the_next_view(question, lead):
    client = signed_in(lead)
    read(client, reverse("questions:board"))
    factories.QuestionFactory(team=question.team, title="Was the payment routed via Dubai?")
    queries, body = read(client, reverse("questions:board"))
    assert queries > 3
    assert b"Was the payment routed via Dubai?" in body


def test_a_bulk_update_that_sends_no_signal_shows_on_the_next_view(question, lead):
    client = signed_in(lead)
    url = reverse("questions:detail", args=[question.pk])
    read(client, url)
    Question.objects.filter(pk=question.pk).update(title=Concat(F("title"), F("title")))
    assert b"Who supplied the rockets?Who supplied the rockets?" in read(client, url)[1]


def test_a_write_in_raw_sql_shows_on_the_next_view(question, lead):
    client = signed_in(lead)
    url = reverse("questions:detail", args=[question.pk])
    read(client, url)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE questions_question SET title = %s WHERE id = %s", ["Renamed", question.pk]
        )
    assert b"Renamed" in read(client, url)[1]


def test_a_rolled_back_write_leaves_no_trace(question, lead):
    client = signed_in(lead)
    url = reverse("questions:detail", args=[question.pk])
    read(client, url)
    with pytest.raises(RuntimeError), transaction.atomic():
        Question.objects.filter(pk=question.pk).update(title="Never committed")
        raise RuntimeError
    assert b"Never committed" not in read(client, url)[1]


def test_users_never_share_an_answer(question, lead, outsider):
    mine, theirs = signed_in(lead), signed_in(outsider)  # signing in writes: both before reading
    read(mine, reverse("questions:board"))
    queries, body = read(theirs, reverse("questions:board"))
    assert queries > 3
    assert b"Who supplied the rockets?" not in body


def test_pages_are_kept_per_session_and_csrf_cookie_and_their_forms_still_post(question, lead):
    url = reverse("questions:detail", args=[question.pk])
    first, other_session = signed_in(lead), signed_in(lead)  # signing in writes: before reading
    other_cookie = Client(enforce_csrf_checks=True)
    other_cookie.cookies["sessionid"] = first.cookies["sessionid"].value  # the same session
    other_cookie.cookies["csrftoken"] = "m" * 32
    read(first, url)
    # A page carries CSRF tokens minted from the cookie's secret, and the session is the user's
    # sign-in: neither another session nor another cookie gets this page.
    assert read(other_session, url)[0] > 3
    assert read(other_cookie, url)[0] > 3
    # A form on a reused page still posts: its token belongs to this client's cookie.
    queries, page = undisturbed(lambda: (read(other_cookie, url), read(other_cookie, url))[1])
    assert queries == 3
    page = page.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = other_cookie.post(
        reverse("questions:comment", args=[question.pk]),
        {"csrfmiddlewaretoken": token, "body": "Checked the shipping manifests."},
    )
    assert response.status_code == 302


def test_without_a_csrf_cookie_a_page_is_made_afresh(question, lead):
    client = signed_in(lead)
    del client.cookies["csrftoken"]
    first = read(client, reverse("questions:board"))[0]
    del client.cookies["csrftoken"]  # the answer set one; this client keeps refusing it
    assert read(client, reverse("questions:board"))[0] == first


def test_a_new_period_makes_pages_afresh_because_they_say_overdue_and_minutes_ago(
    question, lead, settings
):
    settings.RESPONSE_CACHE_SECONDS = 60
    client = signed_in(lead)
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, 1, tzinfo=dt.UTC), tick=False):
        again = undisturbed(
            lambda: (
                read(client, reverse("questions:board")),
                read(client, reverse("questions:board")),
            )
        )[1][0]
        assert again == 3
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 1, 1, tzinfo=dt.UTC), tick=False):
        assert read(client, reverse("questions:board"))[0] > 3


def test_an_htmx_fragment_and_the_whole_page_are_kept_apart(question, lead):
    client = signed_in(lead)
    _, whole = read(client, reverse("questions:board"))
    _, fragment = read(client, reverse("questions:board"), HTTP_HX_REQUEST="true")
    assert fragment != whole
    assert b"<html" in whole and b"<html" not in fragment


def test_setting_the_period_to_zero_turns_reuse_off(question, lead, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    client = signed_in(lead)
    first = read(client, reverse("questions:board"))[0]
    assert read(client, reverse("questions:board"))[0] == first


def test_a_page_showing_a_one_time_message_is_neither_served_from_nor_kept(lead):
    calls = []

    @cached_read
    def view(request):
        calls.append([m.message for m in get_messages(request)])
        return HttpResponse("page")

    session = SessionStore()
    session.create()  # a write: before the snapshots are read

    attempts = iter(range(1000))

    def request(message: str | None, path: str):
        request = RequestFactory().get(path, HTTP_COOKIE=f"csrftoken={CSRF_SECRET}")
        request.database_state = database_state()  # as SnapshotMiddleware sets it
        request.user = lead
        request.session = session
        request._messages = FallbackStorage(request)
        if message:
            request._messages.add(20, message)
        return request

    def four_views():
        calls.clear()
        # A path of its own per try: what an earlier, disturbed try kept is not this one's.
        path = f"/?try={next(attempts)}"
        for message in ("Comment added.", None, "Hypothesis added.", None):
            view(request(message, path))
        return list(calls)

    # The first plain request was kept and reused; neither request with a message was served
    # from or kept in the cache.
    assert undisturbed(four_views) == [["Comment added."], [], ["Hypothesis added."]]


def test_an_api_read_is_reused_with_its_etag(question, lead):
    _, secret = issue_token(lead, name="cache")
    client = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    url = f"/api/questions/{question.pk}/"
    client.get(url)  # records the token's use: a write, so this answer's key is already past

    def twice():
        first = client.get(url)
        with CaptureQueriesContext(connection) as queries:
            again = client.get(url)
        return first, again, len(queries)

    first, again, queries = undisturbed(twice)
    assert queries == 2  # pg_current_snapshot(), the token with its user
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == "application/json"


def test_every_api_list_search_and_ach_answers_are_reused(question, lead):
    _, secret = issue_token(lead, name="cache")
    client = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    client.get("/api/questions/")  # records the token's use (a write)
    for url in (
        "/api/questions/?status=open",
        "/api/search/?q=rockets",
        f"/api/questions/{question.pk}/ach/",
        *(
            f"/api/{things}/"
            for things in (
                "hypotheses",
                "evidence-links",
                "hypothesis-ratings",
                "assessments",
                "reviews",
                "comments",
                "transitions",
                "sources",
                "evidence",
                "actors",
                "events",
                "notifications",
                "teams",
                "users",
            )
        ),
    ):

        def twice(url=url):
            first = client.get(url)
            with CaptureQueriesContext(connection) as queries:
                again = client.get(url)
            return first, again, len(queries)

        first, again, queries = undisturbed(twice)
        assert (first.status_code, again.content) == (200, first.content)
        assert queries == 2


def test_a_revoked_token_is_refused_even_where_its_answer_was_kept(question, lead):
    token, secret = issue_token(lead, name="cache")
    client = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    url = f"/api/questions/{question.pk}/"
    assert client.get(url).status_code == 200
    token.delete()
    assert client.get(url).status_code == 401


@pytest.mark.django_db(transaction=False)
def test_inside_a_transaction_nothing_is_reused(question, lead):
    assert connection.in_atomic_block
    assert database_state() is None
    client = signed_in(lead)
    first = read(client, reverse("questions:board"))[0]
    assert read(client, reverse("questions:board"))[0] == first
