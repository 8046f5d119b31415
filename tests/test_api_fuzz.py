"""Schemathesis against the live schema: for every operation, examples generated from the
schema, sent as the lead, the analyst and the reviewer. No answer is a 5xx, and every answer
(status, headers, body) is one the schema describes."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from questions.choices import Status
from tests import factories
from tests.stories import Cast, question_in
from tokens.services import issue_token

pytestmark = pytest.mark.django_db

# Bounded so the whole run stays well under a minute on two cores. Schemathesis's "coverage"
# phase (every boundary of every parameter) is left out: it takes about ten times as long. For a
# deeper run: IQTRACK_FUZZ_EXAMPLES=50 IQTRACK_FUZZ_PHASES=examples,coverage,fuzzing pytest …
EXAMPLES_PER_OPERATION = int(os.environ.get("IQTRACK_FUZZ_EXAMPLES", "5"))
PHASES = os.environ.get("IQTRACK_FUZZ_PHASES", "examples,fuzzing").split(",")

APP = get_wsgi_application()


@pytest.fixture
def tokens(lead, analyst, reviewer) -> dict[str, str]:
    """A token per role, and something to find: questions in several states, evidence, a
    hypothesis and an event."""
    cast = Cast(lead, analyst, reviewer)
    question_in(Status.IN_REVIEW, cast)
    question_in(Status.DRAFT, cast)
    factories.HypothesisFactory(question=question_in(Status.IN_ANALYSIS, cast))
    factories.EventFactory().evidence.add(factories.EvidenceFactory(tlp="green"))
    return {
        user.username: issue_token(user, name="schemathesis")[1]
        for user in (lead, analyst, reviewer)
    }


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Serve requests on the test's own connection and transaction, as Django's test client
    does: Django would otherwise close the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def live_schema(wsgi_in_test_transaction):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP)
    schema.config.generation.update(
        max_examples=EXAMPLES_PER_OPERATION, deterministic=True, database="none", no_shrink=True
    )
    schema.config.phases.update(phases=PHASES)
    return schema


schema = schemathesis.pytest.from_fixture("live_schema")


# A schema cannot say which ids exist or what the workflow allows now, so schema-valid data
# may rightly be refused (400 for an unknown `question_id`, for instance).
NOT_CHECKED = [positive_data_acceptance]


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_it_answers_every_generated_request_as_the_schema_says(case, tokens):
    for token in tokens.values():
        # A savepoint per request: a failure is reported on its own, not as a broken transaction
        # in every request after it.
        with transaction.atomic():
            case.call_and_validate(
                app=APP, headers={"Authorization": f"Bearer {token}"}, excluded_checks=NOT_CHECKED
            )
