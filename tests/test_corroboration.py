"""Circular reporting: several outlets repeating one claim are one origin, not corroboration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from evidence.corroboration import (
    independent_origin_count,
    origins,
    origins_given_parents,
    validate_derived_from,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_items_repeating_one_claim_trace_back_to_its_origin():
    original = factories.EvidenceFactory(summary="Unnamed officials say …")
    repeat = factories.EvidenceFactory(derived_from=original)
    repeat_of_repeat = factories.EvidenceFactory(derived_from=repeat)
    independent = factories.EvidenceFactory()

    ids = [original.id, repeat.id, repeat_of_repeat.id, independent.id]
    assert origins(ids) == {
        original.id: original.id,
        repeat.id: original.id,
        repeat_of_repeat.id: original.id,
        independent.id: independent.id,
    }
    assert independent_origin_count(ids) == 2


def test_origins_are_found_in_one_query(django_assert_num_queries):
    root = factories.EvidenceFactory()
    items = [factories.EvidenceFactory(derived_from=root) for _ in range(20)]
    with django_assert_num_queries(1):
        assert set(origins(i.id for i in items).values()) == {root.id}


def test_given_their_parents_only_the_items_that_derive_are_walked(django_assert_num_queries):
    root = factories.EvidenceFactory()
    repeat = factories.EvidenceFactory(derived_from=root)
    repeat_of_repeat = factories.EvidenceFactory(derived_from=repeat)
    alone = factories.EvidenceFactory()
    items = [root, repeat, repeat_of_repeat, alone]
    with django_assert_num_queries(1):
        found = origins_given_parents({i.id: i.derived_from_id for i in items})
    assert found == origins(i.id for i in items)
    with django_assert_num_queries(0):
        assert origins_given_parents({root.id: None, alone.id: None}) == {
            root.id: root.id,
            alone.id: alone.id,
        }


def test_it_refuses_an_item_deriving_from_itself_through_others():
    a = factories.EvidenceFactory()
    b = factories.EvidenceFactory(derived_from=a)
    c = factories.EvidenceFactory(derived_from=b)
    with pytest.raises(ValidationError) as refused:
        validate_derived_from(a, c)
    assert "derived_from" in refused.value.message_dict
    with pytest.raises(ValidationError):
        validate_derived_from(a, a)
    validate_derived_from(c, a)  # already upstream of c: allowed


def test_no_items_no_origins():
    assert origins([]) == {}
    assert independent_origin_count([]) == 0
