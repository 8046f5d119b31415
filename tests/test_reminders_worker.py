"""Never lost, never twice — on real Celery workers over a real Redis, with the clock moved.

Each test runs a Celery app with iqtrack's own configuration (iqtrack.celery.configure) on a
private redis-server started on a free port for the test session, so stopping the broker touches
no one else's Redis. Workers are Celery's embedded test workers (threads of this process, so
time-machine moves their clock too), except the one that is killed: a `celery worker`
subprocess, killed with SIGKILL.
"""

from __future__ import annotations

import logging
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis
from celery import Celery
from celery.contrib.testing.app import setup_default_app
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connection, connections, transaction

from iqtrack.celery import configure
from notifications.choices import EmailState, Kind, ReminderState
from notifications.models import Notification, Reminder
from notifications.tasks import sweep_reminders
from questions.choices import Action, Status
from questions.models import Question, Transition
from tests import factories
from tests.private_servers import WAIT, beat, wait_for, worker_process
from tests.test_notifications import FlakyMailServer, write_transition

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# An app on the private broker (`broker`, tests/conftest.py), workers
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def runs() -> Iterator[list[tuple[str, str, str]]]:
    """(task, worker, state) of every task run by a worker in this process, as they end."""
    seen: list[tuple[str, str, str]] = []

    def ended(sender=None, task=None, state=None, **kwargs):
        seen.append((task.name, task.request.hostname or "", state or ""))
        # The worker thread's database connection must not outlive the test database.
        connections.close_all()

    task_postrun.connect(ended, weak=False)
    yield seen
    task_postrun.disconnect(ended)


@pytest.fixture
def app(broker, runs, settings) -> Iterator[Celery]:
    """iqtrack's Celery configuration, on the private broker and a queue of this test's own."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if broker.process is None:
        broker.start()
    redis.Redis.from_url(broker.url).flushall()
    test_app = configure(Celery("iqtrack-test", set_as_current=False))
    test_app.conf.update(
        broker_url=broker.url,
        broker_transport_options={},
        task_default_queue=f"iqtrack-test-{uuid.uuid4().hex[:8]}",
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    with setup_default_app(test_app):
        test_app.set_current()
        test_app.set_default()
        yield test_app


@contextmanager
def worker(app: Celery, name: str) -> Iterator[None]:
    with start_worker(
        app,
        hostname=f"{name}@test",
        perform_ping_check=False,
        shutdown_timeout=WAIT,
        loglevel="WARNING",
    ):
        yield


@contextmanager
def table_locked(table: str, mode: str) -> Iterator[psycopg.Connection]:
    """Hold a lock on `table` from another session: writers to it wait until we let go."""
    db = connection.settings_dict
    locker = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )  # fmt: skip
    try:
        locker.execute(f"LOCK TABLE {table} IN {mode} MODE")
        yield locker
    finally:
        locker.rollback()
        locker.close()


class LogRecords(logging.Handler):
    """Records of the named loggers (the embedded worker's logging set-up bypasses caplog)."""

    def __init__(self, *names: str) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.loggers = [logging.getLogger(name) for name in names]
        for logger in self.loggers:
            logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.messages)

    def detach(self) -> None:  # not close(): Django's logging set-up closes every handler
        for logger in self.loggers:
            logger.removeHandler(self)


def backends_waiting_for_a_lock() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


# ---------------------------------------------------------------------------------------------
# The people and the questions
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def crew(team, lead, analyst, reviewer):
    return team


def due_soon(team, analyst, n: int, due_at: datetime) -> list[Question]:
    questions = factories.QuestionFactory.create_batch(n, team=team)
    Question.objects.filter(pk__in=[q.pk for q in questions]).update(
        status=Status.IN_ANALYSIS, assignee=analyst, due_at=due_at
    )
    return questions


def subjects() -> list[str]:
    return sorted(m.subject for m in mail.outbox)


def exactly_once_each(questions: list[Question]) -> None:
    """Each question's due-soon reminder: one record, sent; one notification; one email."""
    assert Reminder.objects.filter(kind=Kind.DUE_SOON).count() == len(questions)
    assert not Reminder.objects.exclude(state=ReminderState.SENT).exists()
    assert Notification.objects.filter(kind=Kind.DUE_SOON).count() == len(questions)
    assert subjects() == sorted(f"[iqtrack] Due soon: {q.title}" for q in questions)


# ---------------------------------------------------------------------------------------------
# The guarantees
# ---------------------------------------------------------------------------------------------
def test_a_task_retried_after_a_failure_sends_once(app, runs, settings, time_machine, crew):
    settings.EMAIL_BACKEND = "tests.test_notifications.FlakyMailServer"
    FlakyMailServer.reset(drop_at=2)  # the mail server drops the connection at the 2nd email
    time_machine.move_to(NOW, tick=True)
    questions = due_soon(crew, crew.members.get(username="analyst"), 3, NOW + timedelta(hours=1))

    with worker(app, "w1"):
        sweep_reminders.delay()
        wait_for(lambda: len(runs) == 2, what="the sweep and its retry")

    assert [state for _, _, state in runs] == ["RETRY", "SUCCESS"]
    assert FlakyMailServer.seen == 4  # 1 sent, 1 dropped; then the 2 still pending
    exactly_once_each(questions)


def test_beat_firing_the_same_sweep_twice_sends_once(app, runs, time_machine, crew):
    time_machine.move_to(NOW, tick=True)
    questions = due_soon(crew, crew.members.get(username="analyst"), 2, NOW + timedelta(hours=1))

    beat(app)
    beat(app)
    with worker(app, "w1"):
        wait_for(lambda: len(runs) == 2, what="both sweeps")

    assert [state for _, _, state in runs] == ["SUCCESS", "SUCCESS"]
    exactly_once_each(questions)


