"""Discussion on a question between its analyst, its reviewer and its team."""

from __future__ import annotations

from django.db import transaction

from questions import permissions
from questions.audit import save_attributed
from questions.exceptions import ValidationFailed
from questions.models import Comment, Question

MAX_COMMENT_LENGTH = 10_000


def add_comment(question: Question, author, body: str) -> Comment:
    """Post a comment; it becomes part of the question's history (questions.history)."""
    permissions.can_comment(author, question).raise_if_denied()
    body = (body or "").strip()
    if not body:
        raise ValidationFailed({"body": ["Write something to comment."]}, code="body_required")
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(
            {"body": [f"Keep a comment under {MAX_COMMENT_LENGTH:,} characters."]},
            code="body_too_long",
        )
    comment = Comment(question=question, author=author, body=body)
    with transaction.atomic():  # the comment and its history row, or neither
        save_attributed(comment, author, reason="commented")
    return comment
