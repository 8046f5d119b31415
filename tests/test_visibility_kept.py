"""A worker keeps the visibility querysets it built for a user (questions.visibility
._kept_per_user), and what they answer is still decided when they run.

The rest of the suite reads every list through kept querysets; these tests pin down what keeping
them must never change: a grant given or taken after the queryset was built counts at once, a
caller's narrowing or reading stays its own, and a user whose standing changed (superuser, or
deactivated) gets the form built for that standing.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
from django.contrib.auth.models import AnonymousUser

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
