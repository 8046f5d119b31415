from __future__ import annotations

from functools import partial

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_view

from accounts.api.serializers import BriefUserSerializer
from evidence import permissions
from evidence.api.filters import (
    ActorFilterSet,
    EventFilterSet,
    EvidenceFilterSet,
    SourceFilterSet,
)
from evidence.api.serializers import (
    ActorSerializer,
    BriefActorSerializer,
    BriefEvidenceSerializer,
    EventSerializer,
    EvidenceSerializer,
    SourceSerializer,
)
from iqtrack.api.base import ModelViewSet
from iqtrack.api.pagination import CursorPages
from iqtrack.api.schema import crud_summaries
from iqtrack.api.serializers import prefetch_brief
from questions.visibility import (
    visible_actors,
    visible_events,
    visible_evidence,
    visible_sources,
)


class ReferenceViewSet(ModelViewSet):
    """Sources, actors and events: shared reference data that researchers keep."""

    def perform_create(self, serializer):
        permissions.can_edit_reference(self.request.user).raise_if_denied()
        return serializer.save()

    def check_can_change(self, instance) -> None:
        permissions.can_edit_reference(self.request.user).raise_if_denied()


@extend_schema_view(**crud_summaries("source"))
class SourceViewSet(ReferenceViewSet):
    """Who or what reported: outlets, official sites, governments, named people, graded A–F."""

    visible = staticmethod(visible_sources)
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["name", "reliability", "created_at"]


@extend_schema_view(**crud_summaries("actor"))
class ActorViewSet(ReferenceViewSet):
    """People, organisations and states that appear in the evidence."""

    visible = staticmethod(visible_actors)
    serializer_class = ActorSerializer
    filterset_class = ActorFilterSet
    ordering_fields = ["name", "kind", "created_at"]

    def get_prefetches(self):
        if self.action == "list":
            return [prefetch_brief("affiliated_with", BriefActorSerializer)]
        return ["affiliated_with"]


@extend_schema_view(**crud_summaries("event"))
class EventViewSet(ReferenceViewSet):
    """Things that happened (meetings, visits, attacks), with their actors and evidence."""

    visible = staticmethod(visible_events)
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    ordering_fields = ["happened_on", "title", "created_at"]

    def get_prefetches(self):
        evidence = visible_evidence(self.request.user)
        if self.action == "list":
            return [
                prefetch_brief("actors", BriefActorSerializer),
                prefetch_brief("evidence", BriefEvidenceSerializer, evidence),
            ]
        return ["actors", Prefetch("evidence", queryset=evidence)]


@extend_schema_view(**crud_summaries("evidence item", plural="evidence"))
class EvidenceViewSet(ModelViewSet):
    """Reported items: what was said or seen, when, by which source, in which language."""

    pagination_class = CursorPages
    visible = staticmethod(partial(visible_evidence, item_by_item=True))  # by cursor
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    select_related = ("source", "owner_team", "created_by")
    ordering_fields = ["happened_on", "reported_on", "credibility", "created_at", "updated_at"]

    def get_prefetches(self):
        if self.action == "list":
            return [
                prefetch_brief("actors", BriefActorSerializer),
                prefetch_brief("recipients", BriefUserSerializer),
            ]
        return ["actors", "recipients"]

    def perform_create(self, serializer):
        owner_team = serializer.validated_data.get("owner_team")
        permissions.can_record_evidence(self.request.user, owner_team).raise_if_denied()
        return serializer.save(created_by=self.request.user)

    def check_can_change(self, instance) -> None:
        permissions.can_edit_evidence(self.request.user, instance).raise_if_denied()

    def perform_destroy(self, instance) -> None:
        permissions.can_delete_evidence(self.request.user, instance).raise_if_denied()
        instance.delete()

    def perform_update(self, serializer):
        if "owner_team" in serializer.validated_data:
            owner_team = serializer.validated_data["owner_team"]
            permissions.can_record_evidence(self.request.user, owner_team).raise_if_denied()
        serializer.save()
