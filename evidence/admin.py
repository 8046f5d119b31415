"""Admin for sources, evidence, actors and events.

Visibility by TLP marking is not applied here yet: the admin is for staff. When the visibility
rules land (questions/permissions.py), get_queryset should call them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from evidence.models import Actor, Event, Evidence, Source
from iqtrack.admin_base import DomainAdmin
from questions.markings import evidence_marking_errors

DATES_AS_WRITTEN = (
    ("happened_text", "happened_on", "happened_precision"),
    ("reported_text", "reported_on", "reported_precision"),
)


@admin.register(Source)
class SourceAdmin(DomainAdmin):
    # Stated here: a queryset with a count column (get_queryset) drops Meta.ordering, which left
    # the autocomplete's pages in no order.
    ordering = ("name", "id")
    list_display = ("name", "kind", "reliability", "language", "evidence_count", "url")
    list_filter = ("kind", "reliability", "language")
    search_fields = ("name", "key", "url", "description")
    readonly_fields = ("created_at", "updated_at")
    # A source URL typed without a scheme is a web address: assume https, as Django 6 will.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(_evidence_count=Count("evidence"))

    @admin.display(description="evidence", ordering="_evidence_count")
    def evidence_count(self, source: Source) -> int:
        return source._evidence_count


@admin.register(Evidence)
class EvidenceAdmin(DomainAdmin):
    list_display = (
        "short_summary",
        "source",
        "grading",
        "happened",
        "corroboration",
        "tlp",
        "original_language",
    )
    list_select_related = ("source",)
    list_filter = (
        "corroboration",
        "tlp",
        "source__reliability",
        "credibility",
        "original_language",
        "happened_precision",
        "source__kind",
        ("owner_team", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "summary",
        "key",
        "original_text",
        "translation",
        "happened_text",
        "source__name",
        "actors__name",
    )
    autocomplete_fields = ("source", "derived_from", "owner_team")
    filter_horizontal = ("actors", "recipients")
    readonly_fields = ("grading", "created_by", "created_at", "updated_at")
    marking_rules = staticmethod(evidence_marking_errors)
    marking_relations = ("recipients",)
    fieldsets = (
        (None, {"fields": ("key", "source", "summary")}),
        (
            "Original and translation",
            {"fields": ("original_language", "original_text", "translation")},
        ),
        ("When", {"fields": DATES_AS_WRITTEN}),
        (
            "Grading and handling",
            {
                "fields": (
                    "credibility",
                    "grading",
                    "corroboration",
                    "tlp",
                    "owner_team",
                    "recipients",
                )
            },
        ),
        ("Links", {"fields": ("derived_from", "actors", "notes")}),
        ("Record", {"fields": ("created_by", "created_at", "updated_at")}),
    )

    @admin.display(description="summary", ordering="summary")
    def short_summary(self, evidence: Evidence) -> str:
        return evidence.summary if len(evidence.summary) <= 90 else evidence.summary[:89] + "…"

    @admin.display(description="grading")
    def grading(self, evidence: Evidence) -> str:
        return evidence.grading

    @admin.display(description="happened (as written)", ordering="happened_on")
    def happened(self, evidence: Evidence) -> str:
        return evidence.happened_text or evidence.happened_display

    def save_model(self, request: HttpRequest, obj: Evidence, form, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Actor)
class ActorAdmin(DomainAdmin):
    list_display = ("name", "kind", "affiliation")
    list_filter = ("kind",)
    search_fields = ("name", "key", "affiliation", "description")
    filter_horizontal = ("affiliated_with",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Event)
class EventAdmin(DomainAdmin):
    list_display = ("title", "happened", "place", "actor_names")
    list_filter = ("happened_precision",)
    search_fields = ("title", "key", "place", "description", "happened_text", "actors__name")
    filter_horizontal = ("actors",)
    autocomplete_fields = ("evidence",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("key", "title", "description", "place")}),
        ("When", {"fields": (DATES_AS_WRITTEN[0],)}),
        ("Who and on what evidence", {"fields": ("actors", "evidence")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).prefetch_related("actors")

    @admin.display(description="happened (as written)", ordering="happened_on")
    def happened(self, event: Event) -> str:
        return event.happened_text or event.happened_display

    @admin.display(description="actors")
    def actor_names(self, event: Event) -> str:
        return ", ".join(actor.name for actor in event.actors.all())
