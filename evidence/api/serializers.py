from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.api.serializers import BriefTeamSerializer, BriefUserSerializer
from accounts.models import Team
from evidence.dates import start_of
from evidence.models import Actor, Event, Evidence, Source
from iqtrack.api.serializers import BriefSerializer, ModelSerializer, VisibleRelatedField
from questions.markings import evidence_marking_errors
from questions.visibility import (
    recipient_candidates,
    visible_actors,
    visible_evidence,
    visible_sources,
    visible_teams,
)

TIMESTAMPS = ["created_at", "updated_at"]


def recipient_ids_field(who_must_be_named: str) -> VisibleRelatedField:
    """The write side of a TLP:RED distribution (questions.markings checks what it must hold):
    any active user may be named (questions.visibility.recipient_candidates)."""
    return VisibleRelatedField(
        source="recipients",
        visible=recipient_candidates,
        queryset=get_user_model().objects.all(),
        many=True,
        required=False,
        write_only=True,
        help_text=f"TLP:RED only: the people who may see {who_must_be_named}.",
    )


class BriefSourceSerializer(BriefSerializer):
    class Meta:
        model = Source
        fields = ["id", "key", "name", "reliability"]


class BriefActorSerializer(BriefSerializer):
    class Meta:
        model = Actor
        fields = ["id", "key", "name", "kind"]


class BriefEvidenceSerializer(BriefSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "key", "summary", "tlp"]


class BriefEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "key", "title", "happened_on", "happened_precision"]


class FuzzyDatesMixin:
    """A month or year date is stored as its first day (evidence.dates), as the pages store it."""

    date_prefixes: tuple[str, ...] = ()

    def validate(self, attrs):
        for prefix in self.date_prefixes:
            on, precision = f"{prefix}_on", f"{prefix}_precision"
            if attrs.get(on) is None:
                continue
            given = attrs.get(precision, getattr(self.instance, precision, ""))
            attrs[on] = start_of(attrs[on], given)
        return super().validate(attrs)


class SourceSerializer(ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "id",
            "key",
            "name",
            "kind",
            "url",
            "language",
            "reliability",
            "description",
            *TIMESTAMPS,
        ]


class ActorSerializer(ModelSerializer):
    affiliated_with = BriefActorSerializer(many=True, read_only=True)
    affiliated_with_ids = VisibleRelatedField(
        source="affiliated_with",
        visible=visible_actors,
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        write_only=True,
        help_text="Ids of the actors this one belongs to or acts for.",
    )

    class Meta:
        model = Actor
        fields = [
            "id",
            "key",
            "name",
            "kind",
            "affiliation",
            "affiliated_with",
            "affiliated_with_ids",
            "description",
            *TIMESTAMPS,
        ]


class EventSerializer(FuzzyDatesMixin, ModelSerializer):
    date_prefixes = ("happened",)
    actors = BriefActorSerializer(many=True, read_only=True)
    actor_ids = VisibleRelatedField(
        source="actors",
        visible=visible_actors,
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        write_only=True,
    )
    evidence = BriefEvidenceSerializer(
        many=True, read_only=True, help_text="The evidence about the event that you may see."
    )
    evidence_ids = VisibleRelatedField(
        source="evidence",
        visible=visible_evidence,
        queryset=Evidence.objects.all(),
        many=True,
        required=False,
        write_only=True,
    )
    happened_display = serializers.CharField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "key",
            "title",
            "description",
            "happened_on",
            "happened_precision",
            "happened_text",
            "happened_display",
            "place",
            "actors",
            "actor_ids",
            "evidence",
            "evidence_ids",
            *TIMESTAMPS,
        ]


class EvidenceSerializer(FuzzyDatesMixin, ModelSerializer):
    date_prefixes = ("happened", "reported")
    source = BriefSourceSerializer(read_only=True)
    source_id = VisibleRelatedField(
        source="source", visible=visible_sources, queryset=Source.objects.all(), write_only=True
    )
    owner_team = BriefTeamSerializer(read_only=True, allow_null=True)
    owner_team_id = VisibleRelatedField(
        source="owner_team",
        visible=visible_teams,
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        write_only=True,
        help_text="The team recording the item (one of yours).",
    )
    recipients = BriefUserSerializer(many=True, read_only=True)
    recipient_ids = recipient_ids_field("the item (include yourself)")
    derived_from_id = VisibleRelatedField(
        source="derived_from",
        visible=visible_evidence,
        queryset=Evidence.objects.all(),
        allow_null=True,
        required=False,
        help_text="The item this one repeats or derives from (circular reporting).",
    )
    actors = BriefActorSerializer(many=True, read_only=True)
    actor_ids = VisibleRelatedField(
        source="actors",
        visible=visible_actors,
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        write_only=True,
    )
    created_by = BriefUserSerializer(read_only=True, allow_null=True)
    grading = serializers.CharField(read_only=True, help_text="Admiralty code, e.g. B2.")
    is_rtl = serializers.BooleanField(read_only=True)
    happened_display = serializers.CharField(read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "key",
            "source",
            "source_id",
            "summary",
            "original_text",
            "original_language",
            "is_rtl",
            "translation",
            "happened_on",
            "happened_precision",
            "happened_text",
            "happened_display",
            "reported_on",
            "reported_precision",
            "reported_text",
            "credibility",
            "grading",
            "corroboration",
            "tlp",
            "owner_team",
            "owner_team_id",
            "recipients",
            "recipient_ids",
            "derived_from_id",
            "actors",
            "actor_ids",
            "notes",
            "created_by",
            *TIMESTAMPS,
        ]
        marking_rules = staticmethod(evidence_marking_errors)
        marking_relations = ("recipients",)

    def not_validated(self) -> list[str]:
        return ["created_by"]
