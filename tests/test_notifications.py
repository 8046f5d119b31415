"""Notifications: who hears about each workflow step, after the commit only; preferences
(immediately, daily digest, off); the inbox; email failures retried without duplicates.

The workflow is driven here the way questions.workflow does it: the status update and the
Transition row in one transaction, questions.signals.question_transitioned sent on commit.
"""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evidence.choices import Tlp
from iqtrack.celery import app as celery_app
from notifications import delivery, reminders
from notifications.choices import Delivery, EmailState, Kind, ReminderState
from notifications.models import Notification, Reminder
from notifications.transitions import CATCH_UP
from questions.choices import Action, Status
from questions.models import Question, Transition
from questions.signals import question_transitioned
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class FlakyMailServer(EmailBackend):
    """Stands in for a mail server that drops the connection, once, at the `drop_at`-th message
    (counted over the process); otherwise delivers to django.core.mail.outbox."""

    drop_at = 2
    seen = 0
    drops_left = 1

    def send_messages(self, messages):
        type(self).seen += 1
        if type(self).drops_left and type(self).seen == type(self).drop_at:
            type(self).drops_left -= 1
            raise smtplib.SMTPServerDisconnected("connection dropped")
        return super().send_messages(messages)

    @classmethod
    def reset(cls, drop_at: int = 2, drops: int = 1) -> None:
        cls.drop_at, cls.seen, cls.drops_left = drop_at, 0, drops


