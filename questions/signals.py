"""Signals the workflow sends, so that notifications can react without the workflow importing them.

`question_transitioned` is sent by questions.workflow only after the transaction that wrote the
transition has committed (transaction.on_commit), with `sender=Question` and
`transition=<questions.models.Transition>`. Receivers must not raise: a failure to notify must
never undo a committed transition.
"""

from django.dispatch import Signal

question_transitioned = Signal()
