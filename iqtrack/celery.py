"""The Celery app: configured from Django settings (CELERY_* names), tasks found per app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iqtrack.settings")

app = Celery("iqtrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # JSON only: a task message can never execute code on the worker.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Acknowledge after the task ran, so a killed worker's task is delivered again.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)
app.autodiscover_tasks()
