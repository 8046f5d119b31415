"""Every hostile input a form can carry, through every page form into every field it has:
refused with the error by the field (forms that re-render: 200 with `form.errors[field]`;
the question page's small forms: a redirect with the error as a message) and nothing written,
or stored as the table says and shown escaped on the object's page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from evidence.forms import EvidenceForm, SourceForm
from evidence.models import Evidence, Source
from questions.choices import Status
from questions.forms import (
    AssessmentForm,
    CommentForm,
    HypothesisForm,
    LinkEvidenceForm,
    QuestionForm,
)
from questions.models import Assessment, Comment, EvidenceLink, Hypothesis, Question
from questions.visibility import visible_evidence, visible_teams
from tests import factories, stories
from tests.hostile_inputs import REFUSED
from tests.hostile_support import Findings, form_fields, inputs_for, outcome_name, table_counts


@dataclass(frozen=True)
class PageForm:
    name: str
    user: str
    url: Any  # ctx -> url
    form: Any  # ctx -> an unbound form (its fields are what the page accepts)
    base: Any  # ctx -> valid POST data
    model: type
    style: str  # "render": 200 with form errors; "redirect": 302 with a message
    page: Any  # (ctx, obj) -> the page that shows the object
    prefix: str = ""


@pytest.fixture
def ctx(lead, analyst, reviewer, team):
    cast = stories.Cast(lead, analyst, reviewer)
    question = stories.question_in(Status.IN_ANALYSIS, cast)
    stories.consider_hypotheses(question)
    evidence = stories.link_evidence(question, analyst, count=1)[0]
    return {
        "lead": lead,
        "analyst": analyst,
        "team": team,
        "question": question,
        "evidence": evidence,
        "source": evidence.source,
    }


def _question_form(c):
    teams = visible_teams(c["lead"])
    return QuestionForm(
        user=c["lead"], teams=teams, parents=Question.objects.filter(pk=c["question"].pk)
    )


def _evidence_form(c, instance=None):
    return EvidenceForm(
        user=c["analyst"],
        sources=Source.objects.all(),
        questions=Question.objects.filter(pk=c["question"].pk),
        teams=visible_teams(c["lead"]),
        instance=instance,
    )


EVIDENCE_BASE = {
    "summary": "An item",
    "original_language": "ar",
    "credibility": "3",
    "corroboration": "unconfirmed",
    "tlp": "amber",
}

PAGES = (
    PageForm(
        "question create",
        "lead",
        lambda c: reverse("questions:create"),
        _question_form,
        lambda c: {"title": "A question", "team": c["team"].pk, "priority": "2", "tlp": "amber"},
        Question,
        "render",
        lambda c, o: reverse("questions:detail", args=[o.pk]),
    ),
    PageForm(
        "source create",
        "lead",
        lambda c: reverse("evidence:source_create"),
        lambda c: SourceForm(),
        lambda c: {"name": "A source", "kind": "other", "reliability": "B"},
        Source,
        "render",
        lambda c, o: reverse("evidence:list") + "?q=",
    ),
    PageForm(
        "evidence create",
        "lead",
        lambda c: reverse("evidence:create"),
        _evidence_form,
        lambda c: {**EVIDENCE_BASE, "source": c["source"].pk, "owner_team": c["team"].pk},
        Evidence,
        "render",
        lambda c, o: reverse("evidence:detail", args=[o.pk]),
    ),
    PageForm(
        "evidence edit",
        "lead",
        lambda c: reverse("evidence:edit", args=[c["evidence"].pk]),
        lambda c: _evidence_form(c, instance=c["evidence"]),
        lambda c: {**EVIDENCE_BASE, "source": c["source"].pk, "owner_team": c["team"].pk},
        Evidence,
        "render",
        lambda c, o: reverse("evidence:detail", args=[o.pk]),
    ),
    PageForm(
        "assessment editor",
        "analyst",
        lambda c: reverse("questions:assessment", args=[c["question"].pk]),
        lambda c: AssessmentForm(
            evidence=visible_evidence(c["analyst"]), hypotheses=c["question"].hypotheses.all()
        ),
        lambda c: {"key_judgments": "We assess.", "likelihood_wording": "primary"},
        Assessment,
        "save",
        lambda c, o: reverse("questions:review", args=[c["question"].pk]),
    ),
    PageForm(
        "comment",
        "lead",
        lambda c: reverse("questions:comment", args=[c["question"].pk]),
        lambda c: CommentForm(),
        lambda c: {"body": "A comment"},
        Comment,
        "redirect",
        lambda c, o: reverse("questions:detail", args=[c["question"].pk]),
    ),
    PageForm(
        "hypothesis",
        "lead",
        lambda c: reverse("questions:hypothesis_add", args=[c["question"].pk]),
        lambda c: HypothesisForm(),
        lambda c: {"title": "A hypothesis"},
        Hypothesis,
        "redirect",
        lambda c, o: reverse("questions:detail", args=[c["question"].pk]),
    ),
    PageForm(
        "evidence link",
        "lead",
        lambda c: reverse("questions:link", args=[c["question"].pk]),
        lambda c: LinkEvidenceForm(evidence=Evidence.objects.all()),
        lambda c: {"evidence": factories.EvidenceFactory(owner_team=c["team"]).pk},
        EvidenceLink,
        "redirect",
        lambda c, o: reverse("questions:detail", args=[c["question"].pk]),
        prefix="link-",
    ),
)
# Form fields that are not columns of the object made (read back another way, or not at all).
NOT_COLUMNS = {"hypotheses", "question", "relevance", "team", "parent", "source", "owner_team"}


# Where the page certainly shows the stored text, it must be there, escaped.
SHOWN = {
    ("question create", "title"),
    ("question create", "body"),
    ("evidence create", "summary"),
    ("evidence create", "original_text"),
    ("comment", "body"),
    ("hypothesis", "title"),
}


def _stored_value(model, obj, name):
    value = getattr(obj, name, None)
    return value.pk if hasattr(value, "pk") else value


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_page_form_refuses_or_stores_every_hostile_input(client, ctx, page):
    client.force_login(ctx[page.user])
    findings = Findings(f"POST {page.url(ctx)}")
    valid = page.base(ctx)
    for target in form_fields(page.form(ctx), valid=valid):
        if target.name == "hypotheses":  # one per line, each a hypothesis title
            target = replace(target, max_length=Hypothesis._meta.get_field("title").max_length)
        for hostile, outcome in inputs_for(target, form=True):
            data = {**page.base(ctx), target.name: hostile.form_value_for(target)}
            if target.kind == "date" and hostile.name:
                data[target.name.replace("_on", "_precision")] = "day"
            data = {f"{page.prefix}{k}": v for k, v in data.items()}
            before = page.model.objects.order_by("-pk").values_list("pk", flat=True).first()
            counts = table_counts()
            response = client.post(page.url(ctx), data)
            findings.sent += 1
            if outcome is REFUSED:
                if page.style in ("render", "save"):
                    form = response.context and response.context.get("form")
                    errors = form.errors if form else {}
                    findings.check(
                        response.status_code == 200 and target.name in errors,
                        hostile,
                        target,
                        f"expected the form again with an error by the field, got "
                        f"{response.status_code} {dict(errors)!r:.200}",
                    )
                else:
                    findings.check(
                        response.status_code == 302, hostile, target, f"{response.status_code}"
                    )
                findings.check(table_counts() == counts, hostile, target, "rows written")
                continue
            if response.status_code != 302:
                form = response.context and response.context.get("form")
                findings.check(
                    False,
                    hostile,
                    target,
                    f"expected {outcome_name(outcome)}, got {response.status_code} "
                    f"{dict(form.errors) if form else ''!r:.300}",
                )
                continue
            obj = page.model.objects.order_by("-pk").first()
            if page.name == "evidence edit":
                obj = Evidence.objects.get(pk=ctx["evidence"].pk)
            elif obj is None or (obj.pk == before and page.style != "save"):
                findings.check(False, hostile, target, "nothing was written")
                continue
            if target.name not in NOT_COLUMNS and target.kind in ("line", "text", "url"):
                got = _stored_value(page.model, obj, target.name)
                findings.check(got == outcome.value, hostile, target, f"stored {got!r:.80} instead")
            if isinstance(outcome.value, str) and "<" in outcome.value:
                html = client.get(page.page(ctx, obj)).content.decode()
                findings.check(
                    outcome.value not in html, hostile, target, "shown unescaped on the page"
                )
                if (page.name, target.name) in SHOWN:
                    findings.check(
                        escape(outcome.value)[:60] in html,
                        hostile,
                        target,
                        "not shown (escaped) on the page",
                    )
    assert findings.sent > 40
    findings.assert_none()
