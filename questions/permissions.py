"""Who may do what to a question, now. The one place these rules live.

Every function answers for one action with a `Decision`: truthy when allowed, otherwise falsy with
a `code` for machines and a `reason` sentence for people. The state is checked before the person,
so a refusal says which of the two is wrong. The admin, the API, the pages and the tasks call these
(through questions.workflow for status changes); none of them re-implements a rule.

Roles are Django groups (accounts.models.has_role) plus team membership:
- lead actions (publish, assign/reassign, reopen, close, editing the question): the team's lead,
  or a member of the team who holds the lead role;
- analyst actions (start, submit, drafting the assessment): the assigned analyst;
- reviewer actions (approve, return): the assigned reviewer, who is never an author of the
  assessment (of any version) nor the question's analyst (the two-person rule);
- comments: anyone on the question (its team, its analyst, its reviewer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q

from accounts.choices import Role
from accounts.models import Team, has_role
from questions.choices import Action, Status
from questions.exceptions import NotAllowedForState, NotAllowedForUser, WorkflowError
from questions.models import Question

Refusal = Literal["", "state", "user"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    reason: str
    refusal: Refusal = ""

    def __bool__(self) -> bool:
        return self.allowed

    def error(self) -> WorkflowError:
        """The exception an entry point raises for this refusal."""
        error_class = NotAllowedForState if self.refusal == "state" else NotAllowedForUser
        return error_class(self.code, self.reason)

    def raise_if_denied(self) -> None:
        if not self.allowed:
            raise self.error()


ALLOWED = Decision(True, "allowed", "Allowed.")


def _wrong_state(reason: str, code: str = "wrong_state") -> Decision:
    return Decision(False, code, reason, "state")


def _wrong_user(code: str, reason: str) -> Decision:
    return Decision(False, code, reason, "user")


def _status_label(status: str) -> str:
    return Status(status).label.lower()


def _in_state(question: Question, allowed: set[str], doing: str) -> Decision:
    if question.status in allowed:
        return ALLOWED
    if len(allowed) == len(Status.values) - 1:  # name the one exception, not the rule
        return _wrong_state(
            f"A question that is {_status_label(question.status)} cannot be {doing}."
        )
    labels = [_status_label(s) for s in Status.values if s in allowed]
    wanted = " or ".join(filter(None, [", ".join(labels[:-1]), labels[-1]]))
    return _wrong_state(
        f"Only a question that is {wanted} can be {doing}; "
        f"this one is {_status_label(question.status)}."
    )


# ---------------------------------------------------------------------------------------------
# Who someone is to a question
# ---------------------------------------------------------------------------------------------


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_member(user, team: Team) -> bool:
    return _signed_in(user) and team.members.filter(pk=user.pk).exists()


def is_lead(user, team: Team) -> bool:
    """The team's designated lead, or a member of the team who holds the lead role."""
    if not _signed_in(user):
        return False
    if team.lead_id == user.pk:
        return True
    return has_role(user, Role.LEAD) and is_member(user, team)


def is_assigned_analyst(user, question: Question) -> bool:
    return _signed_in(user) and question.assignee_id == user.pk and has_role(user, Role.ANALYST)


def is_assigned_reviewer(user, question: Question) -> bool:
    return _signed_in(user) and question.reviewer_id == user.pk and has_role(user, Role.REVIEWER)


def is_on_question(user, question: Question) -> bool:
    """Team members (lead included), the assigned analyst and the assigned reviewer."""
    if not _signed_in(user):
        return False
    if user.pk in (question.assignee_id, question.reviewer_id, question.team.lead_id):
        return True
    return is_member(user, question.team)


def _lead_only(user, question: Question) -> Decision:
    if is_lead(user, question.team):
        return ALLOWED
    return _wrong_user("not_team_lead", "Only the team's lead can do this.")


def _analyst_only(user, question: Question) -> Decision:
    if is_assigned_analyst(user, question):
        return ALLOWED
    return _wrong_user(
        "not_assigned_analyst", "Only the analyst assigned to this question can do this."
    )


def _reviewer_only(user, question: Question) -> Decision:
    """The two-person rule: the assigned reviewer, never an author nor the analyst."""
    if not is_assigned_reviewer(user, question):
        return _wrong_user(
            "not_assigned_reviewer", "Only the reviewer assigned to this question can do this."
        )
    if question.assignee_id == user.pk:
        return _wrong_user(
            "reviewer_is_analyst", "You are this question's analyst; someone else must review it."
        )
    # Any version: a later version starts as a copy of the earlier ones, so it is partly theirs.
    authored = question.assessments.filter(author_id=user.pk).order_by("-version").first()
    if authored is not None:
        return _wrong_user(
            "reviewer_is_author",
            f"You wrote version {authored.version} of this assessment; "
            "someone else must review it.",
        )
    return ALLOWED


# ---------------------------------------------------------------------------------------------
# One function per action
# ---------------------------------------------------------------------------------------------

REASSIGNABLE = {Status.OPEN, Status.ASSIGNED, Status.IN_ANALYSIS, Status.IN_REVIEW}


NOT_CLOSED = set(Status.values) - {Status.CLOSED}


