"""ACH ratings through the API: only a question's own evidence is rated against its hypotheses."""

from __future__ import annotations

import pytest

from questions.models import EvidenceLink, HypothesisRating
from tests import factories
from tests.api_support import assert_error, client_for
from tests.stories import Cast, question_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_analysis(lead, analyst, reviewer):
    return question_in("in_analysis", Cast(lead, analyst, reviewer))


def test_it_rates_linked_evidence(analyst, in_analysis, team):
    hypothesis = factories.HypothesisFactory(question=in_analysis)
    evidence = factories.EvidenceFactory(owner_team=team)
    EvidenceLink.objects.create(question=in_analysis, evidence=evidence)

    response = client_for(analyst).post(
        "/api/hypothesis-ratings/",
        {"hypothesis_id": hypothesis.pk, "evidence_id": evidence.pk, "rating": "inconsistent"},
    )

    assert response.status_code == 201, response.json()


def test_it_refuses_to_rate_evidence_not_linked_to_the_question(analyst, in_analysis, team):
    hypothesis = factories.HypothesisFactory(question=in_analysis)
    unlinked = factories.EvidenceFactory(owner_team=team)

    response = client_for(analyst).post(
        "/api/hypothesis-ratings/",
        {"hypothesis_id": hypothesis.pk, "evidence_id": unlinked.pk, "rating": "inconsistent"},
    )

    body = assert_error(response, 400)
    assert "evidence_id" in body["fields"]
    assert not HypothesisRating.objects.exists()
