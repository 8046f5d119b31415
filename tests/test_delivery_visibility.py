"""The check a notice passes at delivery and before its email (questions.visibility
.seen_by_recipient) says exactly what visible_questions says, for every person and question —
it is the same rule written against each row's own recipient, so that a batch for any number of
people is one pass; and the delivery and the email outbox honour it in a fixed number of
queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.choices import Tlp
from notifications import delivery, messages, reminders
from notifications.choices import EmailState, Kind
from notifications.models import Notification, Reminder
from notifications.outbox import Candidate, claim, record
from questions.choices import Status
from questions.models import Question
from questions.visibility import seen_by_recipient, visible_questions
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    """Every grant and every restriction of the markings, for each marking:

    owning team A (lead `lead_a`, member `member`, inactive member `gone`), team B (lead
    `lead_b`, member `member_b`) that questions are shared with, an analyst `x` and a reviewer
    `y` from elsewhere, a named-only `named`, a `nobody` and a superuser.
    """
    people = {
        name: factories.UserFactory(username=name)
        for name in ("lead_a", "member", "gone", "lead_b", "member_b", "x", "y", "named", "nobody")
    }
    people["root"] = factories.UserFactory(username="root", is_superuser=True)
    people["gone"].is_active = False
    people["gone"].save()
    a = factories.TeamFactory(slug="a", lead=people["lead_a"])
    a.members.add(people["member"], people["gone"])
    b = factories.TeamFactory(slug="b", lead=people["lead_b"])
    b.members.add(people["member_b"])
    factories.TeamFactory(slug="elsewhere").members.add(people["x"], people["y"], people["nobody"])
    questions = []
    for tlp in Tlp.values:
        staffed = factories.QuestionFactory(team=a, tlp=tlp, assignee=people["x"])
        staffed.reviewer = people["y"]
        staffed.save()
        staffed.shared_with.add(b)
        staffed.recipients.add(people["named"], people["x"], people["lead_b"])
        bare = factories.QuestionFactory(team=a, tlp=tlp)
        bare.recipients.add(people["member"])
        unnamed = factories.QuestionFactory(team=b, tlp=tlp, assignee=people["y"])
        questions += [staffed, bare, unnamed]
    return people, questions


def test_the_delivery_check_says_what_visible_questions_says_for_everyone(world):
    people, questions = world
    # One notice for every person about every question.
    record(
        [Candidate(Kind.DUE_SOON, q.pk, p.pk, "probe") for p in people.values() for q in questions],
        NOW,
    )
    seen = set(
        Reminder.objects.filter(seen_by_recipient()).values_list("recipient_id", "question_id")
    )
    expected = {
        (p.pk, pk)
        for p in people.values()
        for pk in visible_questions(p)
        .filter(pk__in=[q.pk for q in questions])
        .values_list("pk", flat=True)
    }
    assert seen == expected
    # The world exercises both answers for every marking.
    for tlp in Tlp.values:
        about = {q.pk for q in questions if q.tlp == tlp}
        pairs = {(p.pk, q) for p in people.values() for q in about}
        assert pairs & seen and pairs - seen, tlp


def test_a_notice_about_a_question_out_of_sight_is_neither_delivered_nor_emailed(world):
    people, questions = world
    red = next(q for q in questions if q.tlp == Tlp.RED and q.assignee == people["x"])
    record([Candidate(Kind.DUE_SOON, red.pk, p.pk, "probe") for p in people.values()], NOW)
    token = claim(NOW)
    delivery.deliver_claimed(token, NOW)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"x", "named", "lead_b", "root"}  # named ones and the superuser
    # Between the notice and its email, the distribution shrinks: x is no longer named.
    red.recipients.remove(people["x"])
    assert delivery.send_pending_emails(NOW) == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lead_b@example.org",
        "named@example.org",
        "root@example.org",
    ]
    assert Notification.objects.get(recipient=people["x"]).email_state == EmailState.WITHHELD


def test_delivering_takes_as_many_queries_for_a_thousand_notices_as_for_ten(team, lead, analyst):
    counts = {}
    for n in (10, 1000):
        questions = Question.objects.bulk_create(
            Question(title=f"Q{n}-{i}", team=team, status=Status.OPEN) for i in range(n)
        )
        record(
            [Candidate(Kind.UNASSIGNED, q.pk, lead.pk, f"{NOW.isoformat()}") for q in questions]
            + [Candidate(Kind.NEW_EVIDENCE, q.pk, p.pk, "7") for q in questions for p in (lead,)],
            NOW,
        )
        token = claim(NOW)
        with CaptureQueriesContext(connection) as queries:
            pending = delivery.deliver_claimed(token, NOW)
        counts[n] = len(queries)
        assert len(pending) == 2 * n
    assert counts[10] == counts[1000]


def test_words_are_the_same_for_every_period_except_where_the_text_quotes_it(team, analyst):
    """deliver_claimed composes the words once per question and kind, and per period only for
    the kinds in PERIOD_IN_TEXT: any other kind whose words quote the period must be listed."""
    q = factories.QuestionFactory(team=team, title="Who paid?", assignee=analyst)
    about = messages.About.of(q)
    early, late = (NOW - timedelta(days=d) for d in (9, 2))
    for kind in Kind.values:
        texts = {
            messages.words(kind, about, f"{moment.isoformat()}#1", "") for moment in (early, late)
        }
        assert (len(texts) == 2) == (kind in messages.PERIOD_IN_TEXT), kind


def test_a_reminder_reads_the_same_as_before_the_words_were_composed_in_bulk(
    team, lead, analyst, reviewer
):
    q = factories.QuestionFactory(team=team, title="Did Russia arm Hamas?", assignee=analyst)
    Question.objects.filter(pk=q.pk).update(
        status=Status.IN_ANALYSIS, reviewer=reviewer, due_at=NOW + timedelta(hours=1)
    )
    reminders.sweep(NOW)
    notice = Notification.objects.get(kind=Kind.DUE_SOON)
    assert notice.text == "Due soon: «Did Russia arm Hamas?» is due 2025-03-03 10:00 UTC."
    assert notice.text == messages.notice_text(notice.reminder)
