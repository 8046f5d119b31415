"""Forms of the question pages. They collect and clean input; the domain modules decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import Team
from iqtrack.pickers import Picker, register, use_picker
from iqtrack.validation import TextPolicyForm
from questions import permissions
from questions.choices import (
    LIKELIHOOD_STEPS,
    AchRating,
    Confidence,
    Likelihood,
    LikelihoodWording,
    Priority,
    Status,
)
from questions.comments import MAX_COMMENT_LENGTH
from questions.markings import add_marking_errors, question_marking_errors
from questions.models import Hypothesis, Question
from questions.timeline import Position
from questions.visibility import (
    recipient_candidates,
    shareable_teams,
    visible_questions,
    visible_teams,
)

User = get_user_model()


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def key_question_candidates(user, teams=None) -> QuerySet[Question]:
    """The questions a new question of `user`'s may hang under: those they may see of a team
    they lead (`teams`, when the caller has them: questions.permissions.is_lead), not closed."""
    if teams is None:
        teams = [team.pk for team in visible_teams(user) if permissions.is_lead(user, team)]
    return (
        visible_questions(user)
        .select_related("team")
        .filter(team__in=teams)
        .exclude(status=Status.CLOSED)
    )


def search_questions(allowed: QuerySet[Question], text: str) -> QuerySet[Question]:
    """A question picker's matches for `text` (its title, key or id), newest first."""
    found = Q(title__icontains=text) | Q(key__iexact=text)
    if text.isdigit():
        found |= Q(pk=int(text))
    return allowed.filter(found).order_by("-id")


def newest_questions(allowed: QuerySet[Question], user) -> QuerySet[Question]:
    """A question picker's suggestions: newest first, read backwards along the primary key until
    enough are found, where an order by anything else sorted all of them."""
    return allowed.order_by("-id")


register(
    "key-question",
    Picker(
        allowed=key_question_candidates,
        label=str,
        search=search_questions,
        suggested=newest_questions,
    ),
)


