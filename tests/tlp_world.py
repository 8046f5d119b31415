"""A planted world for the TLP leak probes (tests/test_tlp_leaks.py).

Team Alpha (lead, analyst, reviewer and a bystander with the analyst's roles), Bravo (the
outsider), Charlie (a member of the team an AMBER question is shared with), and a superuser.
Each restricted item carries marker words found nowhere else, so a probe only has to look for
the words in whatever a viewer is shown:

- RED: a TLP:RED question (title, body, hypotheses, comment, assessment) and a TLP:RED evidence
  item (summary, Russian and Arabic original, translation), named to lead, analyst and reviewer.
  The item is linked to Alpha's visible AMBER question, rated in its ACH, cited by that question's
  first (returned) assessment version, reported by an actor and an event, and repeated by a
  visible item; a visible AMBER sub-question hangs under the RED question;
- STRICT: a TLP:AMBER+STRICT question and evidence item of Alpha (the bystander sees them; the
  outsider and Charlie's member don't);
- SHARED: an AMBER question of Alpha shared with Charlie (Charlie's member sees it, Bravo doesn't).

The questions move through the workflow with the people who would take each step, a few edits
by several people feed the history, and the reminder sweep and the transition notices run at
`SWEEP_AT`, with emails sent by the locmem backend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.core import mail

from accounts.choices import Role
from evidence.choices import Credibility, Language, Reliability, Tlp
from notifications import delivery, reminders
from questions import workflow
from questions.assessments import save_draft
from questions.audit import save_attributed
from questions.choices import AchRating, Confidence, Likelihood
from questions.comments import add_comment
from questions.models import EvidenceLink, Hypothesis, HypothesisRating, Question
from tests import factories

# The marker words, one set per restriction. Single words, so full-text search can find them in
# each language (for the people who may see them: the probes' contrast).
RED = ("QUAGGA7731", "квагголит", "كواغالون")
STRICT = ("OKAPI5512",)
SHARED = ("IBEX3390",)

BUILT_AT = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
# Late enough for every reminder of the planted questions: overdue, escalations, review waiting.
SWEEP_AT = BUILT_AT + dt.timedelta(days=6)

# Apps whose models a staff user may view and change in the admin.
ADMIN_APPS = ("accounts", "evidence", "questions", "notifications", "tokens")


@dataclass
class World:
    users: dict[str, object]
    ids: dict[str, dict[str, int]] = field(default_factory=dict)  # kind → name → pk
    # For each viewer, the marker words they must never be shown.
    hidden_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # For each viewer, the planted objects (kind, name) that do not exist for them.
    hidden: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def id(self, kind: str, name: str) -> int:
        return self.ids[kind][name]

    def add(self, kind: str, name: str, obj) -> None:
        self.ids.setdefault(kind, {})[name] = obj.pk


def _staff(user) -> None:
    """Staff with every model permission of our apps (as the demo users are, and more)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=ADMIN_APPS),
        *Permission.objects.filter(content_type__app_label="auth", codename="view_user"),
    )


def _people() -> dict[str, object]:
    alpha = factories.TeamFactory(name="Alpha", slug="alpha")
    bravo = factories.TeamFactory(name="Bravo", slug="bravo")
    charlie = factories.TeamFactory(name="Charlie", slug="charlie")
    lead = factories.UserFactory(username="lead", roles=[Role.LEAD])
    analyst = factories.UserFactory(username="analyst", roles=[Role.ANALYST])
    reviewer = factories.UserFactory(username="reviewer", roles=[Role.REVIEWER])
    bystander = factories.UserFactory(username="bystander", roles=[Role.ANALYST])
    outsider = factories.UserFactory(
        username="outsider", roles=[Role.LEAD, Role.ANALYST, Role.REVIEWER]
    )
    sharer = factories.UserFactory(username="sharer", roles=[Role.ANALYST])
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    alpha.lead = lead
    alpha.save()
    alpha.members.add(lead, analyst, reviewer, bystander)
    bravo.lead = outsider
    bravo.save()
    bravo.members.add(outsider)
    charlie.members.add(sharer)
    for user in (bystander, outsider, sharer, lead, analyst):
        _staff(user)
    return {
        "alpha": alpha,
        "bravo": bravo,
        "charlie": charlie,
        "lead": lead,
        "analyst": analyst,
        "reviewer": reviewer,
        "bystander": bystander,
        "outsider": outsider,
        "sharer": sharer,
        "root": root,
    }


def _rate(hypothesis, evidence, rating: str, by) -> None:
    save_attributed(HypothesisRating(hypothesis=hypothesis, evidence=evidence, rating=rating), by)


def _link(question, evidence, by, relevance: str = "") -> None:
    EvidenceLink.objects.create(
        question=question, evidence=evidence, linked_by=by, relevance=relevance
    )


