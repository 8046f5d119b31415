"""Who may see what: the one home of read scoping.

Every entry point that lists, counts, searches or fetches domain objects (the API, the pages,
search, timelines, actor pages, history, notifications, the admin for non-superusers) starts
from these querysets; an object outside them does not exist for that user (the API answers 404).

Grants, then the markings' restrictions on top (TLP 2.0, docs/markings.md):

- questions: those of the user's teams (member or lead), those they are the analyst or the
  reviewer of, TLP:AMBER ones shared with one of their teams, TLP:CLEAR / TLP:GREEN ones for
  every signed-in user, and TLP:RED ones naming them as a recipient; then TLP:RED is withheld
  from everyone not named, and TLP:AMBER+STRICT from everyone outside the owning team;
- everything hanging off a question (hypotheses, comments, transitions) follows its question;
  evidence links and ratings need their evidence visible too; an assessment version needs every
  item it cites visible (it carries the most restrictive marking of what it cites, so its
  audience is the narrowest of theirs) and, when TLP:AMBER+STRICT, the owning team; reviews
  follow their assessment;
- evidence: TLP:CLEAR / TLP:GREEN for every signed-in user; otherwise recorded by the user or
  for one of their teams, or linked to a question they have a need-to-know grant for (team,
  assignment, sharing — not the public grant of a TLP:GREEN question, which would open every
  TLP:AMBER item linked to it to everyone), or naming them as a TLP:RED recipient; then TLP:RED
  is withheld from everyone not named, and TLP:AMBER+STRICT from everyone outside the owning team;
- events: those with no evidence, or with at least one visible evidence item;
- sources and actors: reference data, visible to every signed-in user;
- teams: the user's own; users: the members and leads of the user's teams, and the user;
- API tokens: one's own; notifications: one's own, about a question one may still see;
- superusers see everything; anonymous users see nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from accounts.models import Team
from evidence.choices import Tlp
from evidence.models import Actor, Event, Evidence, Source
from notifications.models import Notification
from questions.models import (
    Assessment,
    Comment,
    EvidenceLink,
    Hypothesis,
    HypothesisRating,
    Question,
    Review,
    Transition,
)
from tokens.models import ApiToken

# Markings whose items any signed-in user may see (TLP 2.0: shareable within the community).
SHAREABLE_TLP = (Tlp.CLEAR, Tlp.GREEN)


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _sees_all(user) -> bool:
    return user.is_superuser


def team_ids(user) -> QuerySet:
    """Ids of the teams `user` belongs to or leads, as a subquery."""
    return Team.objects.filter(Q(members=user) | Q(lead=user)).values("pk")


def _named_in(model, user) -> QuerySet:
    """Ids of the `model` rows (Question or Evidence) naming `user` as a TLP:RED recipient."""
    through = model.recipients.through
    return through.objects.filter(user=user).values(f"{model._meta.model_name}_id")


def _withheld(model, user, owning_team: str) -> Q:
    """Rows whose marking hides them from `user` whatever the grants: TLP:RED not naming them,
    TLP:AMBER+STRICT outside the owning team (`owning_team` is the field naming it)."""
    return (Q(tlp=Tlp.RED) & ~Q(pk__in=_named_in(model, user))) | (
        Q(tlp=Tlp.AMBER_STRICT) & ~Q(**{f"{owning_team}__in": team_ids(user)})
    )


def _need_to_know_questions(user) -> QuerySet:
    """Ids of the questions `user` may see by team, assignment, sharing or naming — every grant
    but the public one of TLP:CLEAR/GREEN — after the markings' restrictions."""
    shared = Question.shared_with.through.objects.filter(team__in=team_ids(user))
    grants = (
        Q(team__in=team_ids(user))
        | Q(assignee=user)
        | Q(reviewer=user)
        | Q(tlp=Tlp.AMBER, pk__in=shared.values("question_id"))
        | Q(tlp=Tlp.RED, pk__in=_named_in(Question, user))
    )
    return Question.objects.filter(grants).exclude(_withheld(Question, user, "team")).values("pk")


def visible_questions(user) -> QuerySet[Question]:
    if not _signed_in(user):
        return Question.objects.none()
    if _sees_all(user):
        return Question.objects.all()
    return Question.objects.filter(
        Q(pk__in=_need_to_know_questions(user)) | Q(tlp__in=SHAREABLE_TLP)
    )


