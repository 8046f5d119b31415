"""The reminder sweep: set-based, so its cost in queries does not grow with the questions.

For each kind one query selects the (question, recipient, period) keys that are due now; all of
them are recorded in one INSERT … ON CONFLICT DO NOTHING and delivered in the same transaction
(notifications.outbox, notifications.delivery). The period is what makes a reminder distinct,
so "once", "daily" and "weekly" are properties of the key:

| kind               | to          | period (one reminder per …)                        |
|--------------------|-------------|----------------------------------------------------|
| due soon           | analyst     | due date                                           |
| overdue            | analyst     | day                                                |
| overdue escalation | lead        | due date (once, unless the due date moves)         |
| review waiting     | reviewer    | submission (when the question entered review)      |
| review escalation  | lead        | submission                                         |
| unassigned         | lead        | open period (when the question became open)        |
| stale              | analyst     | stale-threshold interval since the last activity   |
| new evidence       | lead+analyst| newest evidence link (one notice for all since)    |

Thresholds are per team (TeamReminderPolicy) with the defaults in notifications.models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, Case, Exists, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from notifications import delivery, messages
from notifications.choices import Kind, ReminderState
from notifications.models import DEFAULT_THRESHOLDS, Reminder, TeamReminderPolicy, Thresholds
from notifications.outbox import Candidate, claim, claimable
from notifications.transitions import CATCH_UP, transition_candidates
from questions.choices import UNFINISHED, Status
from questions.models import Assessment, EvidenceLink, Hypothesis, HypothesisRating, Question
from questions.visibility import visible_questions

# The analyst holds the question in these states; the lead is answerable in all unfinished ones.
WITH_ANALYST = (Status.ASSIGNED, Status.IN_ANALYSIS)

Policies = dict[int, Thresholds]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def policies() -> Policies:
    """Each team's thresholds where the team overrides any default. One query."""
    return {p.team_id: p.thresholds for p in TeamReminderPolicy.objects.all()}


def per_team(name: str, teams: Policies, condition: Callable[[timedelta], Q]) -> Q:
    """`condition(threshold)` with each team's own threshold `name`.

    Teams are grouped by threshold, so the query grows with the number of distinct overrides,
    never with the number of questions, and every bound is a constant an index can range over.
    """
    default = DEFAULT_THRESHOLDS.delta(name)
    overrides: dict[timedelta, list[int]] = {}
    for team_id, thresholds in teams.items():
        delta = thresholds.delta(name)
        if delta != default:
            overrides.setdefault(delta, []).append(team_id)
    if not overrides:
        return condition(default)
    overridden = [team for group in overrides.values() for team in group]
    combined = condition(default) & ~Q(team_id__in=overridden)
    for delta, team_ids in overrides.items():
        combined |= condition(delta) & Q(team_id__in=team_ids)
    return combined


# ---------------------------------------------------------------------------------------------
# One query per kind
# ---------------------------------------------------------------------------------------------
# Each unordered (order_by()): the models' default orders would cost sorts and joins, and the
# order of what is due does not matter.
def due_soon(now: datetime, teams: Policies) -> list[Candidate]:
    rows = (
        Question.objects.filter(status__in=WITH_ANALYST, assignee__isnull=False, due_at__gt=now)
        .filter(per_team("due_soon_hours", teams, lambda d: Q(due_at__lte=now + d)))
        .order_by()
        .values_list("pk", "assignee_id", "due_at")
    )
    return [Candidate(Kind.DUE_SOON, pk, analyst, iso(due)) for pk, analyst, due in rows]


def overdue(now: datetime, teams: Policies) -> list[Candidate]:
    today = timezone.localdate(now).isoformat()
    rows = (
        Question.objects.filter(status__in=WITH_ANALYST, assignee__isnull=False, due_at__lte=now)
        .order_by()
        .values_list("pk", "assignee_id")
    )
    return [Candidate(Kind.OVERDUE, pk, analyst, today) for pk, analyst in rows]


def overdue_escalation(now: datetime, teams: Policies) -> list[Candidate]:
    rows = (
        Question.objects.filter(status__in=UNFINISHED, team__lead__isnull=False)
        .filter(per_team("overdue_escalation_days", teams, lambda d: Q(due_at__lte=now - d)))
        .order_by()
        .values_list("pk", "team__lead_id", "due_at")
    )
    return [Candidate(Kind.OVERDUE_ESCALATION, pk, lead, iso(due)) for pk, lead, due in rows]


def _in_review_since(now: datetime, teams: Policies, threshold: str, recipient: str):
    return (
        Question.objects.filter(status=Status.IN_REVIEW)
        .exclude(**{f"{recipient}__isnull": True})
        .annotate(since=Coalesce("status_changed_at", "updated_at"))
        .filter(per_team(threshold, teams, lambda d: Q(since__lte=now - d)))
        .order_by()
        .values_list("pk", recipient, "since")
    )