def _assign(question, p, due_in_days: int) -> None:
    workflow.publish(question, p["lead"])
    workflow.assign(
        question,
        p["lead"],
        analyst=p["analyst"],
        reviewer=p["reviewer"],
        due_at=BUILT_AT + dt.timedelta(days=due_in_days),
    )
    workflow.start(question, p["analyst"])


def plant(time_machine) -> World:
    """Build the world at BUILT_AT, then sweep the reminders and send the emails at SWEEP_AT."""
    time_machine.move_to(BUILT_AT, tick=False)
    p = _people()
    world = World(users=p)
    red_en, red_ru, red_ar = RED
    alpha = p["alpha"]
    triad = (p["lead"], p["analyst"], p["reviewer"])

    # Evidence. Weights: A1 = 1.0 (the RED item), C3 = 0.36 (the visible ones).
    reported_by = factories.SourceFactory(name="A wire service", reliability=Reliability.C)
    contact = factories.SourceFactory(name="A contact", reliability=Reliability.A)
    visible = factories.EvidenceFactory(
        source=reported_by,
        summary="A shipment was seen at the port.",
        credibility=Credibility.POSSIBLY_TRUE,
        tlp=Tlp.AMBER,
        owner_team=alpha,
        created_by=p["analyst"],
    )
    red_ev = factories.EvidenceFactory(
        source=contact,
        summary=f"The contact named the courier {red_en}.",
        original_text=f"Курьер {red_ru} прибыл в порт.",
        original_language=Language.RU,
        translation=f"The courier {red_en} arrived at the port.",
        credibility=Credibility.CONFIRMED,
        tlp=Tlp.RED,
        owner_team=alpha,
        created_by=p["analyst"],
    )
    red_ev.recipients.set(triad)
    red_ar_ev = factories.EvidenceFactory(
        source=contact,
        summary=f"A second report on {red_en}.",
        original_text=f"وصل {red_ar} إلى الميناء",
        original_language=Language.AR,
        translation=f"{red_en} reached the port.",
        tlp=Tlp.RED,
        owner_team=alpha,
        created_by=p["analyst"],
    )
    red_ar_ev.recipients.set(triad)
    repeats_red = factories.EvidenceFactory(
        source=reported_by,
        summary="An outlet repeated the contact's claim.",
        credibility=Credibility.POSSIBLY_TRUE,
        tlp=Tlp.AMBER,
        owner_team=alpha,
        derived_from=red_ev,
        created_by=p["analyst"],
    )
    strict_ev = factories.EvidenceFactory(
        source=reported_by,
        summary=f"Alpha's own note {STRICT[0]}.",
        tlp=Tlp.AMBER_STRICT,
        owner_team=alpha,
        created_by=p["analyst"],
    )
    actor = factories.ActorFactory(name="The courier's handler", kind="person")
    red_ev.actors.add(actor)
    red_event = factories.EventFactory(title=f"Meeting with {red_en}", place="The port")
    red_event.actors.add(actor)
    red_event.evidence.add(red_ev)
    for name, obj in (
        ("visible", visible),
        ("red", red_ev),
        ("red_ar", red_ar_ev),
        ("repeats_red", repeats_red),
        ("strict", strict_ev),
    ):
        world.add("evidence", name, obj)
    world.add("actor", "handler", actor)
    world.add("event", "red", red_event)
    world.add("source", "contact", contact)

    # The TLP:RED question: the lead writes and names it; analyst and reviewer work on it.
    red_q = Question(
        team=alpha,
        title=f"Who is the courier {red_en}?",
        body=f"Trace {red_en} ({red_ru}, {red_ar}).",
        tlp=Tlp.RED,
        created_by=p["lead"],
    )
    save_attributed(red_q, p["lead"], reason="asked")
    red_q.recipients.set(triad)
    red_h1 = Hypothesis.objects.create(question=red_q, title=f"{red_en} works alone", position=1)
    Hypothesis.objects.create(question=red_q, title=f"{red_en} works for a state", position=2)
    _assign(red_q, p, due_in_days=2)
    _link(red_q, red_ev, p["analyst"], relevance=f"Names {red_en}.")
    _link(red_q, red_ar_ev, p["analyst"])
    _rate(red_h1, red_ev, AchRating.CONSISTENT, p["analyst"])
    add_comment(red_q, p["analyst"], f"The source on {red_en} is solid.")
    red_q.title = f"Who runs the courier {red_en}?"
    save_attributed(red_q, p["lead"], reason="sharpened")
    save_draft(
        red_q,
        p["analyst"],
        key_judgments=f"We assess that {red_en} is likely run by a state.",
        likelihood=Likelihood.LIKELY,
        confidence=Confidence.MODERATE,
        cited_evidence=[red_ev, red_ar_ev],
        hypothesis=red_h1,
    )
    workflow.submit(red_q, p["analyst"])
    world.add("question", "red", red_q)
    world.add("hypothesis", "red", red_h1)
    world.add("assessment", "red", red_q.assessments.get())
    world.add("comment", "red", red_q.comments.get())

    # A visible AMBER sub-question under the RED one (its lead may ask one).
    red_sub = factories.QuestionFactory(
        team=alpha, parent=red_q, title="Which port is used?", created_by=p["lead"]
    )
    world.add("question", "red_sub", red_sub)

    # Alpha's AMBER question: the RED item is linked, rated and cited in a returned version.
    amber_q = factories.QuestionFactory(
        team=alpha, title="Is the port used for shipments?", created_by=p["lead"]
    )
    h1 = Hypothesis.objects.create(question=amber_q, title="Shipments pass", position=1)
    h2 = Hypothesis.objects.create(question=amber_q, title="No shipments", position=2)
    _assign(amber_q, p, due_in_days=1)
    _link(amber_q, visible, p["analyst"])
    _link(amber_q, repeats_red, p["analyst"])
    _link(amber_q, red_ev, p["analyst"], relevance=f"{red_en} arrived there.")
    _rate(h1, visible, AchRating.INCONSISTENT, p["analyst"])
    _rate(h2, visible, AchRating.CONSISTENT, p["analyst"])
    _rate(h1, red_ev, AchRating.CONSISTENT, p["analyst"])
    _rate(h2, red_ev, AchRating.VERY_INCONSISTENT, p["analyst"])
    save_draft(
        amber_q,
        p["analyst"],
        key_judgments=f"We assess that shipments likely pass; {red_en} was seen there.",
        likelihood=Likelihood.LIKELY,
        confidence=Confidence.MODERATE,
        cited_evidence=[visible, red_ev],
        hypothesis=h1,
    )
    workflow.submit(amber_q, p["analyst"])
    workflow.return_(amber_q, p["reviewer"], comment=f"Say more than {red_en}.")
    v1 = amber_q.assessments.get(version=1)
    save_draft(
        amber_q,
        p["analyst"],
        key_judgments="We assess that shipments likely pass.",
        cited_evidence=[visible],
        change_note="Rests on the port sighting alone.",
    )
    world.add("question", "amber", amber_q)
    world.add("hypothesis", "amber_h1", h1)
    world.add("hypothesis", "amber_h2", h2)
    world.add("assessment", "amber_v1", v1)
    world.add("assessment", "amber_v2", amber_q.assessments.get(version=2))
    world.add(
        "evidencelink", "amber_red", EvidenceLink.objects.get(question=amber_q, evidence=red_ev)
    )
    world.add(
        "hypothesisrating",
        "amber_red",
        HypothesisRating.objects.get(hypothesis=h2, evidence=red_ev),
    )
    world.add("review", "amber_v1", v1.reviews.get())

    # AMBER+STRICT question, and AMBER shared with Charlie (with the STRICT item linked).
    strict_q = factories.QuestionFactory(
        team=alpha, title=f"Alpha only: {STRICT[0]}?", tlp=Tlp.AMBER_STRICT, created_by=p["lead"]
    )
    workflow.publish(strict_q, p["lead"])
    shared_q = factories.QuestionFactory(
        team=alpha, title=f"Shared with Charlie: {SHARED[0]}?", created_by=p["lead"]
    )
    shared_q.shared_with.add(p["charlie"])
    workflow.publish(shared_q, p["lead"])
    _link(shared_q, strict_ev, p["lead"])
    world.add("question", "strict", strict_q)
    world.add("question", "shared", shared_q)

    # Reminders and transition notices at SWEEP_AT, emails out through locmem.
    time_machine.move_to(SWEEP_AT, tick=False)
    mail.outbox = []
    reminders.sweep(SWEEP_AT)
    delivery.send_pending_emails(SWEEP_AT)
    delivery.send_digests(SWEEP_AT + dt.timedelta(days=1))

    red_things = {
        ("question", "red"),
        ("evidence", "red"),
        ("evidence", "red_ar"),
        ("event", "red"),
        ("hypothesis", "red"),
        ("assessment", "red"),
        ("assessment", "amber_v1"),
        ("review", "amber_v1"),
        ("comment", "red"),
        ("evidencelink", "amber_red"),
        ("hypothesisrating", "amber_red"),
    }
    strict_things = {("question", "strict"), ("evidence", "strict")}
    shared_things = {("question", "shared")}
    world.hidden = {
        "bystander": red_things,
        "sharer": red_things | strict_things,
        "outsider": red_things | strict_things | shared_things,
    }
    world.hidden_words = {
        "bystander": RED,
        "sharer": RED + STRICT,
        "outsider": RED + STRICT + SHARED,
    }
    return world
