"""TLP leak probes: an outsider, a team member outside a TLP:RED distribution (the bystander) and
a member of a team an AMBER question is shared with (the sharer) must not learn that an item
hidden from them exists — not the item, a count, a search hit, a notification, a history entry,
an ACH cell or score, an admin row or an export. A hidden object answers exactly as an id that
does not exist (404, never 403).

The world is planted by tests/tlp_world.py with marker words in every restricted item; the
routes come from Django's URL resolver (tests/tlp_probe.py), so a new page or endpoint is
probed the day it is added — or the coverage test fails until it is. Each probe is paired with a
recipient's view that must show what the others must not, so no probe can pass by seeing nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications.models import Notification, Reminder
from questions import ach
from questions.models import Question, Transition
from tests import tlp_probe as probe
from tests import tlp_world
from tests.tlp_world import RED, STRICT

pytestmark = pytest.mark.django_db

NON_RECIPIENTS = ("bystander", "sharer", "outsider")


@pytest.fixture
def world(time_machine, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = tlp_world.plant(time_machine)
    _plant_ids_for_the_remaining_kinds(world)
    return world


def _plant_ids_for_the_remaining_kinds(world) -> None:
    """Ids for the kinds the world made along the way: RED transitions, notices, history rows."""
    red_q = Question.objects.get(pk=world.id("question", "red"))
    for transition in Transition.objects.filter(question=red_q):
        world.add("transition", f"red_{transition.pk}", transition)
    for notice in Notification.objects.filter(question=red_q):
        world.add("notification", f"red_{notice.pk}", notice)
    for reminder in Reminder.objects.filter(question=red_q):
        world.add("reminder", f"red_{reminder.pk}", reminder)
    for name, pk in list(world.ids["question"].items()):
        world.ids.setdefault("history:question", {})[name] = (
            Question.history.filter(id=pk).order_by("history_id").first().history_id
        )
    from django.contrib.contenttypes.models import ContentType

    world.ids["contenttype"] = {"question": ContentType.objects.get_for_model(Question).pk}
    people = world.users
    for name in ("alpha", "bravo", "charlie"):
        world.add("team", name, people[name])
    for name in ("lead", "analyst", "bystander", "outsider"):
        world.add("user", name, people[name])
    red_things = {("transition", n) for n in world.ids["transition"]}
    red_things |= {("notification", n) for n in world.ids.get("notification", {})}
    red_things |= {("reminder", n) for n in world.ids.get("reminder", {})}
    red_things |= {("history:question", "red")}
    for viewer in NON_RECIPIENTS:
        world.hidden[viewer] = world.hidden[viewer] | red_things
    alpha_only = {
        ("question", "amber"),
        ("question", "red_sub"),
        ("history:question", "amber"),
        ("history:question", "red_sub"),
        ("hypothesis", "amber_h1"),
        ("hypothesis", "amber_h2"),
        ("assessment", "amber_v2"),
        ("evidence", "visible"),
        ("evidence", "repeats_red"),
    }
    strict = {("history:question", "strict")}
    world.hidden["sharer"] |= alpha_only | strict
    world.hidden["outsider"] |= alpha_only | strict | {("history:question", "shared")}


def signed_in(world, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def _values(world, kinds: dict[str, str]) -> list[tuple[dict, set]]:
    """Every combination of planted ids for a route's parameters (plus NOWHERE), each with the
    (kind, name) pairs it uses."""
    combos: list[tuple[dict, set]] = [({}, set())]
    for param, kind in kinds.items():
        if kind in probe.FIXED_VALUES:
            combos = [({**v, param: probe.FIXED_VALUES[kind]}, used) for v, used in combos]
            continue
        planted = world.ids.get(kind, {})
        options = [(pk, {(kind, name)}) for name, pk in planted.items()]
        options.append((probe.NOWHERE, {("nowhere", "")}))
        combos = [({**v, param: pk}, used | more) for v, used in combos for pk, more in options]
    return combos


def _get(client, url: str, route: probe.Route, **params):
    headers = {"HTTP_ACCEPT": "application/json"} if route.is_api else {}
    return client.get(url, params, **headers)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _probed_routes() -> list[probe.Route]:
    return [r for r in probe.routes() if r.path not in probe.EXEMPT]


# ---------------------------------------------------------------------------------------------
# Coverage: no route escapes the probe
# ---------------------------------------------------------------------------------------------
def test_every_route_is_probed_or_exempt_with_a_reason():
    unknown = [r.path for r in _probed_routes() if r.kinds() is None]
    stale = set(probe.EXEMPT) - {r.path for r in probe.routes()}

    assert unknown == [], "Routes whose parameters the probe cannot fill: map them in tlp_probe"
    assert stale == set(), "EXEMPT names routes that no longer exist"
    assert all(reason.strip() for reason in probe.EXEMPT.values())


def test_the_walker_finds_pages_api_and_admin_routes():
    names = {r.name for r in probe.routes()}
    assert {"questions:detail", "question-analysis-ach"} <= names
    assert "evidence:detail" in names and "admin:questions_question_change" in names
    assert "notification-detail" in names and "questions:search" in names


def test_every_admin_and_inline_is_scoped_by_visibility():
    """The admin is scoped by iqtrack.admin_base's mixins; a model admin or inline without them
    would show a staff user everything."""
    from django.contrib.auth.models import Group

    from iqtrack.admin_base import VisibleAdminMixin, VisibleInlineMixin

    unscoped = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if model is not Group and not isinstance(model_admin, VisibleAdminMixin)
    ]
    unscoped += [
        inline.__name__
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
        if not issubclass(inline, VisibleInlineMixin)
    ]
    assert unscoped == []


# ---------------------------------------------------------------------------------------------
# Every route, every planted id
# ---------------------------------------------------------------------------------------------
def _route_leaks(world, viewer: str, routes) -> list[str]:
    client = signed_in(world, viewer)
    words = world.hidden_words[viewer]
    hidden = world.hidden[viewer]
    problems: list[str] = []
    for route in routes:
        for values, used in _values(world, route.kinds()):
            url = route.url(values)
            response = _get(client, url, route)
            if leaked := probe.leaked_words(_body(response), words):
                problems.append(f"GET {url} [{response.status_code}] shows {leaked}")
            if not (used & hidden):
                continue
            # A hidden object: indistinguishable from one that does not exist.
            nowhere_values = {
                k: _nowhere_for(k, v, world, hidden, route) for k, v in values.items()
            }
            expected = _get(client, route.url(nowhere_values), route).status_code
            # 403 for a hidden object is a leak unless an unknown id gets it too (the admin's
            # read-only delete views refuse before they look).
            if response.status_code != expected:
                problems.append(
                    f"GET {url} answers {response.status_code}; an id that does not exist "
                    f"answers {expected}"
                )
            if not route.is_admin:
                for method in ("post", "patch", "delete") if route.is_api else ("post",):
                    sent = getattr(client, method)(url, {}, content_type="application/json")
                    gone = getattr(client, method)(
                        route.url(nowhere_values), {}, content_type="application/json"
                    )
                    if sent.status_code != gone.status_code:
                        problems.append(
                            f"{method.upper()} {url} answers {sent.status_code}; an id that "
                            f"does not exist answers {gone.status_code}"
                        )
    return problems


def _nowhere_for(param, value, world, hidden, route) -> object:
    """Replace a hidden id by NOWHERE, keep a visible one (so only the hidden part differs)."""
    kind = route.kinds()[param]
    for name, pk in world.ids.get(kind, {}).items():
        if pk == value and (kind, name) in hidden:
            return probe.NOWHERE
    return value


def _routes(part: str) -> list[probe.Route]:
    chosen = {
        "pages": lambda r: not r.is_api and not r.is_admin,
        "api": lambda r: r.is_api,
        "admin": lambda r: r.is_admin,
    }[part]
    return [r for r in _probed_routes() if chosen(r)]


@pytest.mark.parametrize("viewer", NON_RECIPIENTS)
@pytest.mark.parametrize("part", ["pages", "api", "admin"])
def test_no_route_shows_or_confirms_what_is_hidden(world, viewer, part):
    problems = _route_leaks(world, viewer, _routes(part))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("part", ["pages", "api", "admin"])
def test_a_recipient_is_shown_the_markers_the_probe_looks_for(world, part):
    """The contrast: the same walk as the analyst (a named recipient, staff) finds the RED
    words — so the walk reaches the planted items and the scanner would see a leak."""
    client = signed_in(world, "analyst")
    seen = set()
    for route in _routes(part):
        for values, _ in _values(world, route.kinds()):
            body = _body(_get(client, route.url(values), route))
            seen |= set(probe.leaked_words(body, RED + STRICT))
    assert seen == set(RED + STRICT)


# ---------------------------------------------------------------------------------------------
# Lists with filters and text search: the hidden ids and words match what nothing would
# ---------------------------------------------------------------------------------------------
def _api_lists() -> list[probe.Route]:
    return [r for r in _routes("api") if r.name and r.name.endswith("-list") and not r.params]


def _filter_names(route: probe.Route) -> list[str]:
    from django.urls import resolve

    view = resolve(route.url({})).func
    filterset = getattr(view.cls, "filterset_class", None)
    if filterset is None:
        return []
    return [name for name in filterset.base_filters if name.endswith("_id")]


@pytest.mark.parametrize("viewer", NON_RECIPIENTS)
def test_api_filters_by_a_hidden_id_match_what_an_unknown_id_matches(world, viewer):
    client = signed_in(world, viewer)
    hidden = world.hidden[viewer]
    problems = []
    for route in _api_lists():
        url = route.url({})
        for name in _filter_names(route):
            kind = probe.SEGMENT_KINDS.get(name.removesuffix("_id").replace("_", "-") + "s")
            kind = kind or {
                "evidence_id": "evidence",
                "derived_from_id": "evidence",
                "owner_team_id": "team",
                "parent_id": "question",
            }.get(name)
            for planted_name, pk in world.ids.get(kind or "", {}).items():
                if (kind, planted_name) not in hidden:
                    continue
                given = client.get(url, {name: pk}, HTTP_ACCEPT="application/json")
                unknown = client.get(url, {name: probe.NOWHERE}, HTTP_ACCEPT="application/json")
                if (given.status_code, given.json().get("count")) != (
                    unknown.status_code,
                    unknown.json().get("count"),
                ):
                    problems.append(
                        f"{url}?{name}={pk} ({kind} {planted_name}) differs from unknown"
                    )
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("viewer", NON_RECIPIENTS)
def test_text_search_of_every_list_finds_nothing_hidden(world, viewer):
    client = signed_in(world, viewer)
    words = world.hidden_words[viewer]
    problems = []
    for word in words:
        for route in _api_lists():
            url = route.url({})
            response = client.get(url, {"q": word}, HTTP_ACCEPT="application/json")
            nonsense = client.get(url, {"q": "NOSUCHWORD0000"}, HTTP_ACCEPT="application/json")
            count = response.json().get("count") if isinstance(response.json(), dict) else None
            # A list without text search ignores `q`: it must then answer as for any word.
            if count and count != nonsense.json().get("count"):
                problems.append(f"{url}?q={word}: {count} hit(s)")
            if leaked := probe.leaked_words(_body(response), words, echo=word):
                problems.append(f"{url}?q={word} shows {leaked}")
        for page in ("evidence:list", "questions:board", "questions:search"):
            response = client.get(reverse(page), {"q": word})
            if leaked := probe.leaked_words(_body(response), words, echo=word):
                problems.append(f"{page}?q={word} shows {leaked}")
        for model, model_admin in admin.site._registry.items():
            if not model_admin.search_fields:
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            response = client.get(url, {"q": word})
            if leaked := probe.leaked_words(_body(response), words, echo=word):
                problems.append(f"admin {url}?q={word} shows {leaked}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("viewer", NON_RECIPIENTS)
def test_full_text_search_in_each_language_finds_nothing_hidden(world, viewer):
    client = signed_in(world, viewer)
    for word in world.hidden_words[viewer]:
        api = client.get("/api/search/", {"q": word}, HTTP_ACCEPT="application/json")
        page = client.get(reverse("questions:search"), {"q": word})

        assert api.json()["results"] == [], word
        assert "0 results for" in _body(page), word


def test_a_recipient_finds_the_red_items_in_each_language(world):
    client = signed_in(world, "analyst")
    for word in RED:
        results = client.get("/api/search/", {"q": word}).json()["results"]
        kinds = {(hit["kind"], hit["id"]) for hit in results}
        assert ("evidence", world.id("evidence", "red")) in kinds or (
            "evidence",
            world.id("evidence", "red_ar"),
        ) in kinds, word


@pytest.mark.parametrize("viewer", NON_RECIPIENTS)
def test_admin_autocomplete_offers_nothing_hidden(world, viewer):
    client = signed_in(world, viewer)
    words = world.hidden_words[viewer]
    problems = []
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            for term in ("", *words):
                params = {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field_name,
                    "term": term,
                }
                response = client.get(reverse("admin:autocomplete"), params)
                if leaked := probe.leaked_words(_body(response), words, echo=term):
                    problems.append(f"{model.__name__}.{field_name} term={term!r}: {leaked}")
                if term and response.status_code == 200 and response.json()["results"]:
                    problems.append(f"{model.__name__}.{field_name} term={term!r} has results")
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# ACH: a user's matrix and scores use only what they can see; no `withheld` count
# ---------------------------------------------------------------------------------------------
def _expected_scores(world, visible_names) -> dict[int, float]:
    from evidence.models import Evidence
    from questions.models import HypothesisRating

    question = Question.objects.get(pk=world.id("question", "amber"))
    items = Evidence.objects.filter(pk__in=[world.id("evidence", n) for n in visible_names])
    weights = {e.pk: ach.evidence_weight(e.source.reliability, e.credibility) for e in items}
    cells = [
        ach.Cell(r.evidence_id, r.hypothesis_id, r.rating)
        for r in HypothesisRating.objects.filter(hypothesis__question=question)
        if r.evidence_id in weights
    ]
    hypotheses = list(question.hypotheses.order_by("position", "id").values_list("pk", flat=True))
    scoring = ach.score(hypotheses, cells, weights)
    return {s.hypothesis_id: s.inconsistency for s in scoring.scores}


def test_the_ach_scores_of_a_non_recipient_count_only_what_they_see(world):
    everything = _expected_scores(world, ["visible", "repeats_red", "red"])
    visible_only = _expected_scores(world, ["visible", "repeats_red"])
    assert everything != visible_only  # the RED item moves the scores: the probe can fail
    pk = world.id("question", "amber")

    for viewer, expected in (("bystander", visible_only), ("analyst", everything)):
        body = signed_in(world, viewer).get(f"/api/questions/{pk}/ach/").json()
        assert {h["id"]: h["inconsistency"] for h in body["hypotheses"]} == expected, viewer
        assert "withheld" not in body
        ids = {e["id"] for e in body["evidence"]}
        assert (world.id("evidence", "red") in ids) == (viewer == "analyst")


def test_a_questions_linked_items_are_the_visible_evidence_among_its_links(world):
    """visible_linked_evidence (the ACH matrix's rows) takes shortcuts — the question's own
    need-to-know grant, its links read first — and must answer exactly what visible_evidence
    answers among the question's links, for every viewer and every question, including one
    read only by its public TLP:GREEN grant (which opens none of its TLP:AMBER items)."""
    from evidence.choices import Tlp
    from evidence.models import Evidence
    from questions.visibility import visible_evidence, visible_linked_evidence
    from tests import factories

    green = factories.QuestionFactory(title="Public", tlp=Tlp.GREEN)
    for item in Evidence.objects.all():
        green.evidence_links.create(evidence=item)
    questions = [Question.objects.get(pk=pk) for pk in world.ids["question"].values()]
    for question in [*questions, green]:
        links = question.evidence_links.values("evidence_id")
        for name, user in world.users.items():
            if not hasattr(user, "is_authenticated"):
                continue  # a team
            expected = set(visible_evidence(user, among=links).values_list("pk", flat=True))
            got = set(visible_linked_evidence(user, question).values_list("pk", flat=True))
            assert got == expected, (name, question.title)


def test_one_questions_versions_and_some_items_are_what_the_lists_answer(world):
    """visible_assessments(user, question) and visible_evidence(user, among=…) check each row
    on its own (its cited items, its links, one by one), where the forms for lists build sets:
    for every viewer, each question's versions and each set of items must be the same."""
    from evidence.models import Evidence
    from questions.models import Assessment
    from questions.visibility import (
        visible_assessment_ids,
        visible_assessments,
        visible_evidence,
    )

    questions = [Question.objects.get(pk=pk) for pk in world.ids["question"].values()]
    items = sorted(Evidence.objects.values_list("pk", flat=True))
    assert Assessment.objects.exists() and items
    for name, user in world.users.items():
        if not hasattr(user, "is_authenticated"):
            continue  # a team
        for question in questions:
            expected = set(
                visible_assessments(user).filter(question=question).values_list("pk", flat=True)
            )
            got = set(visible_assessments(user, question).values_list("pk", flat=True))
            assert got == expected == set(visible_assessment_ids(user, question)), (
                name,
                question.title,
            )
        seen = set(visible_evidence(user).values_list("pk", flat=True))
        for among in (items, items[::2], items[1::2]):
            got = set(visible_evidence(user, among=among).values_list("pk", flat=True))
            assert got == seen & set(among), name


def test_the_lists_read_item_by_item_answer_what_the_set_based_lists_answer(world):
    """The API's lists by cursor check each row as it is read (the `item_by_item` forms): for
    every viewer, the same rows as the forms that build the set of every linked item, every
    visible version or every visible question."""
    from evidence.choices import Tlp
    from evidence.models import Evidence
    from questions.models import EvidenceLink
    from questions.visibility import (
        visible_comments,
        visible_evidence,
        visible_evidence_links,
        visible_hypotheses,
        visible_transitions,
    )
    from tests import factories

    # A public question linking every item: the "linked to a question you may see" grant for
    # people outside the items' teams, the one the two forms check differently.
    green = factories.QuestionFactory(title="Public", tlp=Tlp.GREEN)
    for item in Evidence.objects.all()[::2]:
        green.evidence_links.create(evidence=item)
    assert EvidenceLink.objects.count() > 1
    for name, user in world.users.items():
        if not hasattr(user, "is_authenticated"):
            continue  # a team
        for listed in (
            visible_evidence,
            visible_evidence_links,
            visible_transitions,
            visible_hypotheses,
            visible_comments,
        ):
            rows = set(listed(user).values_list("pk", flat=True))
            walked = listed(user, item_by_item=True).values_list("pk", flat=True)
            assert set(walked) == rows, (name, listed.__name__)


def test_the_ach_page_shows_a_non_recipient_the_scores_of_what_they_see(world):
    pk = world.id("question", "amber")
    page = _body(signed_in(world, "bystander").get(reverse("questions:ach", args=[pk])))
    visible_only = _expected_scores(world, ["visible", "repeats_red"])
    everything = _expected_scores(world, ["visible", "repeats_red", "red"])
    shown = [f"{v:.2f}" for v in visible_only.values()]

    assert all(f"<strong>{s}</strong>" in page for s in shown), page
    assert f"<strong>{max(everything.values()):.2f}</strong>" not in page
    assert "may not see" not in page and "withheld" not in page


# ---------------------------------------------------------------------------------------------
# Notifications, their email, and the people a RED question does not name
# ---------------------------------------------------------------------------------------------
def test_no_email_to_a_non_recipient_mentions_a_hidden_item(world):
    red_key = Question.objects.get(pk=world.id("question", "red")).key
    problems = []
    for viewer in NON_RECIPIENTS:
        address = world.users[viewer].email
        for message in mail.outbox:
            if address not in message.to:
                continue
            text = message.subject + "\n" + message.body
            if leaked := probe.leaked_words(text, world.hidden_words[viewer] + (red_key,)):
                problems.append(f"email to {viewer}: {leaked}")
    assert problems == [], "\n".join(problems)
    # The contrast: the recipients were told about the RED question (by its key only).
    told = [m for m in mail.outbox if world.users["reviewer"].email in m.to]
    assert any(red_key in m.subject + m.body for m in told)
    assert not any(probe.leaked_words(m.subject + m.body, RED) for m in mail.outbox)


def test_a_recipient_reads_the_red_notices_in_the_inbox(world):
    body = _body(signed_in(world, "reviewer").get("/api/notifications/"))
    assert probe.leaked_words(body, RED)


def test_the_red_question_tells_nobody_it_does_not_name(time_machine, settings):
    """The team's lead changes to someone the RED question does not name: its escalations must
    not reach them (nor any notice or email)."""
    from notifications import delivery, reminders

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = tlp_world.plant(time_machine)
    alpha, successor = world.users["alpha"], world.users["bystander"]
    alpha.lead = successor
    alpha.save()
    mail.outbox = []
    later = tlp_world.SWEEP_AT + dt.timedelta(days=3)
    time_machine.move_to(later, tick=False)

    reminders.sweep(later)
    delivery.send_pending_emails(later)

    # The outbox may record the escalation (it is decided by role); delivery checks visibility,
    # so it never becomes a notice, a text or an email.
    red_q = world.id("question", "red")
    assert not Notification.objects.filter(question_id=red_q, recipient=successor).exists()
    red_key = Question.objects.get(pk=red_q).key
    to_successor = [m.subject + m.body for m in mail.outbox if successor.email in m.to]
    assert not [text for text in to_successor if red_key in text]
    assert not [text for text in to_successor if probe.leaked_words(text, RED)]
    # The contrast: the escalation of Alpha's visible overdue question reaches the new lead.
    amber_q = world.id("question", "amber")
    assert Notification.objects.filter(question_id=amber_q, recipient=successor).exists()


# ---------------------------------------------------------------------------------------------
# History and exports
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("viewer", ["bystander"])
def test_the_history_of_a_visible_question_leaves_out_hidden_items(world, viewer):
    pk = world.id("question", "amber")
    client = signed_in(world, viewer)
    api = _body(client.get(f"/api/questions/{pk}/history/"))
    page = _body(client.get(reverse("questions:detail", args=[pk])))

    assert probe.leaked_words(api, RED) == []
    assert probe.leaked_words(page, RED) == []
    # The contrast: the analyst's history of the same question tells of the RED item.
    assert probe.leaked_words(
        _body(signed_in(world, "analyst").get(f"/api/questions/{pk}/history/")), RED
    )


def test_no_web_route_exports_a_case_file():
    """The case-file exporter writes everything (it has no user to scope by): it is reachable
    only from the command line (manage.py export_casefile), which is a superuser's power. No
    page or endpoint may call it."""
    import inspect

    modules = set()
    for route in probe.routes():
        view = getattr(route.view, "cls", None) or getattr(route.view, "view_class", None)
        modules.add(inspect.getmodule(view or route.view))
    sources = {m.__name__: inspect.getsource(m) for m in modules if m is not None}

    assert not [name for name, text in sources.items() if "casefile" in text]