def _first_refusal(*checks: Callable[[], Decision]) -> Decision:
    """Run the checks in order (state before person) and answer with the first refusal."""
    for check in checks:
        decision = check()
        if not decision:
            return decision
    return ALLOWED


def can_publish(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, {Status.DRAFT}, "published"),
        lambda: _lead_only(user, question),
    )


def can_assign(user, question: Question) -> Decision:
    """Assign from open; reassign analyst, reviewer or due date until sign-off."""
    return _first_refusal(
        lambda: _in_state(question, REASSIGNABLE, "assigned"),
        lambda: _lead_only(user, question),
    )


def can_start(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, {Status.ASSIGNED}, "started"),
        lambda: _analyst_only(user, question),
    )


def _has_draft(question: Question) -> Decision:
    if question.draft_assessment() is not None:
        return ALLOWED
    return _wrong_state(
        "There is no assessment draft to submit: write or revise the assessment first.",
        code="no_draft",
    )


def can_submit(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, {Status.IN_ANALYSIS}, "submitted for review"),
        lambda: _analyst_only(user, question),
        lambda: _has_draft(question),
    )


def can_approve(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, {Status.IN_REVIEW}, "approved"),
        lambda: _reviewer_only(user, question),
    )


def can_return(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, {Status.IN_REVIEW}, "returned"),
        lambda: _reviewer_only(user, question),
    )


def can_reopen(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, {Status.ASSESSED}, "reopened"),
        lambda: _lead_only(user, question),
    )


def can_close(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, NOT_CLOSED, "closed"),
        lambda: _lead_only(user, question),
    )


TRANSITION_RULES: dict[str, Callable[..., Decision]] = {
    Action.PUBLISH: can_publish,
    Action.ASSIGN: can_assign,
    Action.START: can_start,
    Action.SUBMIT: can_submit,
    Action.APPROVE: can_approve,
    Action.RETURN: can_return,
    Action.REOPEN: can_reopen,
    Action.CLOSE: can_close,
}


def can(action: str, user, question: Question) -> Decision:
    """The rule for a workflow action by name (Action values)."""
    return TRANSITION_RULES[Action(action)](user, question)


# ---------------------------------------------------------------------------------------------
# Edits that are not status changes
# ---------------------------------------------------------------------------------------------

# Hypotheses and evidence links shape the analysis; they stop moving once it is under review.
ANALYSIS_OPEN = {Status.ASSIGNED, Status.IN_ANALYSIS}
LEAD_SHAPING = {Status.DRAFT, Status.OPEN, Status.ASSIGNED, Status.IN_ANALYSIS}


def can_edit_question(user, question: Question) -> Decision:
    """Title, body, priority, marking, parent: the lead's, until the question is closed."""
    return _first_refusal(
        lambda: _in_state(question, NOT_CLOSED, "edited"),
        lambda: _lead_only(user, question),
    )


def can_edit_assessment(user, question: Question) -> Decision:
    """Drafting or revising the assessment: the assigned analyst, while in analysis."""
    return _first_refusal(
        lambda: _in_state(question, {Status.IN_ANALYSIS}, "drafted or revised"),
        lambda: _analyst_only(user, question),
    )


def _analyst_or_lead(user, question: Question) -> Decision:
    if question.status in ANALYSIS_OPEN and is_assigned_analyst(user, question):
        return ALLOWED
    if is_lead(user, question.team):
        return ALLOWED
    return _wrong_user(
        "not_analyst_or_lead",
        "Only the question's analyst (once assigned) or the team's lead can do this.",
    )


def _analysis_material(user, question: Question, doing: str) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, LEAD_SHAPING, doing),
        lambda: _analyst_or_lead(user, question),
    )


def can_edit_hypotheses(user, question: Question) -> Decision:
    return _analysis_material(user, question, "given new or changed hypotheses")


def can_add_evidence_link(user, question: Question) -> Decision:
    return _analysis_material(user, question, "linked to evidence")


def evidence_linkable(user) -> Q:
    """`can_add_evidence_link` as a condition on question rows, for offering and searching the
    questions an item may be linked to: the same rule, checked by the database over thousands of
    questions at once where the function would ask about each one's team (the evidence form
    asked 2,600 times). tests/test_permissions.py checks that both say the same."""
    if not _signed_in(user):
        return Q(pk__in=[])
    lead = Q(team__lead_id=user.pk)
    if has_role(user, Role.LEAD):
        members = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        lead |= Q(team_id__in=members)
    grants = lead
    if has_role(user, Role.ANALYST):
        grants |= Q(status__in=ANALYSIS_OPEN, assignee_id=user.pk)
    return Q(status__in=LEAD_SHAPING) & grants


def can_rate(user, question: Question) -> Decision:
    """ACH ratings of evidence against the question's hypotheses."""
    return _analysis_material(user, question, "rated (ACH)")


def _on_question(user, question: Question) -> Decision:
    if is_on_question(user, question):
        return ALLOWED
    return _wrong_user(
        "not_on_question",
        "Only the question's team, its analyst and its reviewer can comment on it.",
    )


def can_comment(user, question: Question) -> Decision:
    return _first_refusal(
        lambda: _in_state(question, NOT_CLOSED, "commented on"),
        lambda: _on_question(user, question),
    )
