"""A worker keeps the visibility querysets it built for a user (questions.visibility
._kept_per_user), and what they answer is still decided when they run.

The rest of the suite reads every list through kept querysets; these tests pin down what keeping
them must never change: a grant given or taken after the queryset was built counts at once, a
caller's narrowing or reading stays its own, and a user whose standing changed (superuser, or
deactivated) gets the form built for that standing.
"""

from __future__ import annotations

from collections import OrderedDict
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models.sql.where import WhereNode

from evidence.choices import Tlp
from questions import visibility
from questions.models import EvidenceLink, Question
from tests.factories import EvidenceFactory, QuestionFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(monkeypatch) -> OrderedDict:
    """An empty store for this test, so that what it finds there is what this test kept."""
    store: OrderedDict = OrderedDict()
    monkeypatch.setattr(visibility, "_KEPT", store)
    return store


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_a_kept_queryset_reads_the_grants_as_they_stand_when_it_runs(kept):
    analyst, team = UserFactory(), TeamFactory()
    amber = QuestionFactory(team=team, tlp=Tlp.AMBER)
    item = EvidenceFactory(owner_team=team, tlp=Tlp.AMBER)
    EvidenceLink.objects.create(question=amber, evidence=item)

    assert amber.pk not in _ids(visibility.visible_questions(analyst))
    assert item.pk not in _ids(visibility.visible_evidence(analyst))
    assert len(kept) == 2

    team.members.add(analyst)
    assert amber.pk in _ids(visibility.visible_questions(analyst))
    assert item.pk in _ids(visibility.visible_evidence(analyst))
    assert _ids(visibility.visible_evidence_links(analyst)) == {EvidenceLink.objects.get().pk}

    team.members.remove(analyst)
    amber.tlp = Tlp.CLEAR
    amber.save()
    assert amber.pk in _ids(visibility.visible_questions(analyst))
    assert item.pk not in _ids(visibility.visible_evidence(analyst))
    # Built once each, whatever changed in between.
    assert len(kept) == 3


def test_each_caller_gets_its_own_copy_to_narrow_and_read(kept):
    lead, team = UserFactory(), TeamFactory()
    team.members.add(lead)
    first = QuestionFactory(team=team, title="First")

    narrowed = visibility.visible_questions(lead).filter(title="Nothing of that name")
    assert list(narrowed) == []
    read = visibility.visible_questions(lead)
    assert list(read) == [first]

    second = QuestionFactory(team=team, title="Second")
    assert _ids(visibility.visible_questions(lead)) == {first.pk, second.pk}
    assert list(read) == [first]  # what a caller read stays what it read
    assert len(kept) == 1


def test_a_change_of_standing_gets_the_form_built_for_it(kept):
    person, team, elsewhere = UserFactory(), TeamFactory(), TeamFactory()
    team.members.add(person)
    mine = QuestionFactory(team=team, tlp=Tlp.AMBER)
    theirs = QuestionFactory(team=elsewhere, tlp=Tlp.RED)

    assert _ids(visibility.visible_questions(person)) == {mine.pk}

    person.is_superuser = True
    person.save()
    assert _ids(visibility.visible_questions(person)) == {mine.pk, theirs.pk}

    person.is_superuser, person.is_active = False, False
    person.save()
    assert _ids(visibility.visible_questions(person)) == set()
    assert _ids(visibility.visible_questions(AnonymousUser())) == set()

    person.is_active = True
    person.save()
    assert _ids(visibility.visible_questions(person)) == {mine.pk}
    assert len(kept) == 4  # member, superuser, deactivated, anonymous


def test_a_read_about_one_question_or_given_ids_is_built_each_time(kept):
    person, team = UserFactory(), TeamFactory()
    team.members.add(person)
    question = QuestionFactory(team=team)
    item = EvidenceFactory(owner_team=team)

    visibility.visible_assessments(person, question)
    visibility.visible_transitions(person, question)
    visibility.visible_evidence(person, among=[item.pk])
    visibility.visible_evidence(person, Question.objects.none())
    assert [key[0] for key in kept] == []

    visibility.visible_evidence(person, None, item_by_item=True)
    visibility.visible_assessments(person, question=None)
    assert [key[0] for key in kept] == ["visible_evidence", "visible_assessments"]


