"""A question's history tells the whole story: who did what, when, and why."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from questions import workflow
from questions.assessments import save_draft
from questions.audit import save_attributed
from questions.choices import Likelihood, Status
from questions.comments import add_comment
from questions.history import question_history
from questions.models import EvidenceLink, Hypothesis, Question, Transition
from tests import factories
from tests.stories import Cast, consider_hypotheses, link_evidence, question_in

pytestmark = pytest.mark.django_db

START = dt.datetime(2024, 3, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


def test_the_story_of_a_return_a_revision_and_an_approval(cast, team, superuser):
    with time_machine.travel(START, tick=False) as clock:

        def later(minutes: int = 10) -> None:
            clock.shift(dt.timedelta(minutes=minutes))

        question = Question(team=team, title="Did Russia help Hamas prepare 7 October?")
        save_attributed(question, cast.lead, reason="asked")
        later()
        workflow.publish(question, cast.lead)
        later()
        workflow.assign(
            question,
            cast.lead,
            analyst=cast.analyst,
            reviewer=cast.reviewer,
            due_at=START + dt.timedelta(days=14),
        )
        later()
        workflow.start(question, cast.analyst)
        later()
        meeting, weapons = link_evidence(question, cast.analyst)
        consider_hypotheses(question)
        save_draft(
            question,
            cast.analyst,
            key_judgments="Moscow met Hamas leaders in March 2023.",
            likelihood=Likelihood.LIKELY,
            confidence="moderate",
            cited_evidence=[meeting, weapons],
        )
        later()
        add_comment(question, cast.analyst, "Ready for a first read.")
        workflow.submit(question, cast.analyst)
        later(60)
        workflow.return_(question, cast.reviewer, comment="The weapons item is single-source.")
        later(60)
        save_draft(
            question,
            cast.analyst,
            likelihood=Likelihood.ROUGHLY_EVEN,
            cited_evidence=[meeting],
            change_note="Dropped the single-source weapons item; lowered the likelihood.",
        )
        later()
        workflow.submit(question, cast.analyst)
        later(30)
        workflow.approve(question, cast.reviewer, comment="Sound now.")

    story = question_history(question, superuser)

    steps = [
        (e.at - START, e.actor_name, e.action, e.from_status, e.to_status)
        for e in story
        if e.kind == "transition"
    ]
    minutes = lambda n: dt.timedelta(minutes=n)  # noqa: E731
    assert steps == [
        (minutes(10), "lead", "publish", "draft", "open"),
        (minutes(20), "lead", "assign", "open", "assigned"),
        (minutes(30), "analyst", "start", "assigned", "in_analysis"),
        (minutes(50), "analyst", "submit", "in_analysis", "in_review"),
        (minutes(110), "reviewer", "return", "in_review", "in_analysis"),
        (minutes(180), "analyst", "submit", "in_analysis", "in_review"),
        (minutes(210), "reviewer", "approve", "in_review", "assessed"),
    ]
    assert [e.at for e in story] == sorted(e.at for e in story)

    by_summary = {e.summary: e for e in story}
    assert "lead created question" in by_summary
    assign = by_summary["lead assigned the question (open → assigned)"]
    assert {(c.label, c.before, c.after) for c in assign.changes} >= {
        ("analyst", "—", "analyst"),
        ("reviewer", "—", "reviewer"),
        ("due", "—", "2024-03-30 09:00 UTC"),
    }
    returned = by_summary["reviewer returned version 1 to the analyst (in review → in analysis)"]
    assert returned.comment == "The weapons item is single-source."
    assert returned.review.decision == "return"
    assert any(c.subject == "assessment v1" and c.after == "Returned" for c in returned.changes)

    revision = by_summary["analyst created assessment v2"]
    revised = {c.label: (c.before, c.after) for c in revision.changes}
    assert revised["change note"][1].startswith("Dropped the single-source weapons item")
    assert revised["likelihood"][1].startswith("roughly even chance")
    assert revised["cited evidence"][1] == str(meeting)

    approved = by_summary["reviewer approved version 2 (in review → assessed)"]
    v2 = question.assessments.get(version=2)
    assert (approved.comment, approved.review.version) == ("Sound now.", 2)
    assert approved.review.content_hash == v2.content_hash

    comment = next(e for e in story if e.kind == "comment")
    assert (comment.actor, comment.comment) == (cast.analyst, "Ready for a first read.")
    assert "analyst submitted version 2 for review (in analysis → in review)" in by_summary


class TestEveryStepIsRecorded:
    @pytest.mark.parametrize(
        ("state", "step", "kwargs", "actor"),
        [
            (Status.DRAFT, workflow.publish, {}, "lead"),
            (Status.ASSIGNED, workflow.start, {}, "analyst"),
            (Status.IN_REVIEW, workflow.approve, {"comment": "Sound."}, "reviewer"),
            (Status.IN_REVIEW, workflow.return_, {"comment": "Weak."}, "reviewer"),
            (Status.ASSESSED, workflow.reopen, {"reason": "New reporting."}, "lead"),
            (Status.OPEN, workflow.close, {"reason": "Overtaken."}, "lead"),
        ],
    )
    def test_with_its_transition_and_history_row(self, cast, state, step, kwargs, actor, superuser):
        question = question_in(state, cast)
        who = getattr(cast, actor)

        transition = step(question, who, **kwargs)

        stored = Transition.objects.get(pk=transition.pk)
        assert (stored.actor, stored.from_status, stored.to_status) == (who, state, question.status)
        assert stored.comment == next(iter(kwargs.values()), "")
        row = question.history.first()
        assert (row.history_user, row.history_date, row.status) == (
            who,
            stored.created_at,
            question.status,
        )
        assert row.history_change_reason.startswith(stored.get_action_display())
        last = question_history(question, superuser)[-1]
        assert (last.kind, last.action, last.actor, last.comment) == (
            "transition",
            stored.action,
            who,
            stored.comment,
        )

    def test_a_transition_record_never_changes(self, cast):
        question = question_in(Status.OPEN, cast)
        transition = question.transitions.get()

        with pytest.raises(ValueError):
            transition.save()
        with pytest.raises(ValueError):
            transition.delete()
        with pytest.raises(IntegrityError), transaction.atomic():
            Transition.objects.filter(pk=transition.pk).update(comment="rewritten")
        with pytest.raises(IntegrityError), transaction.atomic():
            Transition.objects.filter(pk=transition.pk)._raw_delete(using="default")


class TestEditsOutsideTheWorkflow:
    def test_hypotheses_are_told_with_before_and_after(self, cast, superuser):
        question = question_in(Status.IN_ANALYSIS, cast)
        hypothesis = Hypothesis(question=question, title="Direct Russian support")
        save_attributed(hypothesis, cast.lead)
        hypothesis.title = "Russian support through Iran"
        save_attributed(hypothesis, cast.analyst, reason="narrowed")
        hypothesis._history_user = cast.analyst
        hypothesis.delete()

        told = [
            e for e in question_history(question, superuser) if e.subject.startswith("hypothesis")
        ]

        assert [(e.kind, e.actor) for e in told] == [
            ("created", cast.lead),
            ("changed", cast.analyst),
            ("deleted", cast.analyst),
        ]
        change = told[1].changes[0]
        assert (change.label, change.before, change.after) == (
            "title",
            "Direct Russian support",
            "Russian support through Iran",
        )
        assert told[1].comment == "narrowed"

    def test_linked_evidence_is_told_from_the_time_it_was_linked(self, cast, superuser):
        question = question_in(Status.IN_ANALYSIS, cast)
        evidence = factories.EvidenceFactory(summary="Hamas delegation in Moscow")
        evidence.summary = "Hamas delegation in Moscow, 16 March 2023"
        save_attributed(evidence, cast.analyst)  # before it is linked: not this story
        save_attributed(EvidenceLink(question=question, evidence=evidence), cast.analyst)
        evidence.credibility = 2
        save_attributed(evidence, cast.analyst)

        told = [
            e for e in question_history(question, superuser) if e.subject.startswith("evidence “")
        ]

        assert len(told) == 1
        assert (told[0].changes[0].label, told[0].changes[0].after) == (
            "credibility",
            "2 — probably true",
        )

    def test_edits_by_nobody_in_particular_still_appear(self, cast, superuser):
        question = question_in(Status.OPEN, cast)
        Question.objects.get(pk=question.pk).save()  # a save that changed nothing
        row = Question.objects.get(pk=question.pk)
        row.title = "Retitled"
        row.save()

        told = [e for e in question_history(question, superuser) if e.kind == "changed"]

        assert [(e.actor_name, e.changes[0].after) for e in told] == [
            ("someone (not recorded)", "Retitled")
        ]


def test_timestamps_follow_the_clock(cast, superuser):
    with time_machine.travel(START, tick=False) as clock:
        question = question_in(Status.DRAFT, cast)
        clock.shift(dt.timedelta(hours=2))
        workflow.publish(question, cast.lead)

    told = question_history(question, superuser)

    assert [(e.kind, e.at - START) for e in told] == [
        ("created", dt.timedelta(0)),
        ("transition", dt.timedelta(hours=2)),
    ]
    assert timezone.is_aware(told[-1].at)


def test_the_story_takes_the_same_queries_however_many_edits_it_tells(cast, team, superuser):
    def story_queries(edits: int) -> tuple[int, int]:
        question = question_in(Status.IN_REVIEW, cast)
        for n in range(edits):
            editor = factories.UserFactory()
            hypothesis = factories.HypothesisFactory(question=question, title=f"H{n}")
            hypothesis.title = f"H{n}, revised"
            save_attributed(hypothesis, editor, reason="reworded")
            item = factories.EvidenceFactory()
            EvidenceLink.objects.create(question=question, evidence=item)
        with CaptureQueriesContext(connection) as queries:
            story = question_history(question, superuser)
        return len(queries), len(story)

    few_queries, few_entries = story_queries(1)
    many_queries, many_entries = story_queries(12)
    assert many_entries > few_entries
    assert many_queries == few_queries


# The markup templates/questions/_timeline.html drew through the template engine, which
# questions/templatetags/history_ui.py now draws in Python.
_TIMELINE_TEMPLATE = """{% if timeline %}
<ol class="timeline">
  {% for entry in timeline %}
    <li class="entry-{{ entry.kind }}">
      <time class="when" datetime="{{ entry.at|date:'c' }}">{{ entry.at|date:"j M Y, H:i" }}</time>
      <span class="summary">{{ entry.summary }}</span>
      {% if entry.comment %}<div class="comment text-block">{{ entry.comment }}</div>{% endif %}
      {% if entry.changes %}
        <details class="changes">
          <summary>{{ entry.changes|length }} change{{ entry.changes|length|pluralize }}</summary>
          <ul>
            {% for c in entry.changes %}
              <li><span class="muted">{{ c.subject }} · {{ c.label }}:</span> <del>{{ c.before }}</del> → <ins>{{ c.after }}</ins></li>
            {% endfor %}
          </ul>
        </details>
      {% endif %}
    </li>
  {% endfor %}
