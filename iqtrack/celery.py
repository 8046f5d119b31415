"""The Celery app: configured from Django settings (CELERY_* names), tasks found per app.

The broker is Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/
(settings.py); the periodic schedule is settings.CELERY_BEAT_SCHEDULE.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iqtrack.settings")


def configure(app: Celery) -> Celery:
    """iqtrack's configuration on `app` (the tests build their own app with it, on their own
    broker)."""
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        # JSON only: a task message can never execute code on the worker.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # Acknowledge after the task ran, so a killed worker's task is delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # On a lost broker connection, a late-acknowledged task cannot be acknowledged any more:
        # cancel it (it is redelivered) rather than let it finish unacknowledged.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
    )
    app.autodiscover_tasks()
    return app


app = configure(Celery("iqtrack"))
