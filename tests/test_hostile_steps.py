"""Every hostile input through the bodies of the workflow steps (POST /api/questions/{id}/<step>/
and the question page's step forms): refused with a 400 naming the field and no transition,
review or history written, or taken with the text stored on the transition."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questions.choices import Status
from questions.models import Transition
from tests import stories
from tests.api_support import client_for
from tests.hostile_inputs import REFUSED, Field, encode
from tests.hostile_support import Findings, inputs_for, outcome_name, refused_properly, table_counts

# step: (state it starts from, who takes it, its text field, required by the workflow)
STEPS = {
    "publish": (Status.DRAFT, "lead", "comment", False),
    "start": (Status.ASSIGNED, "analyst", "comment", False),
    "submit": (Status.IN_ANALYSIS, "analyst", "comment", False),
    "approve": (Status.IN_REVIEW, "reviewer", "comment", False),
    "return": (Status.IN_REVIEW, "reviewer", "comment", True),
    "close": (Status.OPEN, "lead", "reason", True),
    "reopen": (Status.ASSESSED, "lead", "reason", True),
}


def _question(cast, state):
    question = stories.question_in(state, cast)
    if state == Status.IN_ANALYSIS:
        stories.write_draft(question, cast.analyst)
    return question


@pytest.mark.parametrize("step", STEPS)
def test_a_step_refuses_or_records_every_hostile_text(lead, analyst, reviewer, step):
    cast = stories.Cast(lead, analyst, reviewer)
    state, who, name, required = STEPS[step]
    client = client_for(getattr(cast, who))
    target = Field(name, "text", required=required)
    findings = Findings(f"POST /api/questions/{{id}}/{step}/")
    reused = _question(cast, state)
    for hostile, outcome in inputs_for(target):
        if hostile.name == "10 MB string" and findings.sent_huge:
            continue
        findings.sent_huge |= hostile.name == "10 MB string"
        question = reused if outcome is REFUSED else _question(cast, state)
        counts = table_counts()
        response = client.post(
            f"/api/questions/{question.pk}/{step}/",
            encode({name: hostile.value_for(target)}),
            content_type="application/json",
        )
        findings.sent += 1
        if outcome is REFUSED:
            ok, why = refused_properly(response, name)
            findings.check(ok, hostile, target, f"expected refused, got {why}")
            findings.check(table_counts() == counts, hostile, target, "rows written")
            question.refresh_from_db()
            findings.check(question.status == state, hostile, target, "status changed")
            continue
        if response.status_code != 200:
            findings.check(
                False,
                hostile,
                target,
                f"expected {outcome_name(outcome)}, got {response.status_code} "
                f"{response.content[:200]!r}",
            )
            continue
        transition = Transition.objects.filter(question=question).latest("created_at", "id")
        findings.check(
            transition.comment == outcome.value,
            hostile,
            target,
            f"transition says {transition.comment!r:.80}",
        )
        history = client.get(f"/api/questions/{question.pk}/history/")
        findings.check(history.status_code == 200, hostile, target, "history unreadable")
    assert findings.sent > 40
    findings.assert_none()


@pytest.mark.parametrize("step", ["return", "close", "approve"])
def test_the_page_step_forms_refuse_bad_text_instead_of_dropping_it(
    client, lead, analyst, reviewer, step
):
    """Before, a comment the form refused was dropped and the step taken without it."""
    cast = stories.Cast(lead, analyst, reviewer)
    state, who, name, _ = STEPS[step]
    question = _question(cast, state)
    client.force_login(getattr(cast, who))
    counts = table_counts()
    response = client.post(
        reverse("questions:action", args=[question.pk, step]),
        {f"{step}-{name}": "Looks fine\x07 to me"},
        follow=True,
    )
    assert response.status_code == 200
    assert "control character U+0007" in response.content.decode()
    assert table_counts() == counts
    question.refresh_from_db()
    assert question.status == state