def test_only_so_many_are_kept_and_the_least_recently_used_goes_first(kept, monkeypatch):
    monkeypatch.setattr(visibility, "KEPT_MAX", 2)
    first, second, third = UserFactory(), UserFactory(), UserFactory()

    visibility.visible_questions(first)
    visibility.visible_questions(second)
    visibility.visible_questions(first)  # used again: now the most recent
    visibility.visible_questions(third)

    assert [key[1] for key in kept] == [first.pk, third.pk]


# Their conditions are compiled to SQL once (iqtrack.db.CompiledOnce).


def _compiled_conditions(queryset) -> tuple[str, int]:
    """The queryset's SQL, and how many groups of conditions were compiled to make it."""
    with mock.patch.object(WhereNode, "as_sql", autospec=True, side_effect=WhereNode.as_sql) as spy:
        sql = str(queryset.query)
    return sql, spy.call_count


def test_a_kept_querysets_conditions_are_compiled_for_the_first_caller_only(kept):
    person = UserFactory()
    first_sql, first_count = _compiled_conditions(visibility.visible_questions(person))
    again_sql, again_count = _compiled_conditions(visibility.visible_questions(person))

    assert again_sql == first_sql
    assert first_count > 2
    assert again_count == 1  # the copy's own node, around the compiled conditions
    # A caller's narrowing is compiled as ever, beside them.
    narrowed, _count = _compiled_conditions(visibility.visible_questions(person).filter(pk=7))
    conditions = first_sql.split(" WHERE ", 1)[1].split(" ORDER BY")[0]
    assert conditions in narrowed and '"questions_question"."id" = 7' in narrowed


def test_compiled_conditions_answer_as_built_ones_in_every_query_that_uses_them(kept):
    """As a subquery the conditions are relabelled (U0, V0 …) for the query around them; they
    answer what conditions built afresh answer, and a grant given afterwards still counts.
    (That each relabelling keeps its own SQL: tests/test_db.py.)"""
    person, team, elsewhere = UserFactory(), TeamFactory(), TeamFactory()
    team.members.add(person)
    mine = QuestionFactory(team=team, tlp=Tlp.AMBER)
    theirs = QuestionFactory(team=elsewhere, tlp=Tlp.AMBER)
    children = {
        q.pk: QuestionFactory(team=team, parent=q, tlp=Tlp.CLEAR).pk for q in (mine, theirs)
    }
    item = EvidenceFactory(owner_team=team, tlp=Tlp.CLEAR)
    on_theirs = EvidenceLink.objects.create(question=theirs, evidence=item)
    # Visible sub-questions under a visible and a hidden key question.
    for child in children.values():
        EvidenceLink.objects.create(question_id=child, evidence=item)

    def uses(visible):
        return (
            _ids(Question.objects.filter(parent__in=visible)),
            _ids(EvidenceLink.objects.filter(question__in=visible)),
            _ids(Question.objects.filter(parent__in=visible).filter(pk__in=visible)),
            # A subquery inside a subquery: relabelled again (V0 …).
            _ids(
                EvidenceLink.objects.filter(
                    question__in=Question.objects.filter(parent__in=visible)
                )
            ),
        )

    built = visibility.visible_questions.__wrapped__  # not kept, not compiled once
    for _ in range(2):  # the second time from the kept SQL
        assert uses(visibility.visible_questions(person)) == uses(built(person))
    first, _, _, nested = uses(visibility.visible_questions(person))
    assert first == {children[mine.pk]}
    assert nested == {EvidenceLink.objects.get(question=children[mine.pk]).pk}

    elsewhere.members.add(person)
    assert uses(visibility.visible_questions(person)) == uses(built(person))
    assert on_theirs.pk in uses(visibility.visible_questions(person))[1]


def test_a_write_through_a_kept_queryset_touches_only_what_the_user_may_see(kept):
    person, team = UserFactory(), TeamFactory()
    team.members.add(person)
    mine, theirs = QuestionFactory(team=team), QuestionFactory(tlp=Tlp.AMBER)
    list(visibility.visible_questions(person))  # compiled for a read first

    assert visibility.visible_questions(person).update(title="Renamed") == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.title == "Renamed"
    assert theirs.title != "Renamed"