@pytest.fixture(autouse=True)
def fast_setup(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(NOW, tick=False)
    # Emails queued by the receiver are sent in-process here; the real worker and broker are
    # exercised in test_reminders_worker.py.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def question(team, lead, analyst, reviewer):
    return factories.QuestionFactory(team=team, title="Did Russia arm Hamas?")


@pytest.fixture
def step(django_capture_on_commit_callbacks):
    """Move a question one workflow step, exactly as questions.workflow does."""

    def move(question, action, actor, to_status, comment="", **fields) -> Transition:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            transition = write_transition(question, action, actor, to_status, comment, fields)
        question.refresh_from_db()
        return transition

    return move


def write_transition(question, action, actor, to_status, comment, fields) -> Transition:
    """The workflow's write, inside the caller's transaction: the status update, the Transition
    row, and question_transitioned sent once the transaction commits."""
    from_status = Question.objects.get(pk=question.pk).status
    Question.objects.filter(pk=question.pk).update(
        status=to_status, status_changed_at=timezone.now(), **fields
    )
    transition = Transition.objects.create(
        question=question,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        comment=comment,
    )
    transaction.on_commit(
        lambda: question_transitioned.send(sender=Question, transition=transition)
    )
    return transition


def told(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def mailed() -> list[str]:
    return sorted(address for m in mail.outbox for address in m.to)


# ---------------------------------------------------------------------------------------------
# Who hears about which step
# ---------------------------------------------------------------------------------------------
def test_assigning_tells_the_analyst_and_the_reviewer(step, question, lead, analyst, reviewer):
    step(question, Action.ASSIGN, lead, Status.ASSIGNED, assignee=analyst, reviewer=reviewer)
    assert told(Kind.ASSIGNED) == ["analyst", "reviewer"]
    assert mailed() == ["analyst@example.org", "reviewer@example.org"]
    assert Notification.objects.filter(recipient=analyst).get().text == (
        "Assigned: «Did Russia arm Hamas?» — analyst analyst, reviewer reviewer."
    )


def test_submitting_tells_the_reviewer(step, question, analyst, reviewer):
    Question.objects.filter(pk=question.pk).update(
        status=Status.IN_ANALYSIS, assignee=analyst, reviewer=reviewer
    )
    step(question, Action.SUBMIT, analyst, Status.IN_REVIEW)
    assert told(Kind.SUBMITTED) == ["reviewer"]
    assert mailed() == ["reviewer@example.org"]


def test_returning_tells_the_analyst_with_the_reviewers_comment(step, question, analyst, reviewer):
    Question.objects.filter(pk=question.pk).update(
        status=Status.IN_REVIEW, assignee=analyst, reviewer=reviewer
    )
    comment = "The crypto lead rests on one outlet: say so."
    step(question, Action.RETURN, reviewer, Status.IN_ANALYSIS, comment=comment)
    assert told(Kind.RETURNED) == ["analyst"]
    assert comment in Notification.objects.get().text
    assert comment in mail.outbox[0].body
    assert mail.outbox[0].subject == (
        "[iqtrack] Assessment returned with comments: Did Russia arm Hamas?"
    )


def test_approving_tells_the_lead_and_the_analyst(step, question, analyst, reviewer):
    Question.objects.filter(pk=question.pk).update(
        status=Status.IN_REVIEW, assignee=analyst, reviewer=reviewer
    )
    step(question, Action.APPROVE, reviewer, Status.ASSESSED)
    assert told(Kind.APPROVED) == ["analyst", "lead"]


def test_closing_tells_everyone_on_the_question_except_who_closed_it(
    step, question, lead, analyst, reviewer
):
    Question.objects.filter(pk=question.pk).update(
        status=Status.ASSESSED, assignee=analyst, reviewer=reviewer
    )
    step(question, Action.CLOSE, lead, Status.CLOSED)
    assert told(Kind.CLOSED) == ["analyst", "reviewer"]


def test_reopening_tells_everyone_on_the_question(
    step, question, lead, analyst, reviewer, outsider
):
    Question.objects.filter(pk=question.pk).update(
        status=Status.CLOSED, assignee=analyst, reviewer=reviewer
    )
    step(question, Action.REOPEN, outsider, Status.IN_ANALYSIS, comment="New reporting")
    assert told(Kind.REOPENED) == ["analyst", "lead", "reviewer"]
    assert "New reporting" in Notification.objects.filter(recipient=lead).get().text


def test_publishing_and_starting_analysis_tell_nobody(step, question, lead, analyst):
    step(question, Action.PUBLISH, lead, Status.OPEN)
    Question.objects.filter(pk=question.pk).update(status=Status.ASSIGNED, assignee=analyst)
    step(question, Action.START, analyst, Status.IN_ANALYSIS)
    assert Notification.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# After the commit only; once; never lost
# ---------------------------------------------------------------------------------------------
def test_nothing_is_sent_before_the_transition_commits(
    django_capture_on_commit_callbacks, question, lead, analyst, reviewer
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            write_transition(
                question,
                Action.ASSIGN,
                lead,
                Status.ASSIGNED,
                "",
                {"assignee": analyst, "reviewer": reviewer},
            )
        assert Notification.objects.count() == 0
    assert len(callbacks) == 1
    callbacks[0]()
    assert told(Kind.ASSIGNED) == ["analyst", "reviewer"]


def test_a_transition_rolled_back_tells_nobody(
    django_capture_on_commit_callbacks, question, lead, analyst, reviewer
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        write_transition(question, Action.ASSIGN, lead, Status.ASSIGNED, "", {"assignee": analyst})
        raise RuntimeError("the workflow refused")
    assert callbacks == []
    assert Notification.objects.count() == Reminder.objects.count() == 0


def test_a_signal_delivered_twice_tells_each_person_once(step, question, lead, analyst, reviewer):
    transition = step(
        question, Action.ASSIGN, lead, Status.ASSIGNED, assignee=analyst, reviewer=reviewer
    )
    question_transitioned.send(sender=Question, transition=transition)
    reminders.sweep(timezone.now())
    assert told(Kind.ASSIGNED) == ["analyst", "reviewer"]
    assert mailed() == ["analyst@example.org", "reviewer@example.org"]


def test_a_transition_whose_signal_never_ran_is_told_by_the_next_sweep(
    question, lead, analyst, reviewer, time_machine
):
    # The process died between the commit and the on_commit callback.
    Question.objects.filter(pk=question.pk).update(
        status=Status.IN_REVIEW, assignee=analyst, reviewer=reviewer
    )
    Transition.objects.create(
        question=question,
        action=Action.APPROVE,
        from_status=Status.IN_REVIEW,
        to_status=Status.ASSESSED,
        actor=reviewer,
    )
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    reminders.sweep(timezone.now())
    reminders.sweep(timezone.now())
    assert told(Kind.APPROVED) == ["analyst", "lead"]
    assert mailed() == ["analyst@example.org", "lead@example.org"]


def test_the_sweep_does_not_dig_up_transitions_older_than_the_catch_up_window(
    question, lead, analyst, reviewer, time_machine
):
    Question.objects.filter(pk=question.pk).update(assignee=analyst, reviewer=reviewer)
    Transition.objects.create(
        question=question,
        action=Action.ASSIGN,
        from_status=Status.OPEN,
        to_status=Status.ASSIGNED,
        actor=lead,
    )
    time_machine.move_to(NOW + CATCH_UP + timedelta(minutes=1), tick=False)
    reminders.sweep(timezone.now())
    assert Notification.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Preferences
# ---------------------------------------------------------------------------------------------
def assign(step, question, lead, analyst, reviewer):
    step(question, Action.ASSIGN, lead, Status.ASSIGNED, assignee=analyst, reviewer=reviewer)


def test_by_default_a_notice_is_shown_and_emailed_at_once(step, question, lead, analyst, reviewer):
    assign(step, question, lead, analyst, reviewer)
    notification = Notification.objects.get(recipient=analyst)
    assert notification.email_state == EmailState.SENT
    assert notification.email_sent_at == NOW


def test_a_digest_preference_shows_now_and_emails_once_a_day(
    step, question, lead, analyst, reviewer
):
    delivery.set_preference(analyst, Kind.ASSIGNED, Delivery.DIGEST)
    delivery.set_preference(analyst, Kind.CLOSED, Delivery.DIGEST)
    assign(step, question, lead, analyst, reviewer)
    step(question, Action.CLOSE, lead, Status.CLOSED)
    assert told(Kind.ASSIGNED) == ["analyst", "reviewer"]
    assert mailed() == ["reviewer@example.org", "reviewer@example.org"]  # not the analyst, yet

    assert delivery.send_digests(NOW + timedelta(days=1)) == 1
    assert delivery.send_digests(NOW + timedelta(days=1)) == 0
    digest = mail.outbox[-1]
    assert digest.to == ["analyst@example.org"]
    assert digest.subject == "[iqtrack] Daily digest: 2 notifications"
    assert "Assigned: «Did Russia arm Hamas?»" in digest.body
    assert "Closed: «Did Russia arm Hamas?»" in digest.body
    assert len(mail.outbox) == 3


def test_an_off_preference_sends_nothing_and_still_settles_the_record(
    step, question, lead, analyst, reviewer
):
    delivery.set_preference(analyst, Kind.ASSIGNED, Delivery.OFF)
    assign(step, question, lead, analyst, reviewer)
    assert told(Kind.ASSIGNED) == ["reviewer"]
    assert mailed() == ["reviewer@example.org"]
    assert Reminder.objects.get(recipient=analyst).state == ReminderState.SENT


def test_a_person_without_an_email_address_is_told_in_the_app_only(
    step, question, lead, analyst, reviewer
):
    analyst.email = ""
    analyst.save()
    assign(step, question, lead, analyst, reviewer)
    assert Notification.objects.get(recipient=analyst).email_state == EmailState.NONE
    assert mailed() == ["reviewer@example.org"]


def test_the_email_of_a_tlp_red_question_withholds_its_content(
    step, question, lead, analyst, reviewer
):
    Question.objects.filter(pk=question.pk).update(tlp=Tlp.RED)
    question.recipients.set([lead, analyst, reviewer])
    assign(step, question, lead, analyst, reviewer)
    email = mail.outbox[0]
    assert "Did Russia arm Hamas?" not in email.subject + email.body
    assert question.key in email.subject
    assert "TLP:RED" in email.body
    assert "Did Russia arm Hamas?" in Notification.objects.filter(recipient=analyst).get().text


def test_nobody_outside_a_red_distribution_hears_of_the_question(
    step, question, lead, analyst, reviewer, outsider
):
    """A reopening is told to the lead, analyst and reviewer — but a TLP:RED question that does
    not name its team's lead is not told to the lead: no notice, no text, no email."""
    Question.objects.filter(pk=question.pk).update(tlp=Tlp.RED)
    question.recipients.set([analyst, reviewer, outsider])
    assign(step, question, lead, analyst, reviewer)
    step(question, Action.REOPEN, outsider, Status.IN_ANALYSIS, comment="New reporting")

    assert lead.pk not in set(Notification.objects.values_list("recipient", flat=True))
    assert lead.email not in {m.to[0] for m in mail.outbox}
    assert told(Kind.REOPENED) == ["analyst", "reviewer"]


def test_a_notice_is_not_emailed_once_its_question_is_out_of_sight(
    step, question, lead, analyst, reviewer
):
    delivery.set_preference(analyst, Kind.ASSIGNED, Delivery.DIGEST)
    assign(step, question, lead, analyst, reviewer)
    # Later, the question goes TLP:RED without naming the analyst (say, reassigned meanwhile).
    Question.objects.filter(pk=question.pk).update(tlp=Tlp.RED)
    question.recipients.set([lead])

    assert delivery.send_digests(timezone.now()) == 0
    assert Notification.objects.get(recipient=analyst).email_state == EmailState.WITHHELD
    assert not delivery.inbox(analyst).exists()
    assert delivery.unread_count(analyst) == 0


# ---------------------------------------------------------------------------------------------
# The inbox
# ---------------------------------------------------------------------------------------------
def test_unread_count_mark_read_and_mark_all_read(step, question, lead, analyst, reviewer):
    assign(step, question, lead, analyst, reviewer)
    step(question, Action.CLOSE, lead, Status.CLOSED)
    assert delivery.unread_count(analyst) == 2
    first = delivery.inbox(analyst).last()
    reviewers = Notification.objects.filter(recipient=reviewer).first()

    assert delivery.mark_read(analyst, first.pk) is True
    assert delivery.mark_read(analyst, first.pk) is False  # already read
    assert delivery.mark_read(analyst, reviewers.pk) is False  # not theirs
    assert delivery.unread_count(analyst) == 1
    assert delivery.unread_count(reviewer) == 2

    assert delivery.mark_all_read(analyst) == 1
    assert delivery.unread_count(analyst) == 0
    assert delivery.unread_count(reviewer) == 2


def test_the_inbox_page_counts_the_unread_once_for_its_list_and_its_header(
    client, step, question, lead, analyst, reviewer
):
    assign(step, question, lead, analyst, reviewer)
    step(question, Action.CLOSE, lead, Status.CLOSED)
    client.force_login(analyst)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("notifications:inbox")).content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1
    assert "2 unread" in page
    badge = ', </span>2<span class="visually-hidden"> unread'  # the header's, from that count
    assert page.count(badge) == 1


# ---------------------------------------------------------------------------------------------
# Email failures
# ---------------------------------------------------------------------------------------------
def test_a_task_retried_after_a_dropped_mail_connection_emails_each_person_once(
    settings, step, question, lead, analyst, reviewer
):
    settings.EMAIL_BACKEND = "tests.test_notifications.FlakyMailServer"
    FlakyMailServer.reset(drop_at=2)
    assign(step, question, lead, analyst, reviewer)  # the email task fails midway, is retried
    assert FlakyMailServer.seen == 3
    assert mailed() == ["analyst@example.org", "reviewer@example.org"]


def due_soon(team, analyst, n: int) -> None:
    for _ in range(n):
        q = factories.QuestionFactory(team=team)
        Question.objects.filter(pk=q.pk).update(
            status=Status.ASSIGNED, assignee=analyst, due_at=NOW + timedelta(hours=1)
        )


def test_a_failed_batch_keeps_what_went_out_and_leaves_the_rest_for_the_retry(
    settings, team, analyst
):
    settings.EMAIL_BACKEND = "tests.test_notifications.FlakyMailServer"
    FlakyMailServer.reset(drop_at=2)
    due_soon(team, analyst, 3)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        reminders.sweep(NOW)
    states = sorted(Notification.objects.values_list("email_state", "email_attempts"))
    assert states == [(EmailState.PENDING, 0), (EmailState.PENDING, 1), (EmailState.SENT, 0)]
    assert Notification.objects.filter(email_claimed_by__isnull=False).count() == 1  # the sent

    assert reminders.sweep(NOW).emailed == 2  # the retry
    assert reminders.sweep(NOW).emailed == 0
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(email_state=EmailState.SENT).count() == 3


def test_an_email_that_keeps_failing_is_given_up_after_five_attempts(settings, team, analyst):
    settings.EMAIL_BACKEND = "tests.test_notifications.FlakyMailServer"
    due_soon(team, analyst, 1)
    for attempt in range(5):
        FlakyMailServer.reset(drop_at=1)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            reminders.sweep(NOW + timedelta(minutes=attempt))
    notification = Notification.objects.get()
    assert (notification.email_state, notification.email_attempts) == (EmailState.FAILED, 5)
    assert reminders.sweep(NOW + timedelta(minutes=30)).emailed == 0
    assert mail.outbox == []
