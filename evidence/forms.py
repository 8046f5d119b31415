"""Forms of the evidence pages: sources, and evidence items with their language and dates."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from evidence.choices import RTL_LANGUAGES, Reliability
from evidence.dates import start_of
from evidence.models import Evidence, Source
from iqtrack.pickers import LIMIT, Picker, register, use_picker
from iqtrack.validation import TextPolicyForm
from questions.forms import newest_questions, search_questions
from questions.markings import add_marking_errors, evidence_marking_errors
from questions.models import Question
from questions.permissions import evidence_linkable
from questions.visibility import recipient_candidates, visible_questions, visible_sources


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SourceForm(TextPolicyForm, forms.ModelForm):
    url = forms.URLField(label="Web address", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Source
        fields = ["name", "kind", "reliability", "url", "language", "description"]
        labels = {"reliability": "Reliability (Admiralty A–F)"}
        help_texts = {
            "reliability": "How far the source has proved reliable before, graded apart from "
            "any one item it reports.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


def source_label(source: Source) -> str:
    """A picker entry that shows the grading with the name: "TASS — B usually reliable"."""
    grade = Reliability(source.reliability).label.replace(" — ", " ", 1)
    return f"{source.name} — {grade}"


def _suggested_sources(allowed: QuerySet[Source], user) -> QuerySet[Source]:
    """Before any search: the newest sources (one just added from the form's "not listed" link
    is among them), by name. Read backwards along the primary key: a few rows, not 20,000."""
    newest = list(allowed.order_by("-id").values_list("id", flat=True)[:LIMIT])
    return allowed.filter(pk__in=newest).order_by("name", "id")


register(
    "source",
    Picker(
        allowed=visible_sources,
        label=source_label,
        search=lambda allowed, text: allowed.filter(name__icontains=text).order_by("name", "id"),
        suggested=_suggested_sources,
    ),
)


def linkable_questions(user) -> QuerySet[Question]:
    """The questions `user` may see and link evidence to now (questions.permissions)."""
    return visible_questions(user).filter(evidence_linkable(user))


register(
    "evidence-question",
    Picker(
        allowed=linkable_questions,
        label=str,
        search=search_questions,
        suggested=newest_questions,
    ),
)


class EvidenceForm(TextPolicyForm, forms.ModelForm):
    """An evidence item; on creation it may be linked straight to a question."""

    question = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Link to question",
        help_text="Optional: the question this item bears on.",
    )
    relevance = forms.CharField(
        label="Why it bears on the question",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Evidence
        fields = [
            "source",
            "summary",
            "original_language",
            "original_text",
            "translation",
            "happened_on",
            "happened_precision",
            "happened_text",
            "reported_on",
            "reported_precision",
            "reported_text",
            "credibility",
            "corroboration",
            "tlp",
            "owner_team",
            "recipients",
            "notes",
        ]
        labels = {
            "summary": "Summary (English)",
            "original_language": "Language of the original",
            "original_text": "Original text",
            "translation": "Translation (English)",
            "happened_on": "Happened on",
            "happened_precision": "Precision",
            "happened_text": "As written",
            "reported_on": "Reported on",
            "reported_precision": "Precision",
            "reported_text": "As written",
            "credibility": "Credibility of the information (Admiralty 1–6)",
            "tlp": "Handling (TLP 2.0)",
            "owner_team": "Recording team",
            "recipients": "Named recipients (TLP:RED)",
        }
        help_texts = {
            "happened_on": "For a month or a year, any day in it: it is stored as the first.",
            "happened_text": "The words the source uses, e.g. “two weeks before the attack”.",
            "reported_text": "",
            "recipients": "TLP:RED only: the people who may see the item, you included.",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "original_text": forms.Textarea(
                attrs={"rows": 5, "data-lang-from": "id_original_language"}
            ),
            "translation": forms.Textarea(attrs={"rows": 5, "lang": "en", "dir": "ltr"}),
            "happened_on": DateInput(),
            "reported_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, teams, sources=None, questions=None, **kwargs):
        """`sources`, `questions`: what may be chosen, when not what the pickers offer `user`."""
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["recipients"].queryset = recipient_candidates(user).order_by("username")
        # Among 20,000 sources and hundreds of questions: pickers (iqtrack.pickers), whose
        # querysets still decide what may be chosen.
        use_picker(
            self.fields["source"],
            "source",
            user=user,
            current=self["source"].value(),
            search_label="Find by name",
            allowed=sources,
        )
        self.fields["owner_team"].queryset = teams
        if self.instance.pk:
            # Linking an existing item happens on the question's page.
            del self.fields["question"], self.fields["relevance"]
        else:
            use_picker(
                self.fields["question"],
                "evidence-question",
                user=user,
                current=self["question"].value(),
                search_label="Find by title or key",
                allowed=questions,
            )
        # Rendered right to left from the first paint; static/js/iqtrack.js follows changes.
        language = self["original_language"].value() or ""
        attrs = self.fields["original_text"].widget.attrs
        attrs["dir"] = "rtl" if language in RTL_LANGUAGES else "ltr"
        if language and language != "other":
            attrs["lang"] = language

    def clean(self):
        data = super().clean()
        for prefix in ("happened", "reported"):
            day, precision = data.get(f"{prefix}_on"), data.get(f"{prefix}_precision")
            if day and not precision:
                self.add_error(f"{prefix}_precision", "Say how precise the date is.")
            elif precision and not day:
                self.add_error(f"{prefix}_on", "Give the date this precision applies to.")
            elif day:
                data[f"{prefix}_on"] = start_of(day, precision)
        if data.get("tlp"):
            candidate = Evidence(tlp=data["tlp"], owner_team=data.get("owner_team"))
            errors = evidence_marking_errors(
                candidate, actor=self.user, recipients=data.get("recipients") or []
            )
            add_marking_errors(self, errors)
        return data
