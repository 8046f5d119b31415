"""The question lifecycle: the only code that changes a question's status.

    draft ─publish→ open ─assign→ assigned ─start→ in_analysis ─submit→ in_review
    in_review ─approve→ assessed        in_review ─return→ in_analysis
    assessed ─reopen→ in_analysis       any state but closed ─close→ closed
    (assign again = reassign, allowed until sign-off: open, assigned, in_analysis, in_review)

Every step runs the same way (see `_step`):
1. lock the question row (select_for_update, inside transaction.atomic);
2. refuse with TransitionConflict if the question moved since the caller read it (a lost race);
3. ask questions.permissions whether this person may take this step from this state;
4. validate the step's own input (a comment, a reason, the people assigned);
5. apply its effects (freeze, sign or return the assessment version; record the review);
6. write the immutable Transition and the history rows, all stamped with one instant;
7. after commit, send questions.signals.question_transitioned.
A refused step raises before anything is written, so it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import has_role
from questions import permissions
from questions.assessments import content_hash, submission_errors
from questions.audit import lock_question, save_attributed
from questions.choices import Action, AssessmentState, ReviewDecision, Status
from questions.exceptions import TransitionConflict, ValidationFailed
from questions.markings import assignee_marking_errors
from questions.models import Assessment, Question, Review, Transition
from questions.signals import question_transitioned

Effect = Callable[[Question, datetime], None]


def publish(question: Question, actor, *, comment: str = "") -> Transition:
    return _step(question, actor, Action.PUBLISH, Status.OPEN, comment=comment)


def assign(
    question: Question,
    actor,
    *,
    analyst,
    reviewer,
    due_at: datetime | None = None,
    comment: str = "",
) -> Transition:
    """Assign analyst, reviewer and due date; from open, or again (reassign) until sign-off.

    `due_at=None` keeps the current due date.
    """

    def validate(locked: Question) -> None:
        errors = assignment_errors(locked, analyst=analyst, reviewer=reviewer, due_at=due_at)
        if errors:
            raise ValidationFailed(errors)

    def apply(locked: Question, now: datetime) -> None:
        locked.assignee = analyst
        locked.reviewer = reviewer
        if due_at is not None:
            locked.due_at = due_at

    def to_status(locked: Question) -> str:
        return Status.ASSIGNED if locked.status == Status.OPEN else locked.status

    return _step(
        question, actor, Action.ASSIGN, to_status, comment=comment, validate=validate, apply=apply
    )


def start(question: Question, actor, *, comment: str = "") -> Transition:
    return _step(question, actor, Action.START, Status.IN_ANALYSIS, comment=comment)


def submit(question: Question, actor, *, comment: str = "") -> Transition:
    """Send the current draft to review: it freezes and becomes the version under review."""

    def validate(locked: Question) -> None:
        errors = submission_errors(locked.draft_assessment())
        if errors:
            raise ValidationFailed(errors, code="draft_incomplete")

    def apply(locked: Question, now: datetime) -> None:
        draft = locked.draft_assessment()
        draft.state = AssessmentState.SUBMITTED
        draft.submitted_at = now
        save_attributed(draft, actor, when=now, reason=f"v{draft.version} submitted")

    return _step(
        question,
        actor,
        Action.SUBMIT,
        Status.IN_REVIEW,
        comment=comment,
        validate=validate,
        apply=apply,
        about=Question.draft_assessment,
    )


def approve(question: Question, actor, *, comment: str = "") -> Transition:
    """Sign off exactly the submitted version, recording the hash of what was signed."""
    return _step(
        question,
        actor,
        Action.APPROVE,
        Status.ASSESSED,
        comment=comment,
        apply=_review(actor, ReviewDecision.APPROVE, AssessmentState.APPROVED, comment),
        about=Question.submitted_assessment,
    )


def return_(question: Question, actor, *, comment: str) -> Transition:
    """Send the submitted version back to the analyst; the comment says what to change."""
    return _step(
        question,
        actor,
        Action.RETURN,
        Status.IN_ANALYSIS,
        comment=comment,
        validate=_required("comment", comment, "Say what the analyst should change."),
        apply=_review(actor, ReviewDecision.RETURN, AssessmentState.RETURNED, comment),
        about=Question.submitted_assessment,
    )


def reopen(question: Question, actor, *, reason: str) -> Transition:
    """Back to analysis after sign-off; the signed version stays signed, edits make a new one."""
    return _step(
        question,
        actor,
        Action.REOPEN,
        Status.IN_ANALYSIS,
        comment=reason,
        validate=_required("reason", reason, "Say why the question is reopened."),
    )


def close(question: Question, actor, *, reason: str) -> Transition:
    return _step(
        question,
        actor,
        Action.CLOSE,
        Status.CLOSED,
        comment=reason,
        validate=_required("reason", reason, "Say why the question is closed."),
    )


TRANSITIONS: dict[str, Callable[..., Transition]] = {
    Action.PUBLISH: publish,
    Action.ASSIGN: assign,
    Action.START: start,
    Action.SUBMIT: submit,
    Action.APPROVE: approve,
    Action.RETURN: return_,
    Action.REOPEN: reopen,
    Action.CLOSE: close,
}


def available_actions(question: Question, user) -> list[Action]:
    """The steps `user` may take on `question` now, in lifecycle order (the pages' buttons)."""
    return [action for action in Action if permissions.can(action, user, question)]


# ---------------------------------------------------------------------------------------------
# Validation shared with the forms
# ---------------------------------------------------------------------------------------------


def assignment_errors(
    question: Question, *, analyst, reviewer, due_at: datetime | None
) -> dict[str, list[str]]:
    """Why this assignment cannot stand (empty when it can). Forms may call it to pre-check."""
    errors: dict[str, list[str]] = {}
    team = question.team
    if analyst is None:
        errors["analyst"] = ["Choose an analyst."]
    elif not (has_role(analyst, Role.ANALYST) and permissions.is_member(analyst, team)):
        errors["analyst"] = [f"The analyst must be a member of {team} with the analyst role."]
    if reviewer is None:
        errors["reviewer"] = ["Choose a reviewer."]
    elif not (has_role(reviewer, Role.REVIEWER) and permissions.is_member(reviewer, team)):
        errors["reviewer"] = [f"The reviewer must be a member of {team} with the reviewer role."]
    elif analyst is not None and reviewer.pk == analyst.pk:
        errors["reviewer"] = ["The analyst cannot also be the reviewer (two-person rule)."]
    elif question.assessments.filter(author=reviewer).exists():
        errors["reviewer"] = [
            "The reviewer wrote a version of this assessment and cannot review it "
            "(two-person rule)."
        ]
    for field, messages in assignee_marking_errors(
        question, analyst=analyst, reviewer=reviewer
    ).items():
        errors.setdefault(field, messages)
    if due_at is not None and due_at <= timezone.now():
        errors["due_at"] = ["The due date must be in the future."]
    unchanged = (
        analyst is not None
        and reviewer is not None
        and question.assignee_id == analyst.pk
        and question.reviewer_id == reviewer.pk
        and (due_at is None or due_at == question.due_at)
    )
    if unchanged and not errors:
        errors["__all__"] = ["This is already the question's assignment."]
    return errors


# ---------------------------------------------------------------------------------------------
# The one way a step runs
# ---------------------------------------------------------------------------------------------


def _step(
    question: Question,
    actor,
    action: Action,
    to_status: str | Callable[[Question], str],
    *,
    comment: str = "",
    validate: Callable[[Question], None] | None = None,
    apply: Effect | None = None,
    about: Callable[[Question], Assessment | None] | None = None,
) -> Transition:
    with transaction.atomic():
        locked = lock_question(question)
        if locked.status != question.status:
            raise TransitionConflict(
                "status_changed",
                f"The question moved from {Status(question.status).label.lower()} to "
                f"{Status(locked.status).label.lower()} while you were looking at it; "
                "reload it and decide again.",
            )
        permissions.can(action, actor, locked).raise_if_denied()
        if validate is not None:
            validate(locked)

        now = timezone.now()
        from_status = locked.status
        version = about(locked) if about is not None else None
        if apply is not None:
            apply(locked, now)
        locked.status = to_status(locked) if callable(to_status) else to_status
        if locked.status != from_status:
            locked.status_changed_at = now
        transition = Transition.objects.create(
            question=locked,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            actor=actor,
            comment=comment.strip(),
            assessment=version,
            created_at=now,
        )
        # A step about a version keeps its comment with the version (visible to who may see it),
        # not in the question's own history, which everyone who sees the question reads.
        reason = _reason(action, "" if version is not None else comment)
        save_attributed(locked, actor, when=now, reason=reason)
        transaction.on_commit(
            lambda: question_transitioned.send(sender=Question, transition=transition),
            robust=True,  # a failing receiver must not make a committed step look failed
        )
    question.refresh_from_db()
    return transition


def _reason(action: Action, comment: str) -> str:
    text = " ".join(comment.split())
    return f"{action.label}: {text}" if text else action.label


def _required(field: str, value: str, message: str) -> Callable[[Question], None]:
    def validate(locked: Question) -> None:
        if not (value or "").strip():
            raise ValidationFailed({field: [message]}, code=f"{field}_required")

    return validate


def _review(actor, decision: str, new_state: str, comment: str) -> Effect:
    """Record the reviewer's decision on the submitted version, then settle that version.

    The Review is written first, while the version is still `submitted`: the database checks
    that its denormalised author and analyst are the real ones, and only lets a version become
    approved or returned when such a review of it exists.
    """

    def apply(locked: Question, now: datetime) -> None:
        version = locked.submitted_assessment()
        signed = content_hash(version)
        Review.objects.create(
            assessment=version,
            reviewer=actor,
            assessment_author_id=version.author_id,
            question_analyst_id=locked.assignee_id,
            decision=decision,
            comment=comment.strip(),
            content_hash=signed,
            created_at=now,
        )
        version.state = new_state
        if new_state == AssessmentState.APPROVED:
            version.content_hash = signed
            version.approved_at = now
        save_attributed(version, actor, when=now, reason=f"v{version.version} {new_state}")

    return apply