class QuestionForm(TextPolicyForm, forms.ModelForm):
    """A key question, or a sub-question when `parent` is chosen."""

    hypotheses = forms.CharField(
        label="Competing hypotheses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line. Every reasonable answer to the question, for ACH.",
    )

    class Meta:
        model = Question
        fields = [
            "title",
            "body",
            "parent",
            "team",
            "priority",
            "tlp",
            "recipients",
            "shared_with",
            "due_at",
        ]
        labels = {"title": "Question", "body": "Background and scope", "parent": "Key question"}
        help_texts = {
            "parent": "Leave empty for a key intelligence question; choose one to make this "
            "a sub-question of it.",
            "tlp": "Who may see the question (Traffic Light Protocol 2.0).",
            "recipients": "TLP:RED only: the people who may see it, you included. "
            "Nobody else does, not even the rest of the team.",
            "shared_with": "TLP:AMBER only: other teams that may see it.",
        }
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True}),
            "body": forms.Textarea(attrs={"rows": 6}),
            "due_at": DateTimeInput(),
        }

    def __init__(self, *args, user, teams, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams
        self.fields["parent"].required = False
        # Among a thousand key questions: a picker (iqtrack.pickers) choosing among `parents`.
        use_picker(
            self.fields["parent"],
            "key-question",
            user=user,
            current=self["parent"].value(),
            search_label="Find by title or key",
            allowed=parents,
        )
        self.fields["recipients"].queryset = recipient_candidates(user).order_by("username")
        self.fields["recipients"].label_from_instance = _person
        self.fields["shared_with"].queryset = shareable_teams(user).order_by("name")

    def clean(self):
        data = super().clean()
        parent, team = data.get("parent"), data.get("team")
        if parent is not None and team is not None and parent.team_id != team.pk:
            self.add_error(
                "team", f"A sub-question belongs to its key question's team, {parent.team}."
            )
        if data.get("tlp"):
            candidate = Question(tlp=data["tlp"], team=team)
            errors = question_marking_errors(
                candidate,
                actor=self.user,
                recipients=data.get("recipients") or [],
                shared_with=data.get("shared_with") or [],
            )
            add_marking_errors(self, errors)
        return data

    def clean_hypotheses(self) -> str:
        text = self.cleaned_data.get("hypotheses", "")
        limit = Hypothesis._meta.get_field("title").max_length
        for number, line in enumerate(text.splitlines(), start=1):
            if len(line.strip()) > limit:
                raise forms.ValidationError(
                    f"Line {number} is {len(line.strip())} characters long; a hypothesis is at "
                    f"most {limit}."
                )
        return text

    def hypothesis_titles(self) -> list[str]:
        lines = self.cleaned_data.get("hypotheses", "").splitlines()
        return [line.strip() for line in lines if line.strip()]


class AssignForm(TextPolicyForm, forms.Form):
    analyst = forms.ModelChoiceField(queryset=User.objects.none())
    reviewer = forms.ModelChoiceField(queryset=User.objects.none())
    due_at = forms.DateTimeField(label="Due", required=False, widget=DateTimeInput())

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("analyst", "reviewer"):
            self.fields[name].queryset = candidates
            self.fields[name].label_from_instance = _person


def _person(user) -> str:
    return _person_label(user.get_full_name(), user.get_username())


def _person_label(full_name: str, username: str) -> str:
    return f"{full_name} ({username})" if full_name else username


def _person_from_columns(first_name: str, last_name: str, username: str) -> str:
    """_person of a user read as its columns: get_full_name() is the two names, stripped."""
    return _person_label(f"{first_name} {last_name}".strip(), username)


class CommentForm(TextPolicyForm, forms.Form):
    body = forms.CharField(
        label="Comment", max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(TextPolicyForm, forms.Form):
    """Close and reopen: the reason is part of the record."""

    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(TextPolicyForm, forms.Form):
    comment = forms.CharField(
        label="What needs to change",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The analyst sees this with the returned version.",
    )


class ApproveForm(TextPolicyForm, forms.Form):
    comment = forms.CharField(
        label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HypothesisForm(TextPolicyForm, forms.ModelForm):
    class Meta:
        model = Hypothesis
        fields = ["title", "description"]
        labels = {"title": "Hypothesis"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class LinkEvidenceForm(TextPolicyForm, forms.Form):
    # The item is chosen among search results (questions.views.link_candidates), never from a
    # list of every item the user may see: at 200,000 items that list was megabytes of <option>s
    # on each question page. The queryset still decides what may be linked.
    evidence = forms.ModelChoiceField(
        queryset=None, label="Evidence item", widget=forms.HiddenInput
    )
    relevance = forms.CharField(
        label="Why it bears on the question",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence


class RatingForm(TextPolicyForm, forms.Form):
    """One evidence item rated against each hypothesis of the question (one ACH row)."""

    def __init__(self, *args, hypotheses, current: dict[int, str], form_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_id = form_id
        self.hypotheses = list(hypotheses)
        for hypothesis in self.hypotheses:
            # The selects sit in the matrix's cells and belong to the row's form by its id.
            self.fields[f"h{hypothesis.pk}"] = forms.ChoiceField(
                label=hypothesis.title,
                choices=[("", "Not rated"), *AchRating.choices],
                required=False,
                initial=current.get(hypothesis.pk, ""),
                widget=forms.Select(attrs={"form": form_id}),
            )

    def ratings(self) -> dict[Hypothesis, str]:
        return {h: self.cleaned_data[f"h{h.pk}"] for h in self.hypotheses}


class AssessmentForm(TextPolicyForm, forms.Form):
    """The ICD 203 parts of an assessment; the template lays the likelihood scale out in full."""

    key_judgments = forms.CharField(
        label="Key judgments",
        widget=forms.Textarea(attrs={"rows": 8, "class": "tall"}),
        help_text="State each judgment plainly; say what it rests on.",
    )
    likelihood = forms.TypedChoiceField(
        label="Likelihood (ICD 203)",
        coerce=int,
        choices=Likelihood.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    likelihood_wording = forms.ChoiceField(
        label="Wording",
        choices=LikelihoodWording.choices,
        widget=forms.RadioSelect,
        initial=LikelihoodWording.PRIMARY,
    )
    confidence = forms.ChoiceField(
        label="Analytic confidence",
        choices=Confidence.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="About the quality of the evidence and reasoning, not the likelihood.",
    )
    hypothesis = forms.ModelChoiceField(
        label="Hypothesis the judgment supports",
        queryset=None,
        required=False,
        empty_label="None stated",
        help_text="Tradecraft warns when the ACH matrix ranks another hypothesis first.",
    )
    cited_evidence = forms.ModelMultipleChoiceField(
        label="Evidence this assessment rests on",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    change_note = forms.CharField(
        label="What changed since the previous version, and why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, evidence, hypotheses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cited_evidence"].queryset = evidence
        self.fields["hypothesis"].queryset = hypotheses
        # Numbered as the ACH matrix numbers them (H1, H2, … in the question's order).
        numbers = {h.pk: n for n, h in enumerate(hypotheses, start=1)}
        self.fields["hypothesis"].label_from_instance = lambda h: f"H{numbers[h.pk]} · {h.title}"
        self.fields["cited_evidence"].label_from_instance = lambda e: f"[{e.grading}] {e}"

    def likelihood_steps(self):
        """The seven steps with both wordings and the range, and which one is chosen."""
        chosen = self["likelihood"].value()
        chosen = str(chosen) if chosen not in (None, "") else ""
        return [(step, str(step.step) == chosen) for step in LIKELIHOOD_STEPS]


class _ReadAtOnce(forms.models.ModelChoiceIterator):
    """The choices read by one plain query, as the ids and the columns of their labels. Django's
    iterator makes a model instance of each, which cost the board more than the options' markup
    (and read them through a server-side cursor on PostgreSQL, until iqtrack/settings.py turned
    those off)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        label = self.field.label_from_columns
        for pk, *columns in self.queryset.values_list("pk", *self.field.label_columns):
            yield (pk, label(*columns))


class ListedModelChoiceField(forms.ModelChoiceField):
    """A choice of model rows listed by their ids and labels only: `label_columns` are read for
    each and passed to `label_from_columns`, which says what label_from_instance would."""

    iterator = _ReadAtOnce

    def __init__(self, *args, label_columns: tuple[str, ...], label_from_columns, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_columns = label_columns
        self.label_from_columns = label_from_columns


class BoardFilterForm(TextPolicyForm, forms.Form):
    team = ListedModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="All",
        # str(team)
        label_columns=("name",),
        label_from_columns=str,
    )
    assignee = ListedModelChoiceField(
        label="Analyst",
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone",
        label_columns=("first_name", "last_name", User.USERNAME_FIELD),
        label_from_columns=_person_from_columns,
    )
    priority = forms.TypedChoiceField(
        coerce=int,
        choices=[("", "Any"), *Priority.choices],
        required=False,
        empty_value=None,
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)

    def __init__(self, *args, teams, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["assignee"].queryset = people


class _PositionField(forms.CharField):
    """A place in a timeline's order, as the page's own Earlier/Later links give it."""

    default_error_messages = {"invalid": "Not a place in the timeline; follow the page's links."}

    def clean(self, value):
        value = super().clean(value)  # the text's own checks first (length, characters)
        if not value:
            return None
        try:
            return Position.parse(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class TimelinePlaceForm(TextPolicyForm, forms.Form):
    """Where a team's timeline page begins: a day (`since`), or the page after or before an
    entry (`after` / `before`, from the page's links)."""

    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    after = _PositionField(required=False, max_length=40, widget=forms.HiddenInput)
    before = _PositionField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if sum(bool(data.get(name)) for name in ("since", "after", "before")) > 1:
            raise forms.ValidationError("Give one of a day, a page after or a page before.")
        return data

    def place(self) -> dict:
        """timeline_page's `after` / `before` for a valid form; from the start otherwise."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        if data.get("since"):
            return {"after": Position.start_of(data["since"])}
        return {key: data[key] for key in ("after", "before") if data.get(key)}