def review_waiting(now: datetime, teams: Policies) -> list[Candidate]:
    rows = _in_review_since(now, teams, "review_waiting_days", "reviewer_id")
    return [Candidate(Kind.REVIEW_WAITING, pk, reviewer, iso(s)) for pk, reviewer, s in rows]


def review_escalation(now: datetime, teams: Policies) -> list[Candidate]:
    rows = _in_review_since(now, teams, "review_escalation_days", "team__lead_id")
    return [Candidate(Kind.REVIEW_ESCALATION, pk, lead, iso(s)) for pk, lead, s in rows]


def unassigned(now: datetime, teams: Policies) -> list[Candidate]:
    rows = (
        Question.objects.filter(status=Status.OPEN, assignee__isnull=True, team__lead__isnull=False)
        .annotate(since=Coalesce("status_changed_at", "created_at"))
        .filter(per_team("unassigned_days", teams, lambda d: Q(since__lte=now - d)))
        .order_by()
        .values_list("pk", "team__lead_id", "since")
    )
    return [Candidate(Kind.UNASSIGNED, pk, lead, iso(since)) for pk, lead, since in rows]


def _latest(model, question_path: str, field: str) -> Subquery:
    return Subquery(
        model.objects.filter(**{question_path: OuterRef("pk")})
        .order_by()
        .values(question_path)
        .annotate(latest=Max(field))
        .values("latest")[:1]
    )


def last_activity() -> Greatest:
    """The question's last edit, new evidence link, hypothesis, ACH rating or assessment edit."""
    fallback = "updated_at"
    return Greatest(
        "updated_at",
        Coalesce("status_changed_at", fallback),
        Coalesce(_latest(EvidenceLink, "question", "created_at"), fallback),
        Coalesce(_latest(Assessment, "question", "updated_at"), fallback),
        Coalesce(_latest(Hypothesis, "question", "updated_at"), fallback),
        Coalesce(_latest(HypothesisRating, "hypothesis__question", "updated_at"), fallback),
    )


def quiet_since(moment: datetime) -> Q:
    """No edit of the question itself since `moment`: its own columns, which are bounds of
    last_activity() (it is their GREATEST with the rest). PostgreSQL checks these first and
    looks up the latest link, hypothesis, rating and assessment only for the questions that
    pass, not for every question in analysis; `stale` checks the rest on what it reads."""
    return Q(updated_at__lte=moment) & (
        Q(status_changed_at__isnull=True) | Q(status_changed_at__lte=moment)
    )


def stale(now: datetime, teams: Policies) -> list[Candidate]:
    rows = (
        Question.objects.filter(status=Status.IN_ANALYSIS, assignee__isnull=False)
        .filter(per_team("stale_days", teams, lambda d: quiet_since(now - d)))
        .annotate(last=last_activity())
        .order_by()
        .values_list("pk", "assignee_id", "team_id", "last")
    )
    candidates = []
    for pk, analyst, team_id, last in rows:
        # The whole of the last activity is checked here, not in SQL as well: filtering on the
        # annotation made PostgreSQL work out its four lookups twice per question.
        threshold = teams.get(team_id, DEFAULT_THRESHOLDS).delta("stale_days")
        if last > now - threshold:
            continue
        # One reminder per threshold interval of silence: after 7, 14, 21 … days by default.
        intervals = (now - last) // threshold
        candidates.append(Candidate(Kind.STALE, pk, analyst, f"{iso(last)}#{intervals}"))
    return candidates


def new_evidence(now: datetime, teams: Policies) -> list[Candidate]:
    """One notice per assessed question and person for the evidence linked since it was assessed
    (or since their last such notice), however many items that is: what the lead and the analyst
    need to hear is that the conclusion may need revisiting, once, not once per item. The period
    is the newest such link's id, so the notice is due again only when a newer link appears
    (unlinking the newest item brings nothing back), and the records of the earlier notice per
    link still count as told.

    A first sweep over a history of linked evidence (the benchmark's: 13,104 links on 1,706
    assessed questions) records 3,400 notices where one per link recorded 26,000."""
    newest = (
        EvidenceLink.objects.filter(question=OuterRef("pk"), created_at__gt=OuterRef("assessed_at"))
        .order_by("-pk")
        .values("pk")[:1]
    )
    told = Reminder.objects.filter(kind=Kind.NEW_EVIDENCE, question=OuterRef("pk")).annotate(
        # The period of every other kind is not a number: cast only this kind's.
        link=Case(
            When(kind=Kind.NEW_EVIDENCE, then=Cast("period", BigIntegerField())),
            output_field=BigIntegerField(),
        )
    )
    rows = (
        Question.objects.filter(status=Status.ASSESSED)
        .annotate(assessed_at=Coalesce("status_changed_at", "updated_at"), newest=Subquery(newest))
        .filter(newest__isnull=False)
        .filter(~Exists(told.filter(link__gte=OuterRef("newest"))))
        .order_by()
        .values_list("pk", "newest", "assignee_id", "team__lead_id")
    )
    return [
        Candidate(Kind.NEW_EVIDENCE, question, person, str(link))
        for question, link, analyst, lead in rows
        for person in {analyst, lead} - {None}
    ]


