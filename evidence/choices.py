"""The scales evidence is graded on, exactly as in docs/domain.md. Defined here once."""

from django.db import models


class Reliability(models.TextChoices):
    """NATO / Admiralty grading of the source."""

    A = "A", "A — completely reliable"
    B = "B", "B — usually reliable"
    C = "C", "C — fairly reliable"
    D = "D", "D — not usually reliable"
    E = "E", "E — unreliable"
    F = "F", "F — reliability cannot be judged"


class Credibility(models.IntegerChoices):
    """NATO / Admiralty grading of the information, separate from the source's reliability."""

    CONFIRMED = 1, "1 — confirmed by other sources"
    PROBABLY_TRUE = 2, "2 — probably true"
    POSSIBLY_TRUE = 3, "3 — possibly true"
    DOUBTFUL = 4, "4 — doubtful"
    IMPROBABLE = 5, "5 — improbable"
    CANNOT_BE_JUDGED = 6, "6 — truth cannot be judged"


# What TLP:AMBER+STRICT asks of an item (questions.markings; evidence.models checks it too).
STRICT_NEEDS_TEAM = "TLP:AMBER+STRICT stays within the owning team: say which team that is."


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0 markings, least restrictive first."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for CLEAR up to 4 for RED: higher is more restrictive."""
        return list(cls.values).index(value)

    @classmethod
    def most_restrictive(cls, values, default: str = "clear") -> str:
        values = list(values)
        return max(values, key=cls.rank) if values else default


class Corroboration(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    SINGLE_SOURCE = "single_source", "Single source"
    CORROBORATED = "corroborated", "Corroborated"


class DatePrecision(models.TextChoices):
    """How much of a date the reporting actually gives. "Two weeks before" stays approximate."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    APPROXIMATE = "approximate", "Approximate"


class Language(models.TextChoices):
    """ISO 639-1 codes of the languages evidence arrives in."""

    EN = "en", "English"
    RU = "ru", "Russian"
    UK = "uk", "Ukrainian"
    AR = "ar", "Arabic"
    FA = "fa", "Persian"
    HE = "he", "Hebrew"
    TR = "tr", "Turkish"
    FR = "fr", "French"
    DE = "de", "German"
    ZH = "zh", "Chinese"
    OTHER = "other", "Other"


# Scripts written right to left: their text is shown with dir="rtl".
RTL_LANGUAGES = frozenset({Language.AR, Language.FA, Language.HE})


class SourceKind(models.TextChoices):
    OFFICIAL_WEBSITE = "official_website", "Official government website"
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    GOVERNMENT_AGENCY = "government_agency", "Government agency"
    DECLASSIFIED_INTELLIGENCE = "declassified_intelligence", "Declassified intelligence"
    NEWS_OUTLET = "news_outlet", "News outlet"
    UNNAMED_OFFICIALS = "unnamed_officials", "Unnamed officials or sources"
    THINK_TANK = "think_tank", "Think-tank"
    PARTY_WEBSITE = "party_website", "Party or movement website"
    INDIVIDUAL = "individual", "Named individual"
    OTHER = "other", "Other"


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    STATE = "state", "State"
