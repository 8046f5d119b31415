from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "questions"
    verbose_name = "Questions and assessments"

    def ready(self) -> None:
        from iqtrack.db import register_lookups

        register_lookups()