SELECTORS: tuple[Callable[[datetime, Policies], list[Candidate]], ...] = (
    due_soon,
    overdue,
    overdue_escalation,
    review_waiting,
    review_escalation,
    unassigned,
    stale,
    new_evidence,
)


def due_candidates(now: datetime) -> list[Candidate]:
    """Every notice due now: the reminders, and the transition notices of the catch-up window."""
    teams = policies()
    candidates = [c for selector in SELECTORS for c in selector(now, teams)]
    return candidates + transition_candidates(since=now - CATCH_UP)


# ---------------------------------------------------------------------------------------------
# The sweep, and what it would do
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    due: int
    delivered: int  # notifications whose email goes out now
    emailed: int  # emails this sweep sent (at most settings.REMINDER_EMAIL_BATCH)
    emails_left: int = 0  # emails still waiting, for the chained tasks (notifications.tasks)


def sweep(now: datetime | None = None) -> SweepResult:
    """Record what is due, deliver it and every claimable record in-app, send a batch of the
    emails waiting to go out (the rest is for the tasks chained after the sweep).

    Safe to run twice, or in two workers at once: keys are recorded once, and each record is
    delivered only by the sweep that recorded it (in the same transaction) or claimed it.
    """
    now = now or timezone.now()
    # 1. Record what is due and deliver it in-app, together.
    due, notifications = delivery.record_and_deliver(due_candidates(now), now)
    # 2. Claim and deliver unsent records left over: written unsent by an earlier release
    #    (which delivered in a second transaction), or claimed by a worker that died.
    token = claim(now)
    if token is not None:
        notifications += delivery.deliver_claimed(token, now)
    emailed, left = delivery.send_email_batch(now)  # 3. email, including earlier leftovers
    return SweepResult(due=due, delivered=len(notifications), emailed=emailed, emails_left=left)


@dataclass(frozen=True)
class Preview:
    """One notice a sweep would deliver now, and how."""

    reminder: Reminder  # unsaved when not yet recorded
    text: str
    delivery: str
    recorded: bool


def preview(now: datetime | None = None) -> list[Preview]:
    """What a sweep would deliver now, to whom and why — without writing anything."""
    now = now or timezone.now()
    candidates = {c.key: c for c in due_candidates(now)}
    known = set(
        Reminder.objects.filter(
            question_id__in={c.question_id for c in candidates.values()}
        ).values_list("kind", "question_id", "recipient_id", "period")
    )
    related = ("recipient", "question__team", "question__assignee", "question__reviewer")
    waiting = list(Reminder.objects.filter(claimable(now)).select_related(*related))
    questions = Question.objects.select_related("team", "assignee", "reviewer").in_bulk(
        {c.question_id for key, c in candidates.items() if key not in known}
    )
    users = get_user_model().objects.in_bulk({c.recipient_id for c in candidates.values()})
    fresh = [
        Reminder(
            kind=c.kind,
            question=questions[c.question_id],
            recipient=users[c.recipient_id],
            period=c.period,
            detail=c.detail,
            state=ReminderState.RECORDED,
        )
        for key, c in candidates.items()
        if key not in known
    ]
    # As delivery would: nothing about a question its recipient may not see.
    seen = set()
    for user in {r.recipient for r in waiting + fresh}:
        questions_of = {r.question_id for r in waiting + fresh if r.recipient_id == user.pk}
        visible = visible_questions(user).filter(pk__in=questions_of)
        seen |= {(user.pk, pk) for pk in visible.values_list("pk", flat=True)}
    waiting = [r for r in waiting if (r.recipient_id, r.question_id) in seen]
    fresh = [r for r in fresh if (r.recipient_id, r.question_id) in seen]
    deliveries = delivery.deliveries_for((r.recipient_id, r.kind) for r in waiting + fresh)
    return [
        Preview(
            reminder=r,
            text=messages.notice_text(r),
            delivery=deliveries[(r.recipient_id, r.kind)],
            recorded=r.pk is not None,
        )
        for r in waiting + fresh
    ]
