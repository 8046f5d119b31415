"""The analysis in the API: a question's ACH matrix and timeline, an assessment's tradecraft
checks, and search. Read-only; each answer comes from the domain function the pages use
(questions.ach, questions.timeline, questions.tradecraft, questions.search) over the visibility
querysets, so an id out of sight is a 404 and a search never returns what you may not see.

Kept apart from views.py and serializers.py; registered in questions/api/urls.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from evidence.api.serializers import BriefActorSerializer, BriefSourceSerializer
from evidence.choices import Corroboration
from iqtrack.api.base import BaseViewSet
from iqtrack.api.schema import AutoSchema
from iqtrack.validation import MAX_QUERY_LENGTH
from questions.ach import build_matrix
from questions.api.serializers import BriefQuestionSerializer
from questions.choices import AchRating
from questions.search import KINDS, search
from questions.timeline import case_questions, timeline
from questions.tradecraft import check_assessment
from questions.visibility import visible_assessments, visible_questions

# ---------------------------------------------------------------------------------------------
# Serializers (answers only: nothing here is written)
# ---------------------------------------------------------------------------------------------


class AchHypothesisSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    inconsistency = serializers.FloatField(
        help_text="Weighted inconsistency: Σ points(rating) × weight(item); lower is better."
    )
    rank = serializers.IntegerField(help_text="1 = least inconsistent; ties share a rank.")
    top = serializers.BooleanField(help_text="Among the hypotheses tied for first.")


class AchEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    summary = serializers.CharField()
    source = BriefSourceSerializer()
    grading = serializers.CharField(help_text="Admiralty code, e.g. B2.")
    credibility = serializers.IntegerField()
    corroboration = serializers.CharField()
    single_source_or_unconfirmed = serializers.BooleanField()
    happened = serializers.CharField(help_text="As precise as the reporting, e.g. 2023-10.")
    weight = serializers.FloatField(help_text="Reliability weight × credibility weight.")
    diagnosticity = serializers.IntegerField(
        help_text="Spread of the item's ratings, 0 (no diagnostic value) to 4."
    )
    linchpin = serializers.BooleanField(
        help_text="Removing this item alone would change which hypothesis ranks first."
    )
    repeats_id = serializers.IntegerField(
        allow_null=True,
        help_text="The item of this matrix this one's reporting originates from, if another.",
    )


class AchRatingSerializer(serializers.Serializer):
    evidence_id = serializers.IntegerField()
    hypothesis_id = serializers.IntegerField()
    rating = serializers.ChoiceField(choices=AchRating.choices)


# The documented shape of the matrix's answer. The view builds that answer as plain data
# (`_ach_answer`): fields per item and per cell cost more than the rest of the answer together
# (20 × 300 with 6,000 cells; bench/RESULTS.md). tests/test_api_analysis.py checks it against this.
class AchSerializer(serializers.Serializer):
    question = BriefQuestionSerializer()
    hypotheses = AchHypothesisSerializer(many=True, help_text="In display order.")
    ranking = serializers.ListField(
        child=serializers.IntegerField(), help_text="Hypothesis ids, least inconsistent first."
    )
    evidence = AchEvidenceSerializer(many=True, help_text="Linked items you may see, by date.")
    ratings = AchRatingSerializer(many=True, read_only=True)
    linchpins = serializers.ListField(child=serializers.IntegerField())


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, e.g. `percentage_outside_step`.")
    severity = serializers.ChoiceField(choices=["blocking", "warning"])
    message = serializers.CharField()
    field = serializers.CharField(help_text="The part of the assessment at fault.")


class TradecraftSerializer(serializers.Serializer):
    assessment_id = serializers.IntegerField()
    version = serializers.IntegerField()
    ok = serializers.BooleanField(help_text="No blocking finding: the version may be submitted.")
    blocking = FindingSerializer(many=True)
    warnings = FindingSerializer(many=True)


class BriefTimelineEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    summary = serializers.CharField()


class TimelineEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["event", "evidence"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    date = serializers.DateField(source="on", allow_null=True, help_text="Earliest day allowed.")
    precision = serializers.CharField(help_text="day, month, year, approximate, or empty.")
    display = serializers.CharField(help_text="The date as precise as the reporting.")
    approximate = serializers.BooleanField()
    grading = serializers.SerializerMethodField()
    actors = BriefActorSerializer(many=True)
    evidence = BriefTimelineEvidenceSerializer(
        many=True, help_text="For an event: the visible items that report it."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_grading(self, entry) -> str:
        """Admiralty code of an evidence entry; empty for an event."""
        return entry.item.grading if entry.kind == "evidence" else ""


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_LENGTH)
    kind = serializers.ListField(
        child=serializers.ChoiceField(choices=KINDS), required=False, allow_empty=False
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)


class HitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    id = serializers.IntegerField()
    title = serializers.CharField()
    snippet = serializers.CharField(
        help_text="Safe HTML: the text is escaped, and matches are wrapped in <mark>…</mark>."
    )
    rank = serializers.FloatField()
    language = serializers.CharField(help_text="Language of the snippet (for lang=).")
    rtl = serializers.BooleanField(help_text="Show the snippet right to left.")


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = HitSerializer(many=True)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
WEAK = (Corroboration.SINGLE_SOURCE, Corroboration.UNCONFIRMED)


def _repeats(evidence_id: int, origin_of: dict[int, int]) -> int | None:
    """The item of the matrix (`origin_of`'s keys) this one's reporting originates from, when
    that is another item."""
    origin = origin_of[evidence_id]
    return origin if origin != evidence_id and origin in origin_of else None


class _Ratings:
    """The answer's ratings, by item, then hypothesis (ids ascending): AchRatingSerializer's
    dicts when iterated (DRF's encoder: indented or browsable answers), or their JSON written
    straight from the matrix's rows for AchJSONRenderer."""

    def __init__(self, rows: dict[int, dict[int, str]], hypothesis_ids: list[int]) -> None:
        self.rows = rows
        self.hypothesis_ids = sorted(hypothesis_ids)

    def cells(self) -> Iterator[tuple[int, int, str]]:
        for evidence_id in sorted(self.rows):
            rating_of = self.rows[evidence_id].get
            for hypothesis_id in self.hypothesis_ids:
                if (rating := rating_of(hypothesis_id)) is not None:
                    yield evidence_id, hypothesis_id, rating

    def __iter__(self) -> Iterator[dict]:
        return ({"evidence_id": e, "hypothesis_id": h, "rating": r} for e, h, r in self.cells())

    def json(self, dumps) -> str:
        """The list as `dumps` writes it compactly. Each object's end (its hypothesis and
        rating) is one of a few strings, written once; a row's objects share their start."""
        kinds = set().union(*(row.values() for row in self.rows.values()))
        encoded = {rating: dumps(rating) for rating in kinds}
        ends = {
            h: {
                rating: f'"hypothesis_id":{int(h)},"rating":{encoded[rating]}}}' for rating in kinds
            }
            for h in self.hypothesis_ids
        }
        columns = [(h, ends[h]) for h in self.hypothesis_ids]
        rows = []
        for evidence_id in sorted(self.rows):
            rating_of = self.rows[evidence_id].get
            start = f'{{"evidence_id":{int(evidence_id)},'
            objects = [
                start + end[rating] for h, end in columns if (rating := rating_of(h)) is not None
            ]
            if objects:
                rows.append(",".join(objects))
        return "[" + ",".join(rows) + "]"


class AchJSONRenderer(JSONRenderer):
    """JSONRenderer, byte for byte, for the matrix's answer: the encoder's walk over a dict per
    rating was most of the time spent writing a 20 × 300 matrix (6,000 ratings, 7 ms of 9);
    `_Ratings` writes them with one format string each. Compact output only (the default);
    with an indent the encoder writes them all (DRF's encoder iterates `_Ratings`)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if not (isinstance(data, dict) and indent is None and self.compact):
            return super().render(data, accepted_media_type, renderer_context)

        def dumps(value) -> str:
            return json.dumps(
                value,
                cls=self.encoder_class,
                ensure_ascii=self.ensure_ascii,
                allow_nan=not self.strict,
                separators=(",", ":"),
            )

        # An object in the compact form: `{` "key":value, … `}`.
        members = ",".join(
            f"{dumps(key)}:{value.json(dumps) if isinstance(value, _Ratings) else dumps(value)}"
            for key, value in data.items()
        )
        text = "{" + members + "}"
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def _ach_answer(question, user) -> dict:
    """The answer AchSerializer documents, built as plain data: the serializers' fields for
    300 items and their sources cost more than the rest of the answer together (20 × 300 matrix,
    bench/RESULTS.md). Keys in the serializers' order, values of their types."""
    # The user's matrix: items out of their sight are neither listed nor scored, nor counted.
    matrix = build_matrix(question, user)
    origin_of = matrix.origins()
    scoring = matrix.scoring
    scores = {s.hypothesis_id: s for s in scoring.scores}
    linchpins = set(scoring.linchpins)
    diagnosticity = scoring.diagnosticity
    weights = matrix.weights
    # One brief form per source (BriefSerializer reads each source's attributes straight off it).
    brief_source = BriefSourceSerializer().to_representation
    briefs = {}
    for e in matrix.evidence:
        if e.source.id not in briefs:
            briefs[e.source.id] = brief_source(e.source)
    return {
        "question": BriefQuestionSerializer().to_representation(question),
        "hypotheses": [
            {
                "id": h.id,
                "title": h.title,
                "position": h.position,
                "inconsistency": float(scores[h.id].inconsistency),
                "rank": scores[h.id].rank,
                "top": h.id in scoring.top,
            }
            for h in matrix.hypotheses
        ],
        "ranking": [s.hypothesis_id for s in scoring.scores],
        "evidence": [
            {
                "id": e.id,
                "summary": e.summary,
                "source": briefs[e.source.id],
                "grading": e.grading,
                "credibility": e.credibility,
                "corroboration": e.corroboration,
                "single_source_or_unconfirmed": e.corroboration in WEAK,
                "happened": e.happened_display,
                "weight": round(weights[e.id], 6),
                "diagnosticity": diagnosticity.get(e.id, 0),
                "linchpin": e.id in linchpins,
                "repeats_id": _repeats(e.id, origin_of),
            }
            for e in matrix.evidence
        ],
        "ratings": _Ratings(matrix.ratings, [h.id for h in matrix.hypotheses]),
        "linchpins": scoring.linchpins,
    }


class _AnalysisViewSet(BaseViewSet):
    """Single answers, not lists: no filters, ordering or pages."""

    filterset_class = None
    pagination_class = None
    filter_backends: list = []


class QuestionAnalysisViewSet(_AnalysisViewSet):
    """The ACH matrix and the timeline of a question you may see."""

    visible = staticmethod(visible_questions)
    reuse_plans_for = frozenset({"ach", "timeline"})

    @extend_schema(
        summary="Read a question's ACH matrix",
        description="Hypotheses × linked evidence with the ratings; each hypothesis's weighted "
        "inconsistency and rank (least inconsistent first), each item's diagnosticity, and the "
        "linchpin items (see docs/analysis.md).",
        responses=AchSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], renderer_classes=[AchJSONRenderer, BrowsableAPIRenderer])
    def ach(self, request, pk=None):
        question = self.get_object()
        # Plain data in AchSerializer's shape (tests/test_api_analysis.py checks it against the
        # serializer), not run through it: see _ach_answer.
        return Response(_ach_answer(question, request.user))

    @extend_schema(
        summary="Read a question's timeline",
        description="Events and evidence of the question and its sub-questions, oldest first, "
        "with each date as precise as the reporting; only what you may see.",
        responses=TimelineEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        question = self.get_object()
        entries = timeline(request.user, questions=case_questions(question, request.user))
        return Response(TimelineEntrySerializer(entries, many=True).data)


class AssessmentAnalysisViewSet(_AnalysisViewSet):
    """The tradecraft checks of an assessment version you may see."""

    visible = staticmethod(visible_assessments)

    @extend_schema(
        summary="Run the tradecraft checks on an assessment version",
        description="Blocking findings stop a submission; warnings are for the analyst and the "
        "reviewer (questions.tradecraft, docs/analysis.md).",
        responses=TradecraftSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def tradecraft(self, request, pk=None):
        assessment = self.get_object()
        report = check_assessment(assessment, request.user)
        answer = {
            "assessment_id": assessment.pk,
            "version": assessment.version,
            "ok": report.ok,
            "blocking": report.blocking,
            "warnings": report.warnings,
        }
        return Response(TradecraftSerializer(answer).data)


class _OneAnswerSchema(AutoSchema):
    """`GET /api/search/` answers one object (the query and its hits), not a paged list; a bad
    query is a 400."""

    def _is_list_view(self, serializer=None) -> bool:
        return False

    def _error_statuses(self) -> list[str]:
        return sorted({*super()._error_statuses(), "400"})


class SearchViewSet(_AnalysisViewSet):
    """Full-text search over questions, evidence, sources and actors you may see."""

    schema = _OneAnswerSchema()

    visible = staticmethod(visible_questions)  # unused: questions.search scopes each kind

    @extend_schema(
        summary="Search",
        description="Ranked hits across questions, evidence (original text and translation), "
        "sources and actors, with highlighted snippets; only what you may see.",
        parameters=[
            OpenApiParameter("q", str, required=True, description="The words to find."),
            OpenApiParameter(
                "kind", str, many=True, enum=list(KINDS), description="Repeat to narrow."
            ),
            OpenApiParameter("limit", int, description="1–50, default 20."),
        ],
        responses=SearchSerializer,
    )
    def list(self, request):
        params = request.query_params
        given_data = {key: params[key] for key in ("q", "limit") if key in params}
        if "kind" in params:
            given_data["kind"] = params.getlist("kind")
        given = SearchQuerySerializer(data=given_data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        hits = search(request.user, data["q"], kinds=data.get("kind") or KINDS, limit=data["limit"])
        return Response(SearchSerializer({"query": data["q"], "results": hits}).data)
