"""Hostile query strings through every list filter of the API, the search endpoint and the pages
that read the query string: a 400 naming the parameter or an answer, never a 500, never the
text reflected unescaped, and never a row written."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from iqtrack.api.urls import router
from questions.choices import Status
from tests import stories
from tests.api_support import client_for
from tests.hostile_inputs import FILTER_VALUES, PWN, QUERIES, RAW_QUERIES
from tests.hostile_support import error_body, table_counts

LISTS = [
    (prefix, viewset)
    for prefix, viewset, _ in router.registry
    if getattr(viewset, "filterset_class", None) is not None
]
PAGES = [
    ("questions:search", "q"),
    ("evidence:list", "q"),
    ("questions:board", "team"),
    ("questions:board", "assignee"),
    ("questions:board", "priority"),
    ("questions:team_timeline", "team"),
    ("questions:create", "parent"),
]


@pytest.fixture
def seen(lead, analyst, reviewer):
    """Something to find, so a filter that leaks or breaks has rows to do it with."""
    return stories.question_in(Status.IN_REVIEW, stories.Cast(lead, analyst, reviewer))


def _answered_cleanly(response, parameter: str) -> str:
    if response.status_code == 200:
        return ""
    body = error_body(response)
    if (
        response.status_code == 400
        and body
        and any(key == parameter or key.startswith(f"{parameter}.") for key in body["fields"])
    ):
        return ""
    return f"{response.status_code} {response.content[:200]!r}"


@pytest.mark.parametrize("prefix,viewset", LISTS, ids=[p for p, _ in LISTS])
def test_every_list_filter_answers_or_names_the_parameter(seen, lead, prefix, viewset):
    client = client_for(lead)
    counts = table_counts()
    problems, sent = [], 0
    names = list(viewset.filterset_class.base_filters)
    for name in names:
        values = {**FILTER_VALUES, **QUERIES} if name == "q" else FILTER_VALUES
        for label, value in values.items():
            response = client.get(f"/api/{prefix}/", {name: value})
            sent += 1
            if why := _answered_cleanly(response, name):
                problems.append(f"{prefix}?{name}= {label}: {why}")
        for label, raw in RAW_QUERIES.items():
            response = client.get(f"/api/{prefix}/?{name}={raw}")
            sent += 1
            if why := _answered_cleanly(response, name):
                problems.append(f"{prefix}?{name}= {label}: {why}")
    assert table_counts() == counts
    assert sent >= len(names) * len(FILTER_VALUES)
    assert not problems, "\n".join(problems)


def test_the_search_endpoint_answers_every_hostile_query_or_names_q(seen, lead):
    client = client_for(lead)
    problems = []
    for label, value in QUERIES.items():
        for kind in ("question", "evidence", "source", "actor"):
            response = client.get("/api/search/", {"q": value, "kind": kind})
            if why := _answered_cleanly(response, "q"):
                problems.append(f"search {label} ({kind}): {why}")
    for label, raw in RAW_QUERIES.items():
        response = client.get(f"/api/search/?q={raw}")
        if why := _answered_cleanly(response, "q"):
            problems.append(f"search {label}: {why}")
    for name, value in {"limit": "99999999999999999999", "kind": "../../etc"}.items():
        response = client.get("/api/search/", {"q": "x", name: value})
        if why := _answered_cleanly(response, name):
            problems.append(f"search {name}: {why}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("url_name,parameter", PAGES)
def test_pages_read_hostile_query_strings_without_breaking_or_reflecting(
    client, seen, lead, url_name, parameter
):
    client.force_login(lead)
    url = reverse(url_name)
    counts = table_counts()
    problems = []
    values = {**QUERIES, **FILTER_VALUES}
    sent = [f"{parameter}={quote(v, safe='')}" for v in values.values()]
    sent += [f"{parameter}={raw}" for raw in RAW_QUERIES.values()]
    for query in sent:
        response = client.get(f"{url}?{query}")
        if response.status_code not in (200, 404):
            problems.append(f"{url}?{query[:60]}: {response.status_code}")
        elif f"<script>{PWN}" in response.content.decode():
            problems.append(f"{url}?{query[:60]}: reflected unescaped")
    assert table_counts() == counts
    assert not problems, "\n".join(problems)
