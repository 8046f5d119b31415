import django_filters

from evidence.choices import Credibility, Language, Reliability, Tlp
from evidence.models import Actor, Event, Evidence, Source
from iqtrack.api.filters import BaseFilterSet, IdFilter


class SourceFilterSet(BaseFilterSet):
    search_fields = ("name", "description", "url")

    class Meta:
        model = Source
        fields = ["kind", "reliability", "language"]


class EvidenceFilterSet(BaseFilterSet):
    source_id = IdFilter(field_name="source")
    owner_team_id = IdFilter(field_name="owner_team")
    actor_id = IdFilter(field_name="actors", label="Evidence naming this actor.")
    event_id = IdFilter(field_name="events", label="Evidence about this event.")
    question_id = IdFilter(field_name="question_links__question", label="Linked to this question.")
    derived_from_id = IdFilter(field_name="derived_from")
    language = django_filters.ChoiceFilter(
        field_name="original_language", choices=Language.choices, label="Original language."
    )
    reliability = django_filters.ChoiceFilter(
        field_name="source__reliability", choices=Reliability.choices, label="Source reliability."
    )
    credibility = django_filters.TypedChoiceFilter(choices=Credibility.choices, coerce=int)
    tlp = django_filters.ChoiceFilter(choices=Tlp.choices)
    happened_after = django_filters.DateFilter(
        field_name="happened_on", lookup_expr="gte", label="Happened on or after this date."
    )
    happened_before = django_filters.DateFilter(
        field_name="happened_on", lookup_expr="lte", label="Happened on or before this date."
    )
    search_fields = ("summary", "original_text", "translation", "notes", "key")

    class Meta:
        model = Evidence
        fields = ["corroboration"]


class ActorFilterSet(BaseFilterSet):
    evidence_id = IdFilter(field_name="evidence", label="Actors named in this evidence.")
    event_id = IdFilter(field_name="events", label="Actors in this event.")
    affiliated_with_id = IdFilter(field_name="affiliated_with")
    search_fields = ("name", "affiliation", "description")

    class Meta:
        model = Actor
        fields = ["kind"]


class EventFilterSet(BaseFilterSet):
    actor_id = IdFilter(field_name="actors")
    evidence_id = IdFilter(field_name="evidence")
    happened_after = django_filters.DateFilter(field_name="happened_on", lookup_expr="gte")
    happened_before = django_filters.DateFilter(field_name="happened_on", lookup_expr="lte")
    search_fields = ("title", "description", "place")

    class Meta:
        model = Event
        fields = []
