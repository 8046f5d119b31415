"""Why a workflow step was refused. Every entry point maps these the same way.

Each error carries a machine `code` and a `message` sentence meant for the person who tried.
`http_status` is the status the API answers with, so that mapping lives here, once.
This module imports nothing of ours: models and domain rules alike may raise these.
"""

from __future__ import annotations


class WorkflowError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotAllowedForState(WorkflowError):
    """The step does not apply to the question as it is now (e.g. approving a draft)."""

    http_status = 409


class NotAllowedForUser(WorkflowError):
    """The step applies now, but not for this person (e.g. a reviewer approving their own work)."""

    http_status = 403


class TransitionConflict(WorkflowError):
    """Someone else moved the question first: reload and decide again."""

    http_status = 409


class ValidationFailed(WorkflowError):
    """The request itself is incomplete or wrong: `errors` maps field names to messages."""

    http_status = 400

    def __init__(self, errors: dict[str, list[str]], code: str = "invalid") -> None:
        self.errors = {field: list(messages) for field, messages in errors.items()}
        message = " ".join(m for messages in self.errors.values() for m in messages)
        super().__init__(code, message)


class FrozenVersion(WorkflowError):
    """A submitted, returned or approved assessment version never changes."""

    http_status = 409