</ol>
{% else %}<p class="empty">Nothing has happened yet.</p>{% endif %}"""  # noqa: E501


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_the_timeline_markup_is_the_templates(zone):
    from django.template import Context, Template
    from django.utils import translation

    from questions.history import Change, Entry
    from questions.templatetags.history_ui import history_timeline

    def change(n: int) -> Change:
        return Change(f"hypothesis “<H{n}>”", "title", "Title & <b>", f"old {n} '\"", "—")

    at = dt.datetime(2024, 12, 31, 23, 59, 7, 123456, tzinfo=dt.UTC)
    entries = [
        Entry(at=at, actor=None, kind="transition", subject="question", summary="A <b>did</b> it"),
        Entry(
            at=at + dt.timedelta(hours=5),
            actor=None,
            kind="comment",
            subject="question",
            summary="x & y",
            comment="Line one\n<script>alert('x')</script>",
            changes=[change(1)],
        ),
        Entry(
            at=START,
            actor=None,
            kind="changed",
            subject="question",
            summary="s",
            changes=[change(n) for n in range(3)],
        ),
    ]
    template = Template(_TIMELINE_TEMPLATE)
    with translation.override("fr"), timezone.override(zone):
        for timeline in (entries, entries[:1], []):
            expected = template.render(Context({"timeline": timeline}))
            assert history_timeline(timeline) == expected
