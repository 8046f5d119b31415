from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from evidence.choices import (
    RTL_LANGUAGES,
    STRICT_NEEDS_TEAM,
    ActorKind,
    Corroboration,
    Credibility,
    Language,
    Reliability,
    SourceKind,
    Tlp,
)
from evidence.dates import format_fuzzy, fuzzy_date_check, fuzzy_date_fields


def new_key() -> str:
    """Natural key for objects made in the app (case files bring their own readable keys)."""
    return uuid.uuid4().hex[:16]


def natural_key_field() -> models.SlugField:
    return models.SlugField(
        max_length=80,
        unique=True,
        default=new_key,
        help_text="Stable natural key: case-file import matches on it.",
    )


# What a row of evidence in a list or a timeline never shows: an item's long texts and search
# vector, and its source's. Left unread (`QuerySet.defer(*ROW_UNREAD)` on a queryset that
# selects the source): a page of 100 timeline entries read its items in 3.6 ms, not 4.4.
ROW_UNREAD = (
    "original_text",
    "translation",
    "notes",
    "search_vector",
    "source__description",
    "source__search_vector",
)


def choice_check(field: str, choices: type[models.Choices], *, blank: bool = False):
    """Scale values are structural: the database refuses anything outside the scale."""
    condition = models.Q(**{f"{field}__in": choices.values})
    if blank:
        condition |= models.Q(**{field: ""})
    return models.CheckConstraint(
        condition=condition, name=f"%(app_label)s_%(class)s_{field}_valid"
    )


class Source(models.Model):
    """Who or what reported: an outlet, an official site, a government, a named person."""

    key = natural_key_field()
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=SourceKind.choices)
    url = models.URLField(max_length=500, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, blank=True)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    description = models.TextField(blank=True)
    # Kept up to date by a PostgreSQL trigger (evidence/migrations/0003); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        constraints = [
            choice_check("kind", SourceKind),
            choice_check("reliability", Reliability),
            choice_check("language", Language, blank=True),
        ]
        indexes = [
            # The lists' order: a page of 50 is read off the index, not sorted out of every
            # source (20,000 at bench scale: 12 ms for the API's first page, bench/README.md).
            models.Index(fields=["name"], name="evidence_source_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reliability})"


class Evidence(models.Model):
    """One reported item: what was said or seen, when, by which source, in which language."""

    key = natural_key_field()
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    summary = models.TextField(help_text="What the item says, in English.")
    original_text = models.TextField(blank=True, help_text="Excerpt in the original language.")
    original_language = models.CharField(
        max_length=8,
        choices=Language.choices,
        default=Language.EN,
        blank=True,
        help_text="Language of the original; blank when the reporting does not say which.",
    )
    translation = models.TextField(blank=True, help_text="English translation of the excerpt.")
    happened_on, happened_precision, happened_text = fuzzy_date_fields("When it happened")
    reported_on, reported_precision, reported_text = fuzzy_date_fields("When it was reported")
    credibility = models.PositiveSmallIntegerField(
        choices=Credibility.choices, default=Credibility.CANNOT_BE_JUDGED
    )
    corroboration = models.CharField(
        max_length=16, choices=Corroboration.choices, default=Corroboration.UNCONFIRMED
    )
    tlp = models.CharField("TLP", max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        help_text="The team that recorded the item (TLP:AMBER+STRICT stays within it).",
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="TLP:RED only: the people who may see the item; nobody else does.",
    )
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derivatives",
        help_text="The item this one repeats or derives from (circular reporting).",
    )
    actors = models.ManyToManyField("Actor", blank=True, related_name="evidence")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kept up to date by a PostgreSQL trigger (evidence/migrations/0003); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[actors, recipients], excluded_fields=["search_vector"])

    class Meta:
        ordering = ["happened_on", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            choice_check("original_language", Language, blank=True),
            choice_check("corroboration", Corroboration),
            choice_check("tlp", Tlp),
            models.CheckConstraint(
                condition=models.Q(credibility__gte=1, credibility__lte=6),
                name="evidence_evidence_credibility_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(derived_from=models.F("id")),
                name="evidence_evidence_not_derived_from_itself",
            ),
            fuzzy_date_check("happened"),
            fuzzy_date_check("reported"),
            # TLP:AMBER+STRICT means "within the owning team": without one, nobody could see it.
            models.CheckConstraint(
                condition=~models.Q(tlp=Tlp.AMBER_STRICT, owner_team__isnull=True),
                name="evidence_evidence_strict_has_owner_team",
            ),
        ]
        indexes = [
            # Timeline order (questions.timeline): a page of a team's timeline walks it from a
            # position and stops after a page; on happened_on alone it read every item of a day
            # (hundreds share one) to sort them by id.
            models.Index(fields=["happened_on", "id"], name="evidence_ev_happened_id_idx"),
            models.Index(fields=["tlp"]),
            # What visibility reads of every item (questions.visibility), beside the id: a count
            # of the items a user may see, or of their links, scans this (10 MB at 200,000 items)
            # instead of the table with its texts (300 MB). PostgreSQL only; elsewhere ignored.
            models.Index(
                fields=["id"],
                include=["tlp", "owner_team", "created_by", "happened_on"],
                name="evidence_visibility_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.summary[:80]

    @property
    def grading(self) -> str:
        """Admiralty code such as "B2": source reliability then information credibility."""
        return f"{self.source.reliability}{self.credibility}"

    @property
    def is_rtl(self) -> bool:
        return self.original_language in RTL_LANGUAGES

    @property
    def happened_display(self) -> str:
        return format_fuzzy(self.happened_on, self.happened_precision, self.happened_text)

    def clean(self) -> None:
        errors = {}
        if self.original_text and not self.original_language:
            errors["original_language"] = "Say which language the excerpt is in."
        if self.tlp == Tlp.AMBER_STRICT and self.owner_team_id is None:
            errors["owner_team"] = STRICT_NEEDS_TEAM
        if errors:
            raise ValidationError(errors)


class Actor(models.Model):
    """A person, organisation or state that appears in the evidence."""

    key = natural_key_field()
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ActorKind.choices)
    affiliation = models.CharField(
        max_length=300, blank=True, help_text="Role and allegiance as the reporting gives them."
    )
    affiliated_with = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="affiliates"
    )
    description = models.TextField(blank=True)
    # Kept up to date by a PostgreSQL trigger (evidence/migrations/0003); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        constraints = [choice_check("kind", ActorKind)]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """Something that happened (a meeting, a visit, an attack), with the actors and evidence."""

    key = natural_key_field()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    happened_on, happened_precision, happened_text = fuzzy_date_fields("When it happened")
    place = models.CharField(max_length=200, blank=True)
    actors = models.ManyToManyField(Actor, blank=True, related_name="events")
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[actors, evidence])

    class Meta:
        ordering = ["happened_on", "id"]
        constraints = [fuzzy_date_check("happened")]

    def __str__(self) -> str:
        return self.title

    @property
    def happened_display(self) -> str:
        return format_fuzzy(self.happened_on, self.happened_precision, self.happened_text)
