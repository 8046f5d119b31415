"""Shared by the case-file tests: the seed file, row counts, and emptying the case tables."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings

from accounts.models import Team
from evidence.models import Actor, Event, Evidence, Source
from questions.models import EvidenceLink, Hypothesis, HypothesisRating, Question

SEED = Path(settings.BASE_DIR) / "casefiles" / "russia-hamas-2023.yaml"


def row_counts() -> dict[str, int]:
    """Rows in every table Django knows, history tables included."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def history_counts() -> dict[str, int]:
    return {label: n for label, n in row_counts().items() if ".Historical" in label}


def empty_the_case_tables() -> None:
    """Delete every case row so that an import starts from an empty database."""
    HypothesisRating.objects.all().delete()
    EvidenceLink.objects.all().delete()
    Hypothesis.objects.all().delete()
    Question.objects.update(parent=None)
    Question.objects.all().delete()
    Event.objects.all().delete()
    Evidence.objects.update(derived_from=None)
    Evidence.objects.all().delete()
    Source.objects.all().delete()
    Actor.objects.all().delete()
    Team.objects.all().delete()
