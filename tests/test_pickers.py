"""Pickers (iqtrack/pickers.py): a choice among thousands is a short list plus a search as you
type; what may be chosen is still decided, and refused, by the server."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.choices import Tlp
from evidence.models import Evidence
from iqtrack.pickers import LIMIT
from questions.choices import Status
from tests import factories
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


def _options(html: str, select_id: str) -> str:
    start = html.index(f'id="{select_id}"')
    return html[start : html.index("</select>", start)]


def test_the_evidence_form_offers_a_few_sources_and_finds_the_others(client, analyst):
    sources = [factories.SourceFactory(name=f"Outlet {n:02}") for n in range(LIMIT + 10)]
    client.force_login(analyst)

    form = client.get(reverse("evidence:create")).content.decode()

    offered = _options(form, "id_source")
    assert offered.count("<option") == LIMIT + 1  # the newest, and the blank choice
    assert "Outlet 00" not in offered and f"Outlet {LIMIT + 9}" in offered
    assert 'aria-label="Find by name"' in form
    found = client.get(
        reverse("picker", args=["source"]), {"q": "outlet 0", "field": "source", "source": ""}
    ).content.decode()
    assert found.count("<option") == 11  # Outlet 00 to 09, and the blank choice
    assert f'<option value="{sources[0].pk}">Outlet 00 — C fairly reliable</option>' in found


def test_a_search_keeps_the_current_choice_selected(client, analyst):
    chosen = factories.SourceFactory(name="TASS")
    factories.SourceFactory(name="Reuters")
    client.force_login(analyst)

    found = client.get(
        reverse("picker", args=["source"]), {"q": "reuters", "field": "source", "source": chosen.pk}
    ).content.decode()

    assert f'<option value="{chosen.pk}" selected>TASS — C fairly reliable</option>' in found
    assert "Reuters" in found


def test_a_source_given_in_the_address_is_offered_and_selected(client, analyst):
    old = factories.SourceFactory(name="Al Mayadeen")
    for n in range(LIMIT + 5):
        factories.SourceFactory(name=f"Newer {n}")
    client.force_login(analyst)

    form = client.get(reverse("evidence:create"), {"source": old.pk}).content.decode()

    assert f'<option value="{old.pk}" selected>Al Mayadeen' in _options(form, "id_source")


def test_only_questions_the_user_may_link_to_are_offered_or_accepted(client, cast):
    analysing = question_in(Status.IN_ANALYSIS, cast, title="Analysing")
    draft = question_in(Status.DRAFT, cast, title="Still a draft")  # the lead's, not yet theirs
    source = factories.SourceFactory()
    client.force_login(cast.analyst)

    form = client.get(reverse("evidence:create")).content.decode()
    offered = _options(form, "id_question")
    found = client.get(
        reverse("picker", args=["evidence-question"]), {"q": "a", "field": "question"}
    ).content.decode()
    refused = client.post(
        reverse("evidence:create"),
        {
            "source": source.pk,
            "summary": "A delegation visited",
            "credibility": 3,
            "corroboration": "unconfirmed",
            "tlp": Tlp.AMBER,
            "owner_team": analysing.team.pk,
            "question": draft.pk,
        },
    )

    assert "Analysing" in offered and "Still a draft" not in offered
    assert "Analysing" in found and "Still a draft" not in found
    assert refused.status_code == 200
    assert "question" in refused.context["form"].errors
    assert not Evidence.objects.exists()


def test_the_evidence_form_reads_the_same_few_rows_however_many_questions(client, cast):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("evidence:create")).status_code == 200
        return len(captured)

    client.force_login(cast.lead)
    question_in(Status.OPEN, cast)
    factories.SourceFactory()
    few = queries()
    for _ in range(LIMIT + 5):
        question_in(Status.OPEN, cast)
        factories.SourceFactory()

    assert queries() == few


def test_pickers_answer_only_signed_in_users_and_only_by_name(client, analyst):
    assert client.get(reverse("picker", args=["source"])).status_code == 302
    client.force_login(analyst)
    assert client.get(reverse("picker", args=["nothing-of-that-name"])).status_code == 404


def test_the_question_form_offers_a_few_key_questions_and_finds_the_others(client, cast):
    oldest = question_in(Status.OPEN, cast, title="The oldest key question")
    for n in range(LIMIT + 5):
        question_in(Status.DRAFT, cast, title=f"Newer {n}")
    closed = question_in(Status.CLOSED, cast, title="A closed one")
    client.force_login(cast.lead)

    offered = _options(client.get(reverse("questions:create")).content.decode(), "id_parent")
    found = client.get(
        reverse("picker", args=["key-question"]), {"q": "oldest", "field": "parent"}
    ).content.decode()
    preset = client.get(reverse("questions:create"), {"parent": oldest.pk}).content.decode()

    assert offered.count("<option") == LIMIT + 1
    assert "The oldest key question" not in offered and closed.title not in offered
    assert f'<option value="{oldest.pk}">The oldest key question</option>' in found
    assert f'<option value="{oldest.pk}" selected>' in _options(preset, "id_parent")
