"""Reminders: each threshold passed with the clock moved, each reminder exactly once, to the right
person, per team policy; the sweep's query count; `manage.py reminders`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.models import role_group
from iqtrack.celery import app as celery_app
from notifications import delivery, reminders, tasks
from notifications.choices import EmailState, Kind, ReminderState
from notifications.models import Notification, Reminder, TeamReminderPolicy
from notifications.outbox import Candidate, record
from questions.choices import Action, Status
from questions.models import EvidenceLink, Question, Transition
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(time_machine):
    """The time, stopped at NOW; `clock(delta)` moves it to NOW + delta."""

    def move(delta: timedelta = timedelta(0)) -> datetime:
        time_machine.move_to(NOW + delta, tick=False)
        return NOW + delta

    move()
    return move


@pytest.fixture
def crew(team, lead, analyst, reviewer):
    return team


def put(question: Question, status: str, **fields) -> Question:
    """Put a question into a state directly, as the workflow would have left it."""
    Question.objects.filter(pk=question.pk).update(status=status, **fields)
    question.refresh_from_db()
    return question


def received(kind: str) -> list[tuple[str, int]]:
    """(recipient, question id) of every notification of `kind`, in order."""
    return list(
        Notification.objects.filter(kind=kind)
        .order_by("id")
        .values_list("recipient__username", "question_id")
    )


def emails_to(username: str) -> list[str]:
    return [m.subject for m in mail.outbox if m.to == [f"{username}@example.org"]]


def sweep_at(clock, delta: timedelta) -> reminders.SweepResult:
    return reminders.sweep(clock(delta))


# ---------------------------------------------------------------------------------------------
# Each threshold
# ---------------------------------------------------------------------------------------------
def test_it_reminds_the_analyst_once_when_the_due_date_is_48_hours_away(clock, crew, analyst):
    q = put(factories.QuestionFactory(team=crew), Status.IN_ANALYSIS, assignee=analyst)
    put(q, Status.IN_ANALYSIS, due_at=NOW + timedelta(days=5))

    sweep_at(clock, timedelta(days=3) - timedelta(minutes=1))  # 49 h before: not yet
    assert received(Kind.DUE_SOON) == []

    sweep_at(clock, timedelta(days=3))  # 48 h before
    sweep_at(clock, timedelta(days=3, hours=1))
    sweep_at(clock, timedelta(days=4))
    assert received(Kind.DUE_SOON) == [("analyst", q.pk)]
    assert emails_to("analyst") == [f"[iqtrack] Due soon: {q.title}"]


def test_it_reminds_again_when_the_due_date_moves(clock, crew, analyst):
    q = put(factories.QuestionFactory(team=crew), Status.ASSIGNED, assignee=analyst)
    put(q, Status.ASSIGNED, due_at=NOW + timedelta(hours=24))
    sweep_at(clock, timedelta(0))
    put(q, Status.ASSIGNED, due_at=NOW + timedelta(days=6))
    sweep_at(clock, timedelta(days=1))
    sweep_at(clock, timedelta(days=4, hours=1))
    assert received(Kind.DUE_SOON) == [("analyst", q.pk), ("analyst", q.pk)]


def test_it_reminds_the_analyst_daily_when_overdue_and_the_lead_once_after_two_days(
    clock, crew, analyst
):
    q = put(factories.QuestionFactory(team=crew), Status.IN_ANALYSIS, assignee=analyst)
    put(q, Status.IN_ANALYSIS, due_at=NOW)

    for hours in (1, 2, 5, 24, 30, 48, 49, 72):  # several sweeps a day, over three days
        sweep_at(clock, timedelta(hours=hours))
        if hours < 48:
            assert received(Kind.OVERDUE_ESCALATION) == []

    assert received(Kind.OVERDUE) == [("analyst", q.pk)] * 4  # Mon, Tue, Wed, Thu
    assert received(Kind.OVERDUE_ESCALATION) == [("lead", q.pk)]
    assert [r.period for r in Reminder.objects.filter(kind=Kind.OVERDUE).order_by("id")] == [
        "2025-03-03",
        "2025-03-04",
        "2025-03-05",
        "2025-03-06",
    ]


def test_it_stops_overdue_reminders_once_the_question_is_assessed(clock, crew, analyst):
    q = put(factories.QuestionFactory(team=crew), Status.IN_ANALYSIS, assignee=analyst)
    put(q, Status.ASSESSED, due_at=NOW - timedelta(days=5))
    sweep_at(clock, timedelta(days=1))
    assert received(Kind.OVERDUE) == received(Kind.OVERDUE_ESCALATION) == []


def test_it_reminds_the_reviewer_after_two_days_in_review_and_the_lead_after_four(
    clock, crew, analyst, reviewer
):
    q = put(
        factories.QuestionFactory(team=crew),
        Status.IN_REVIEW,
        assignee=analyst,
        reviewer=reviewer,
        status_changed_at=NOW,
    )
    sweep_at(clock, timedelta(days=2) - timedelta(minutes=1))
    assert received(Kind.REVIEW_WAITING) == []
    for days in (2, 3, 4, 5):
        sweep_at(clock, timedelta(days=days))
        if days < 4:
            assert received(Kind.REVIEW_ESCALATION) == []
    assert received(Kind.REVIEW_WAITING) == [("reviewer", q.pk)]
    assert received(Kind.REVIEW_ESCALATION) == [("lead", q.pk)]

    # Returned, resubmitted: a new submission is a new period.
    put(q, Status.IN_REVIEW, status_changed_at=NOW + timedelta(days=6))
    sweep_at(clock, timedelta(days=8))
    assert received(Kind.REVIEW_WAITING) == [("reviewer", q.pk)] * 2


def test_it_tells_the_lead_once_about_a_question_open_three_days_without_an_analyst(clock, crew):
    q = put(factories.QuestionFactory(team=crew), Status.OPEN, status_changed_at=NOW)
    sweep_at(clock, timedelta(days=3) - timedelta(minutes=1))
    assert received(Kind.UNASSIGNED) == []
    for days in (3, 4, 10):
        sweep_at(clock, timedelta(days=days))
    assert received(Kind.UNASSIGNED) == [("lead", q.pk)]
    assert "has been open since 2025-03-03 09:00 UTC" in Notification.objects.get().text


def test_it_reminds_the_analyst_of_stale_analysis_each_week_without_activity(clock, crew, analyst):
    q = factories.QuestionFactory(team=crew)  # created, and so last edited, at NOW
    put(q, Status.IN_ANALYSIS, assignee=analyst, status_changed_at=NOW)

    sweep_at(clock, timedelta(days=7) - timedelta(minutes=1))
    assert received(Kind.STALE) == []
    sweep_at(clock, timedelta(days=7))
    sweep_at(clock, timedelta(days=8))
    assert received(Kind.STALE) == [("analyst", q.pk)]
    sweep_at(clock, timedelta(days=14))
    assert received(Kind.STALE) == [("analyst", q.pk)] * 2

    # New evidence restarts the count.
    clock(timedelta(days=15))
    EvidenceLink.objects.create(question=q, evidence=factories.EvidenceFactory())
    sweep_at(clock, timedelta(days=21))
    assert len(received(Kind.STALE)) == 2
    sweep_at(clock, timedelta(days=22))
    assert len(received(Kind.STALE)) == 3


def test_it_counts_an_edit_of_the_draft_assessment_as_activity(clock, crew, analyst):
    q = factories.QuestionFactory(team=crew)
    put(q, Status.IN_ANALYSIS, assignee=analyst, status_changed_at=NOW)
    clock(timedelta(days=5))
    q.assessments.create(version=1, author=analyst, key_judgments="Draft")
    sweep_at(clock, timedelta(days=8))
    assert received(Kind.STALE) == []
    sweep_at(clock, timedelta(days=12))
    assert received(Kind.STALE) == [("analyst", q.pk)]


def test_it_tells_lead_and_analyst_once_of_the_evidence_linked_since_assessment_or_last_notice(
    clock, crew, analyst, reviewer
):
    q = factories.QuestionFactory(team=crew)
    EvidenceLink.objects.create(question=q, evidence=factories.EvidenceFactory())
    put(q, Status.ASSESSED, assignee=analyst, reviewer=reviewer, status_changed_at=NOW)
    sweep_at(clock, timedelta(hours=1))
    assert received(Kind.NEW_EVIDENCE) == []  # linked before the assessment

    clock(timedelta(days=1))
    for _ in range(3):  # three items between two sweeps: one notice to each person, not three
        EvidenceLink.objects.create(question=q, evidence=factories.EvidenceFactory())
    for hours in (25, 26, 27):
        sweep_at(clock, timedelta(hours=hours))
    assert sorted(received(Kind.NEW_EVIDENCE)) == [("analyst", q.pk), ("lead", q.pk)]

    # Unlinking the newest item leaves an older one the newest: nothing new to tell.
    EvidenceLink.objects.filter(question=q).order_by("-pk").first().delete()
    sweep_at(clock, timedelta(days=1, hours=4))
    assert len(received(Kind.NEW_EVIDENCE)) == 2

    clock(timedelta(days=2))
    EvidenceLink.objects.create(question=q, evidence=factories.EvidenceFactory())
    sweep_at(clock, timedelta(days=2, hours=1))
    assert len(received(Kind.NEW_EVIDENCE)) == 4


def test_records_of_the_earlier_notice_per_link_still_count_as_told(clock, crew, analyst, lead):
    """Before one notice covered every new item, each link had its own record (period = its
    id): the newest link told of that way is not told of again."""
    q = factories.QuestionFactory(team=crew)
    put(q, Status.ASSESSED, assignee=analyst, status_changed_at=NOW)
    clock(timedelta(hours=1))
    link = EvidenceLink.objects.create(question=q, evidence=factories.EvidenceFactory())
    record(
        [Candidate(Kind.NEW_EVIDENCE, q.pk, person.pk, str(link.pk)) for person in (analyst, lead)],
        NOW,
    )
    assert reminders.new_evidence(NOW + timedelta(hours=2), {}) == []


def test_a_team_policy_overrides_the_default_thresholds(clock, crew, analyst):
    quick = factories.TeamFactory(lead=crew.lead)
    TeamReminderPolicy.objects.create(team=quick, due_soon_hours=24, unassigned_days=1)
    default_q = put(factories.QuestionFactory(team=crew), Status.ASSIGNED, assignee=analyst)
    quick_q = put(factories.QuestionFactory(team=quick), Status.ASSIGNED, assignee=analyst)
    for q in (default_q, quick_q):
        put(q, Status.ASSIGNED, due_at=NOW + timedelta(days=4))
    open_default = put(factories.QuestionFactory(team=crew), Status.OPEN, status_changed_at=NOW)
    open_quick = put(factories.QuestionFactory(team=quick), Status.OPEN, status_changed_at=NOW)

    sweep_at(clock, timedelta(days=2, hours=1))  # 47 h before the due date; open for 49 h
    assert received(Kind.DUE_SOON) == [("analyst", default_q.pk)]
    assert received(Kind.UNASSIGNED) == [("lead", open_quick.pk)]

    sweep_at(clock, timedelta(days=3, hours=1))  # 23 h before; open for 73 h
    assert sorted(received(Kind.DUE_SOON)) == sorted(
        [("analyst", default_q.pk), ("analyst", quick_q.pk)]
    )
    assert sorted(received(Kind.UNASSIGNED)) == sorted(
        [("lead", open_quick.pk), ("lead", open_default.pk)]
    )


# ---------------------------------------------------------------------------------------------
# Never twice, never lost (in-process; the real-worker versions are in test_reminders_worker.py)
# ---------------------------------------------------------------------------------------------
def test_it_sends_once_when_the_same_sweep_runs_twice(clock, crew, analyst):
    q = put(factories.QuestionFactory(team=crew), Status.ASSIGNED, assignee=analyst)
    put(q, Status.ASSIGNED, due_at=NOW + timedelta(hours=1))
    first = reminders.sweep(clock())
    second = reminders.sweep(clock())
    assert (first.delivered, second.delivered) == (1, 0)
    assert received(Kind.DUE_SOON) == [("analyst", q.pk)]
    assert len(mail.outbox) == 1


def test_it_takes_over_a_record_whose_deliverer_died_once_its_claim_expires(
    clock, crew, analyst, settings
):
    q = put(factories.QuestionFactory(team=crew), Status.ASSIGNED, assignee=analyst)
    put(q, Status.ASSIGNED, due_at=NOW + timedelta(hours=1))
    record(reminders.due_candidates(clock()), NOW)
    # A deliverer claimed it and died before delivering.
    Reminder.objects.update(claimed_by="00000000-0000-0000-0000-00000000dead", claimed_at=NOW)

    sweep_at(clock, timedelta(seconds=settings.REMINDER_CLAIM_SECONDS - 1))
    assert received(Kind.DUE_SOON) == []  # the claim still holds
    sweep_at(clock, timedelta(seconds=settings.REMINDER_CLAIM_SECONDS + 1))
    sweep_at(clock, timedelta(seconds=settings.REMINDER_CLAIM_SECONDS + 2))
    assert received(Kind.DUE_SOON) == [("analyst", q.pk)]
    assert Reminder.objects.get().state == ReminderState.SENT
    assert len(mail.outbox) == 1


def test_the_database_refuses_a_second_record_with_the_same_key(clock, crew, analyst):
    q = factories.QuestionFactory(team=crew)
    candidate = Candidate(Kind.DUE_SOON, q.pk, analyst.pk, "2025-03-04T09:00:00+00:00")
    record([candidate], NOW)
    record([candidate, candidate], NOW)
    assert Reminder.objects.count() == 1


@pytest.mark.parametrize("changed", ["question", "recipient", "reminder"])
def test_the_database_refuses_a_notification_that_is_not_its_records(
    clock, crew, analyst, lead, changed
):
    """One foreign key checks a notification's record, question and recipient together
    (notifications migration 0003): a notification cannot name another question or person
    than its record does, nor a record that does not exist."""
    q, other = factories.QuestionFactory.create_batch(2, team=crew)
    record([Candidate(Kind.DUE_SOON, q.pk, analyst.pk, "2025-03-04T09:00:00+00:00")], NOW)
    reminder = Reminder.objects.get()
    columns = {"question": q.pk, "recipient": analyst.pk, "reminder": reminder.pk}
    columns[changed] = {"question": other.pk, "recipient": lead.pk, "reminder": 0}[changed]
    notification = Notification(
        kind=Kind.DUE_SOON,
        text="Due soon",
        question_id=columns["question"],
        recipient_id=columns["recipient"],
        reminder_id=columns["reminder"],
    )
    # Checked at commit (deferred, as every key is); here, at once.
    refused = pytest.raises(IntegrityError, match="notifications_notification_record")
    with refused, transaction.atomic():
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        notification.save()
    with transaction.atomic():  # the record's own notification is accepted
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        Notification.objects.create(
            kind=Kind.DUE_SOON,
            text="Due soon",
            question=q,
            recipient=analyst,
            reminder=reminder,
        )


# ---------------------------------------------------------------------------------------------
# Set-based: the number of queries does not depend on the number of questions
# ---------------------------------------------------------------------------------------------
def build_due_questions(n: int, team, analyst, reviewer, lead) -> None:
    """`n` questions due at NOW for two notices each: due soon + stale, overdue + escalation,
    review waiting + escalation (and the submission's notice is in the catch-up below: three),
    unassigned (one), new evidence (two) — two per question on average."""
    long_ago = NOW - timedelta(days=30)
    shapes = [
        {"status": Status.IN_ANALYSIS, "assignee": analyst, "due_at": NOW + timedelta(hours=1)},
        {"status": Status.ASSIGNED, "assignee": analyst, "due_at": long_ago},
        {"status": Status.IN_REVIEW, "assignee": analyst, "reviewer": reviewer},
        {"status": Status.OPEN},
        {"status": Status.ASSESSED, "assignee": analyst, "reviewer": reviewer},
    ]
    questions = Question.objects.bulk_create(
        [
            Question(title=f"Q{i}", team=team, status_changed_at=long_ago, **shapes[i % 5])
            for i in range(n)
        ]
    )
    Question.objects.filter(pk__in=[q.pk for q in questions]).update(updated_at=long_ago)
    source = factories.SourceFactory()
    assessed = [q for q in questions if q.status == Status.ASSESSED]
    EvidenceLink.objects.bulk_create(
        EvidenceLink(question=q, evidence=e)
        for q, e in zip(
            assessed,
            factories.EvidenceFactory.create_batch(len(assessed), source=source),
            strict=True,
        )
    )
    Transition.objects.bulk_create(
        Transition(
            question=q,
            action=Action.SUBMIT,
            from_status=Status.IN_ANALYSIS,
            to_status=Status.IN_REVIEW,
            actor=analyst,
        )
        for q in questions
        if q.status == Status.IN_REVIEW
    )


def test_the_sweep_makes_as_many_queries_for_1000_questions_as_for_10(
    clock, crew, lead, analyst, reviewer, settings
):
    settings.REMINDER_EMAIL_BATCH = 500
    counts = {}
    for n in (10, 1000):
        team = factories.TeamFactory(lead=lead)
        build_due_questions(n, team, analyst, reviewer, lead)
        before = Notification.objects.count()
        with CaptureQueriesContext(connection) as queries:
            result = reminders.sweep(clock())
        counts[n] = len(queries)
        # Two notices per question (see build_due_questions), and the first round's questions
        # bring nothing new the second time: all delivered in-app, emails by the batch.
        assert Notification.objects.count() - before == 2 * n
        assert result.delivered == 2 * n
        assert result.emailed == min(2 * n, 500)
        assert result.emails_left == 2 * n - result.emailed
    assert counts[10] == counts[1000]
    assert counts[10] <= 30


def test_a_backlog_of_emails_goes_out_in_batches_of_as_many_queries_each(
    clock, crew, lead, analyst, reviewer, settings
):
    settings.REMINDER_EMAIL_BATCH = 300
    build_due_questions(500, crew, analyst, reviewer, lead)
    result = reminders.sweep(clock())
    assert (result.delivered, result.emailed, result.emails_left) == (1000, 300, 700)
    batches = []
    while True:
        with CaptureQueriesContext(connection) as queries:
            sent, left = delivery.send_email_batch(clock())
        batches.append((sent, left, len(queries)))
        if not left:
            break
    assert [(sent, left) for sent, left, _ in batches] == [(300, 400), (300, 100), (100, 0)]
    assert len({count for _, _, count in batches}) == 1
    # Every email once, oldest first; none left behind.
    assert len(mail.outbox) == 1000
    assert len({(m.to[0], m.subject, m.body) for m in mail.outbox}) == len(
        {(n.recipient.email, n.text) for n in Notification.objects.select_related("recipient")}
    )
    assert not Notification.objects.filter(email_state=EmailState.PENDING).exists()
    assert delivery.send_email_batch(clock()) == (0, 0)


@pytest.fixture
def eager_tasks():
    """Queued tasks run at once, in this process (real workers: test_reminders_worker.py)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def due_soon_for(team, analyst, n: int) -> list[Question]:
    questions = factories.QuestionFactory.create_batch(n, team=team)
    Question.objects.filter(pk__in=[q.pk for q in questions]).update(
        status=Status.ASSIGNED, assignee=analyst, due_at=NOW + timedelta(hours=1)
    )
    return questions


def test_the_sweep_task_chains_the_email_backlog_until_every_email_is_out_once(
    clock, crew, analyst, settings, eager_tasks
):
    settings.REMINDER_EMAIL_BATCH = 2
    questions = due_soon_for(crew, analyst, 5)
    clock()
    result = tasks.sweep_reminders.apply().get()
    assert (result["delivered"], result["emailed"], result["emails_left"]) == (5, 2, 3)
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"[iqtrack] Due soon: {q.title}" for q in questions
    )
    assert not Notification.objects.exclude(email_state=EmailState.SENT).exists()


