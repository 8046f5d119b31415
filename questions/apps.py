from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "questions"
    verbose_name = "Questions and assessments"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from iqtrack.db import parse_timestamps_in_c, register_lookups

        register_lookups()
        connection_created.connect(parse_timestamps_in_c)
