from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and reminders"

    def ready(self) -> None:
        # Transition notices: the workflow sends this signal after its transaction commits.
        from notifications import receivers
        from questions.signals import question_transitioned

        question_transitioned.connect(
            receivers.on_question_transitioned, dispatch_uid="notifications.on_transition"
        )