def with_parent_visibility(questions: QuerySet[Question], user) -> QuerySet[Question]:
    """`questions` annotated with `parent_visible`: whether `user` may see each one's key question
    (a visible sub-question may hang under a TLP:RED key question that is not). One uncorrelated
    IN, hashed once by PostgreSQL — an EXISTS per row cost the question list seconds at scale."""
    parents = visible_questions(user).values("pk")
    return questions.annotate(
        parent_visible=ExpressionWrapper(Q(parent_id__in=parents), output_field=BooleanField())
    )


def visible_evidence(user, among: QuerySet | Iterable[int] | None = None) -> QuerySet[Evidence]:
    """The evidence `user` may see; with `among` (ids, or a queryset of them), only those items.

    `among` changes the plan, not the answer: for a question's few items (its page, its ACH
    matrix) the "linked to a question you may see" grant is checked item by item (EXISTS), which
    is fast for a few rows; without it, for search and lists, the set of linked items is built
    once and looked up (IN), which is fast for many. The wrong one costs a question page 0.5 s or
    a search 3 s at 200,000 items (bench/RESULTS.md).
    """
    if not _signed_in(user):
        return Evidence.objects.none()
    candidates = Evidence.objects.all() if among is None else Evidence.objects.filter(pk__in=among)
    if _sees_all(user):
        return candidates
    links = EvidenceLink.objects.filter(question__in=_need_to_know_questions(user))
    linked = (
        Q(pk__in=links.values("evidence_id"))
        if among is None
        else Q(Exists(links.filter(evidence=OuterRef("pk"))))
    )
    grants = (
        Q(tlp__in=SHAREABLE_TLP)
        | Q(owner_team__in=team_ids(user))
        | Q(created_by=user)
        | linked
        | Q(tlp=Tlp.RED, pk__in=_named_in(Evidence, user))
    )
    return candidates.filter(grants).exclude(_withheld(Evidence, user, "owner_team"))


def visible_sources(user) -> QuerySet[Source]:
    return Source.objects.all() if _signed_in(user) else Source.objects.none()


def visible_actors(user) -> QuerySet[Actor]:
    return Actor.objects.all() if _signed_in(user) else Actor.objects.none()


def visible_events(user) -> QuerySet[Event]:
    if not _signed_in(user):
        return Event.objects.none()
    if _sees_all(user):
        return Event.objects.all()
    through = Event.evidence.through.objects
    with_visible = through.filter(evidence__in=visible_evidence(user)).values("event")
    with_any = through.values("event")
    return Event.objects.filter(Q(pk__in=with_visible) | ~Q(pk__in=with_any))


def seen_by_recipient(*, recipient: str = "recipient", question: str = "question") -> Q:
    """Rows (notices) whose `recipient` may see their `question`: visible_questions(recipient)
    contains question, for every row at once — the notifications' check at delivery and before
    email, since a marking or a team may have changed between deciding on a notice and sending
    it.

    The same rules as visible_questions, written against the row's own recipient instead of one
    known user, so a batch addressed to any number of people is checked in one pass with a few
    index probes per row (a branch per recipient, each building that person's visible set, cost
    the first sweep of the benchmark's backlog minutes). tests/test_delivery_visibility.py checks
    that both say the same for every person and question of a planted world.
    """
    user = f"{recipient}_id"
    q = question

    def member_of(team: str) -> Q:
        """The recipient belongs to or leads the team `team` (an expression on the row)."""
        memberships = Team.members.through.objects.filter(
            team_id=OuterRef(team), user_id=OuterRef(user)
        )
        return Q(**{f"{team}__lead_id": F(user)}) | Q(Exists(memberships))

    def named() -> Exists:
        """The question names the recipient as a TLP:RED recipient."""
        return Exists(
            Question.recipients.through.objects.filter(
                question_id=OuterRef(f"{q}_id"), user_id=OuterRef(user)
            )
        )

    # A TLP:AMBER question shared with a team the recipient belongs to or leads.
    shared_with_mine = Exists(
        Question.shared_with.through.objects.filter(question_id=OuterRef(f"{q}_id")).filter(
            Q(team__lead_id=OuterRef(user)) | Q(team__members__id=OuterRef(user))
        )
    )
    grants = (
        member_of(f"{q}__team")
        | Q(**{f"{q}__assignee_id": F(user)})
        | Q(**{f"{q}__reviewer_id": F(user)})
        | (Q(**{f"{q}__tlp": Tlp.AMBER}) & Q(shared_with_mine))
        | (Q(**{f"{q}__tlp": Tlp.RED}) & Q(named()))
    )
    withheld = (Q(**{f"{q}__tlp": Tlp.RED}) & ~Q(named())) | (
        Q(**{f"{q}__tlp": Tlp.AMBER_STRICT}) & ~member_of(f"{q}__team")
    )
    need_to_know = grants & ~withheld
    return Q(**{f"{recipient}__is_active": True}) & (
        Q(**{f"{recipient}__is_superuser": True})
        | Q(**{f"{q}__tlp__in": SHAREABLE_TLP})
        | need_to_know
    )


