"""Structural rules the database itself enforces, whatever the entry point."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from evidence.choices import Tlp
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_refuses_the_same_person_as_analyst_and_reviewer(analyst):
    question = factories.QuestionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(question).objects.filter(pk=question.pk).update(assignee=analyst, reviewer=analyst)


def test_it_refuses_a_credibility_outside_the_admiralty_scale():
    evidence = factories.EvidenceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(evidence).objects.filter(pk=evidence.pk).update(credibility=7)


def test_it_refuses_a_reliability_outside_a_to_f():
    source = factories.SourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(source).objects.filter(pk=source.pk).update(reliability="G")


def test_it_refuses_a_date_without_its_precision():
    evidence = factories.EvidenceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(evidence).objects.filter(pk=evidence.pk).update(happened_on="2023-03-16")


def test_tlp_ranks_red_as_most_restrictive():
    assert Tlp.most_restrictive([Tlp.GREEN, Tlp.RED, Tlp.AMBER]) == Tlp.RED
    assert Tlp.most_restrictive([]) == Tlp.CLEAR
