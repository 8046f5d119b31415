"""Who may see what: the one home of read scoping.

Every entry point that lists or fetches domain objects (the API, the pages, exports) starts from
these querysets; an object outside them does not exist for that user (the API answers 404).

Done:
- questions: those of the user's teams (member or lead) and those they are the analyst or the
  reviewer of; everything hanging off a question (hypotheses, assessments, reviews, comments,
  transitions, evidence links) follows its question;
- evidence: linked to a visible question, recorded by the user or for one of the user's teams,
  or marked TLP:CLEAR / TLP:GREEN;
- events: those with no evidence, or with at least one visible evidence item;
- sources and actors: reference data, visible to every signed-in user;
- teams: the user's own; users: the members and leads of the user's teams, and the user;
- API tokens and notifications: one's own only (superusers included: they are personal);
- superusers see everything; anonymous users see nothing.

Not done yet (the TLP issue): the restrictions a marking adds on top of the grants above —
TLP:RED only for its named recipients, TLP:AMBER+STRICT only within the owning team, and the
question's own TLP. They belong in `_tlp_withheld_evidence` / `_tlp_withheld_questions`, which
every function here already applies.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

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


def _tlp_withheld_questions(user) -> Q | None:
    """Questions a TLP marking hides from `user` despite the grants. Not done yet: None."""
    return None


def _tlp_withheld_evidence(user) -> Q | None:
    """Evidence a TLP marking hides from `user` despite the grants. Not done yet: None."""
    return None


def _without(queryset: QuerySet, withheld: Q | None) -> QuerySet:
    return queryset if withheld is None else queryset.exclude(withheld)


def visible_questions(user) -> QuerySet[Question]:
    if not _signed_in(user):
        return Question.objects.none()
    if _sees_all(user):
        return Question.objects.all()
    grants = Q(team__in=team_ids(user)) | Q(assignee=user) | Q(reviewer=user)
    return _without(Question.objects.filter(grants), _tlp_withheld_questions(user))


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
    links = EvidenceLink.objects.filter(question__in=visible_questions(user))
    linked = (
        Q(pk__in=links.values("evidence"))
        if among is None
        else Q(Exists(links.filter(evidence=OuterRef("pk"))))
    )
    grants = (
        Q(tlp__in=SHAREABLE_TLP) | Q(owner_team__in=team_ids(user)) | Q(created_by=user) | linked
    )
    return _without(candidates.filter(grants), _tlp_withheld_evidence(user))


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


def visible_assessments(user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(question__in=visible_questions(user))


def visible_reviews(user) -> QuerySet[Review]:
    return Review.objects.filter(assessment__question__in=visible_questions(user))


def visible_comments(user) -> QuerySet[Comment]:
    return Comment.objects.filter(question__in=visible_questions(user))


def visible_transitions(user) -> QuerySet[Transition]:
    return Transition.objects.filter(question__in=visible_questions(user))


def visible_teams(user) -> QuerySet[Team]:
    if not _signed_in(user):
        return Team.objects.none()
    if _sees_all(user):
        return Team.objects.all()
    return Team.objects.filter(pk__in=team_ids(user))


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
    return Notification.objects.filter(recipient=user)
