"""iqtrack.db: query building blocks about the database, not the domain."""

from __future__ import annotations

import pytest
from django.db import connection

from evidence.models import Evidence
from iqtrack.db import AnyOf
from tests import factories

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds():
    first, second, third = (factories.EvidenceFactory() for _ in range(3))
    ids = [first.pk, third.pk, third.pk]
    assert set(Evidence.objects.filter(AnyOf("pk", ids))) == {first, third}
    assert set(Evidence.objects.exclude(AnyOf("pk", ids))) == set(
        Evidence.objects.exclude(pk__in=ids)
    )
    assert second not in Evidence.objects.filter(AnyOf("pk", iter(ids)))


def test_any_of_nothing_is_nothing_without_asking(django_assert_num_queries):
    factories.EvidenceFactory()
    with django_assert_num_queries(0):
        assert list(Evidence.objects.filter(AnyOf("pk", []))) == []


def test_the_values_are_one_parameter_on_postgresql_and_a_plain_in_list_elsewhere():
    """One array on PostgreSQL, so that psycopg keeps the query's parsed form however many ids
    it carries; elsewhere (SQLite) the plain IN list, a placeholder per value."""
    sql, params = Evidence.objects.filter(AnyOf("pk", range(300))).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s::bigint[])" in sql
        assert params == ("{" + ",".join(map(str, range(300))) + "}",)
    else:
        assert "IN (" + ", ".join(["%s"] * 300) + ")" in sql and params == tuple(range(300))


def test_any_of_takes_integers_only():
    with pytest.raises(TypeError):
        AnyOf("pk", ["1); DROP TABLE evidence_evidence; --"])