def visible_hypotheses(user) -> QuerySet[Hypothesis]:
    return Hypothesis.objects.filter(question__in=visible_questions(user))


def visible_evidence_links(user) -> QuerySet[EvidenceLink]:
    return EvidenceLink.objects.filter(
        question__in=visible_questions(user), evidence__in=visible_evidence(user)
    )


def visible_hypothesis_ratings(user) -> QuerySet[HypothesisRating]:
    return HypothesisRating.objects.filter(
        hypothesis__question__in=visible_questions(user), evidence__in=visible_evidence(user)
    )


def visible_assessments(user, question: Question | None = None) -> QuerySet[Assessment]:
    """With `question`, only its versions — the same answer, but the cited items are checked
    among that question's citations instead of every citation there is (a question's page)."""
    if not _signed_in(user):
        return Assessment.objects.none()
    mine = Assessment.objects.all() if question is None else question.assessments.all()
    if _sees_all(user):
        return mine
    cites = Assessment.cited_evidence.through.objects.all()
    if question is not None:
        cites = cites.filter(assessment__question=question)
    seen = visible_evidence(user, among=None if question is None else cites.values("evidence_id"))
    cites_unseen = cites.exclude(evidence__in=seen.values("pk")).values("assessment_id")
    return (
        mine.filter(question__in=visible_questions(user))
        .exclude(pk__in=cites_unseen)
        .exclude(Q(tlp=Tlp.AMBER_STRICT) & ~Q(question__team__in=team_ids(user)))
    )


def visible_reviews(user, question: Question | None = None) -> QuerySet[Review]:
    return Review.objects.filter(assessment__in=visible_assessments(user, question))


def visible_comments(user) -> QuerySet[Comment]:
    return Comment.objects.filter(question__in=visible_questions(user))


def visible_transitions(user, question: Question | None = None) -> QuerySet[Transition]:
    # A submit, approve or return belongs to its version's story: hidden with the version.
    mine = Transition.objects.all() if question is None else question.transitions.all()
    return mine.filter(question__in=visible_questions(user)).filter(
        Q(assessment__isnull=True) | Q(assessment__in=visible_assessments(user, question))
    )


def visible_teams(user) -> QuerySet[Team]:
    if not _signed_in(user):
        return Team.objects.none()
    if _sees_all(user):
        return Team.objects.all()
    return Team.objects.filter(pk__in=team_ids(user))


def shareable_teams(user) -> QuerySet[Team]:
    """Teams `user` may share a TLP:AMBER question with: every team. A team's name is not
    secret inside one iqtrack; what the team sees is (visible_teams)."""
    return Team.objects.all() if _signed_in(user) else Team.objects.none()


def recipient_candidates(user) -> QuerySet:
    """People `user` may name as TLP:RED recipients: every active user — a distribution often
    crosses teams. Their names are not secret inside one iqtrack; what they see is."""
    User = get_user_model()
    return User.objects.filter(is_active=True) if _signed_in(user) else User.objects.none()


def visible_users(user) -> QuerySet:
    User = get_user_model()
    if not _signed_in(user):
        return User.objects.none()
    if _sees_all(user):
        return User.objects.all()
    teams = visible_teams(user)
    return User.objects.filter(
        Q(pk=user.pk)
        | Q(pk__in=Team.members.through.objects.filter(team__in=teams).values("user"))
        | Q(pk__in=teams.values("lead"))
    )


def visible_tokens(user) -> QuerySet[ApiToken]:
    if not _signed_in(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


def visible_notifications(user) -> QuerySet[Notification]:
    if not _signed_in(user):
        return Notification.objects.none()
    # A notice's text names its question: once the question is out of sight (a marking or a
    # team changed), so is the notice.
    return Notification.objects.filter(recipient=user, question__in=visible_questions(user))