def test_the_command_sends_the_backlog_the_sweep_leaves(clock, crew, analyst, settings):
    settings.REMINDER_EMAIL_BATCH = 2
    due_soon_for(crew, analyst, 5)
    clock()
    out = StringIO()
    call_command("reminders", stdout=out)
    assert "5 due, 5 delivered, 5 emailed." in out.getvalue()
    assert len(mail.outbox) == 5


def test_the_indexes_that_serve_the_sweep_exist():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Reminder._meta.db_table)
        notification = connection.introspection.get_constraints(cursor, Notification._meta.db_table)
        question = connection.introspection.get_constraints(cursor, Question._meta.db_table)
    unique_keys = [c["columns"] for c in constraints.values() if c["unique"]]
    assert ["kind", "question_id", "recipient_id", "period"] in unique_keys
    # The target of a notification's one foreign key, and the index of a question's records.
    assert ["question_id", "recipient_id", "id"] in unique_keys
    assert constraints["notifications_reminder_unsent"]["columns"] == ["claimed_by", "claimed_at"]
    assert "notifications_unread" in notification
    assert "notifications_email_outbox" in notification
    question_indexes = [c["columns"] for c in question.values() if c["index"]]
    assert ["status", "due_at"] in question_indexes


# ---------------------------------------------------------------------------------------------
# manage.py reminders
# ---------------------------------------------------------------------------------------------
def test_the_dry_run_says_what_would_be_sent_to_whom_and_why_and_sends_nothing(
    clock, crew, analyst
):
    q = put(factories.QuestionFactory(team=crew, title="Who paid?"), Status.ASSIGNED)
    put(q, Status.ASSIGNED, assignee=analyst, due_at=NOW + timedelta(hours=20))
    out = StringIO()
    call_command("reminders", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "1 notice(s) would be sent" in text
    assert "Due soon → analyst <analyst@example.org>, in iqtrack + email now" in text
    assert "Due soon: «Who paid?» is due 2025-03-04 05:00 UTC." in text
    assert Reminder.objects.count() == Notification.objects.count() == len(mail.outbox) == 0

    call_command("reminders", stdout=StringIO())
    assert received(Kind.DUE_SOON) == [("analyst", q.pk)]
    out = StringIO()
    call_command("reminders", "--dry-run", stdout=out)
    assert "0 notice(s) would be sent" in out.getvalue()


def test_the_dry_run_lists_records_left_unsent_and_honours_preferences(clock, crew, analyst):
    from notifications.delivery import set_preference

    set_preference(analyst, Kind.OVERDUE, "off")
    q = put(factories.QuestionFactory(team=crew), Status.ASSIGNED, assignee=analyst)
    put(q, Status.ASSIGNED, due_at=NOW - timedelta(hours=1))
    record(reminders.due_candidates(NOW), NOW)
    out = StringIO()
    call_command("reminders", "--dry-run", stdout=out)
    assert "Overdue → analyst <analyst@example.org>, not sent (preference: off)" in out.getvalue()
    assert "recorded earlier, unsent" in out.getvalue()


def test_it_never_reminds_inactive_people(clock, crew, analyst):
    analyst.is_active = False
    analyst.save()
    q = put(factories.QuestionFactory(team=crew), Status.ASSIGNED, assignee=analyst)
    put(q, Status.ASSIGNED, due_at=NOW + timedelta(hours=1))
    reminders.sweep(clock())
    assert received(Kind.DUE_SOON) == []
    assert Reminder.objects.get().state == ReminderState.SENT


def test_a_lead_of_several_roles_gets_one_notice_per_kind(clock, team, lead):
    lead.groups.add(role_group(Role.ANALYST))
    q = put(factories.QuestionFactory(team=team), Status.IN_ANALYSIS, assignee=lead)
    put(q, Status.IN_ANALYSIS, due_at=NOW - timedelta(days=3))
    reminders.sweep(clock())
    assert received(Kind.OVERDUE) == [("lead", q.pk)]
    assert received(Kind.OVERDUE_ESCALATION) == [("lead", q.pk)]
