"""Who may record and change sources, evidence, actors and events. The one place these rules live.

- Sources, actors and events are shared reference data: holders of the analyst or lead role
  record and correct them.
- Evidence: holders of the analyst or lead role record it; an item recorded for a team (its
  `owner_team`) is changed or removed only by members of that team.
Seeing an item at all is questions.visibility's business, checked before these.
Removing something other records still refer to is refused by the database (PROTECT).
"""

from __future__ import annotations

from accounts.choices import Role
from accounts.models import Team, has_role
from evidence.models import Evidence
from questions.permissions import ALLOWED, Decision


def _refused(code: str, reason: str) -> Decision:
    return Decision(False, code, reason, "user")


def _researcher(user) -> bool:
    return has_role(user, Role.ANALYST) or has_role(user, Role.LEAD)


def _on_team(user, team: Team) -> bool:
    return team.lead_id == user.pk or team.members.filter(pk=user.pk).exists()


def can_edit_reference(user) -> Decision:
    """Add, correct or remove a source, an actor or an event."""
    if _researcher(user):
        return ALLOWED
    return _refused("not_researcher", "Only analysts and team leads record reference data.")


def can_record_evidence(user, owner_team: Team | None) -> Decision:
    if not _researcher(user):
        return _refused("not_researcher", "Only analysts and team leads record evidence.")
    if owner_team is not None and not _on_team(user, owner_team):
        return _refused(
            "not_on_team", f"You can record evidence only for your teams, not {owner_team}."
        )
    return ALLOWED


def can_edit_evidence(user, evidence: Evidence) -> Decision:
    """Correct or remove an evidence item."""
    return can_record_evidence(user, evidence.owner_team)
