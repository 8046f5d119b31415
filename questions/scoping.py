"""Which visibility function scopes each model: for the code that meets a model generically —
the admin's querysets and choice lists, the API's `<rel>_id` filters — and must scope it without
a per-model rule of its own.

The rules themselves are in questions.visibility; this only points at them. A model missing here
is an error (KeyError), never "visible to all": a new model is scoped before it can be shown.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from accounts.models import Team
from evidence.models import Actor, Event, Evidence, Source
from notifications.models import (
    Notification,
    NotificationPreference,
    Reminder,
    TeamReminderPolicy,
)
from questions import visibility
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


def _visible_reminders(user) -> QuerySet[Reminder]:
    """A reminder is the record behind a notification: one's own, about a visible question."""
    return Reminder.objects.filter(recipient=user, question__in=visibility.visible_questions(user))


def _own_preferences(user) -> QuerySet[NotificationPreference]:
    return (
        NotificationPreference.objects.filter(pk__in=[])
        if user is None
        else (NotificationPreference.objects.filter(user=user))
    )


def _team_policies(user) -> QuerySet[TeamReminderPolicy]:
    return TeamReminderPolicy.objects.filter(team__in=visibility.visible_teams(user))


def _registry() -> dict[type[Model], Callable[..., QuerySet]]:
    return {
        Question: visibility.visible_questions,
        Hypothesis: visibility.visible_hypotheses,
        EvidenceLink: visibility.visible_evidence_links,
        HypothesisRating: visibility.visible_hypothesis_ratings,
        Assessment: visibility.visible_assessments,
        Review: visibility.visible_reviews,
        Comment: visibility.visible_comments,
        Transition: visibility.visible_transitions,
        Evidence: visibility.visible_evidence,
        Source: visibility.visible_sources,
        Actor: visibility.visible_actors,
        Event: visibility.visible_events,
        Team: visibility.visible_teams,
        get_user_model(): visibility.visible_users,
        ApiToken: visibility.visible_tokens,
        Notification: visibility.visible_notifications,
        Reminder: _visible_reminders,
        NotificationPreference: _own_preferences,
        TeamReminderPolicy: _team_policies,
    }


def is_scoped(model: type[Model]) -> bool:
    return model in _registry()


def visible_for(model: type[Model], user) -> QuerySet:
    """What `user` may see of `model` (KeyError for a model no rule scopes)."""
    return _registry()[model](user)