def test_two_workers_sweeping_at_the_same_moment_send_once(app, crew, tmp_path):
    # Two worker processes (embedded workers share kombu's event loop, so they cannot be two).
    questions = due_soon(
        crew, crew.members.get(username="analyst"), 5, datetime.now(UTC) + timedelta(hours=1)
    )
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    with worker_process(app, "w1", logs[0]), worker_process(app, "w2", logs[1]):
        # Hold both sweeps at the door (recording), then let them in at the same moment.
        with table_locked("notifications_reminder", "SHARE ROW EXCLUSIVE"):
            sweep_reminders.delay()
            sweep_reminders.delay()
            wait_for(
                lambda: len(backends_waiting_for_a_lock()) == 2, timeout=60, what="both sweeps"
            )
        wait_for(
            lambda: Notification.objects.filter(email_state=EmailState.SENT).count() == 5,
            what="the emails",
        )
    texts = [log.read_text() for log in logs]
    sweeps = [
        sum("sweep_reminders" in line and "succeeded" in line for line in t.splitlines())
        for t in texts
    ]
    assert sweeps == [1, 1]  # one sweep each, at the same moment
    emails = [line for t in texts for line in t.splitlines() if "Subject: [iqtrack]" in line]
    assert sorted(line.split("Subject: ")[1] for line in emails) == sorted(
        f"[iqtrack] Due soon: {q.title}" for q in questions
    )
    assert Reminder.objects.filter(kind=Kind.DUE_SOON, state=ReminderState.SENT).count() == 5
    assert Notification.objects.filter(kind=Kind.DUE_SOON).count() == 5


def test_a_worker_killed_between_recording_and_sending_leaves_nothing_and_a_later_sweep_sends_once(
    app, runs, crew, tmp_path
):
    real_now = datetime.now(UTC)
    questions = due_soon(
        crew, crew.members.get(username="analyst"), 2, real_now + timedelta(hours=1)
    )
    log = tmp_path / "doomed.log"

    # 1. The worker records, then is held just before it creates the notifications (the table
    #    is locked), and is killed there.
    with (
        table_locked("notifications_notification", "SHARE"),
        worker_process(app, "doomed", log) as doomed,
    ):
        sweep_reminders.delay()
        wait_for(
            lambda: bool(backends_waiting_for_a_lock()),
            timeout=60,
            what=f"the doomed worker to record (its log: {log})",
        )
        orphans = backends_waiting_for_a_lock()
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=WAIT)
    # Its database session notices the dead client once the lock is gone, and rolls back: the
    # records went with it, since a record commits only with its notification.
    wait_for(lambda: not any(backend_alive(pid) for pid in orphans), what="the orphan session")
    assert Reminder.objects.count() == 0
    assert Notification.objects.count() == 0

    # 2. The next sweep, with no lease to wait for, sends each once; a second sends nothing.
    with worker(app, "w1"):
        sweep_reminders.delay()
        sweep_reminders.delay()
        wait_for(lambda: len(runs) == 2, what="the sweeps after the killed one")

    exactly_once_each(questions)


def test_with_the_broker_down_the_transition_commits_and_everything_is_sent_once_it_is_back(
    app, broker, runs, time_machine, crew, lead, analyst, reviewer
):
    logged = LogRecords("notifications.tasks", "celery.beat")
    time_machine.move_to(NOW, tick=True)
    question = factories.QuestionFactory(team=crew, title="Who trained the fighters?")
    Question.objects.filter(pk=question.pk).update(
        status=Status.OPEN, due_at=NOW + timedelta(days=3)
    )

    with worker(app, "w1"):
        broker.stop()

        # The lead assigns the question: the transition commits although its emails cannot be
        # queued; the in-app notifications are there at once.
        with transaction.atomic():
            write_transition(
                question,
                Action.ASSIGN,
                lead,
                Status.ASSIGNED,
                "",
                {"assignee": analyst, "reviewer": reviewer},
            )
        assert Transition.objects.filter(question=question, action=Action.ASSIGN).exists()
        assert Question.objects.get(pk=question.pk).status == Status.ASSIGNED
        assert set(Notification.objects.values_list("email_state", flat=True)) == {
            EmailState.PENDING
        }
        assert "Broker unavailable: 2 email(s) left for the next sweep" in logged.text

        # The due-soon threshold passes while the broker is down: beat cannot send the sweep.
        time_machine.move_to(NOW + timedelta(days=1, minutes=1), tick=True)
        beat(app)
        assert "Couldn't apply scheduled task sweep-reminders" in logged.text
        assert not Reminder.objects.filter(kind=Kind.DUE_SOON).exists()

        # The broker is back; the worker reconnects; beat's next firing sends everything, once.
        broker.start()
        beat(app)
        wait_for(lambda: runs, what="the worker to reconnect and sweep")
        beat(app)
        wait_for(lambda: len(runs) == 2, what="the next sweep")

    logged.detach()
    assert [state for _, _, state in runs] == ["SUCCESS", "SUCCESS"]
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("analyst@example.org", "[iqtrack] Due soon: Who trained the fighters?"),
        ("analyst@example.org", "[iqtrack] Question assigned: Who trained the fighters?"),
        ("reviewer@example.org", "[iqtrack] Question assigned: Who trained the fighters?"),
    ]
    assert Notification.objects.filter(kind=Kind.DUE_SOON).count() == 1
