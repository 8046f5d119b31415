"""iqtrack.db: query building blocks about the database, not the domain."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

import iqtrack.db
from accounts.models import Team
from evidence.models import Evidence
from iqtrack.db import AnyOf, compile_conditions_once
from questions.models import Question
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


# Django's own `__in` with integers (iqtrack.db.IntegerIn, RelatedIntegerIn).


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def test_in_with_integers_is_one_array_on_postgresql_for_keys_relations_and_reverse_ones():
    """On PostgreSQL one array parameter; elsewhere (SQLite) Django's own IN list, unchanged."""
    team = factories.TeamFactory()
    first, second = factories.EvidenceFactory(owner_team=team), factories.EvidenceFactory()
    ids = [first.pk, second.pk, first.pk, None]

    by_key = Evidence.objects.filter(pk__in=ids)
    by_relation = Evidence.objects.filter(owner_team__in=[team.pk])
    by_reverse = Team.objects.filter(evidence__in=[first.pk, second.pk])
    for queryset in (by_key, by_relation, by_reverse):
        sql, _params = _sql(queryset)
        if connection.vendor == "postgresql":
            assert "= ANY(%s::bigint[])" in sql and " IN (" not in sql
        else:
            assert " IN (" in sql and "ANY(" not in sql

    if connection.vendor == "postgresql":  # once each, NULL left out
        assert _sql(by_key)[1][-1] == f"{{{first.pk},{second.pk}}}"
    assert set(by_key) == {first, second}
    assert list(by_relation) == [first]
    assert list(by_reverse) == [team]
    assert set(Evidence.objects.exclude(pk__in=ids)) == set()


def test_in_keeps_djangos_meaning_where_the_form_differs(django_assert_num_queries):
    item = factories.EvidenceFactory(tlp="green")
    with django_assert_num_queries(0):  # nothing to match: no query, as Django's
        assert list(Evidence.objects.filter(pk__in=[])) == []
        assert list(Evidence.objects.filter(pk__in=[None])) == []
    assert list(Evidence.objects.exclude(pk__in=[None, item.pk + 1])) == [item]

    # Not integers, or not a list: written as Django writes them.
    assert " IN (%s)" in _sql(Evidence.objects.filter(tlp__in=["green"]))[0]
    subquery = Evidence.objects.filter(pk__in=Evidence.objects.values("pk"))
    assert " IN (SELECT" in _sql(subquery)[0]
    assert list(subquery) == [item]


def test_conditions_compiled_once_are_relabelled_and_compiled_apart_for_each_map():
    """A kept queryset becomes a subquery under new aliases (U0 as a subquery, V0 inside one, T5
    when or-ed with another): each map keeps its own relabelled conditions and their SQL."""
    queryset = Question.objects.filter(title="Kept")
    compile_conditions_once(queryset)
    (kept,) = queryset.query.where.children
    compiler = queryset.query.get_compiler(using="default")

    def compiled(node) -> str:
        return compiler.compile(node)[0]

    as_written = compiled(kept)
    under_u = kept.relabeled_clone({"questions_question": "U0"})
    under_v = kept.relabeled_clone({"questions_question": "V0"})
    assert kept.relabeled_clone({"questions_question": "U0"}) is under_u
    assert (compiled(under_u), compiled(under_v)) == (
        as_written.replace('"questions_question"', '"U0"'),
        as_written.replace('"questions_question"', '"V0"'),
    )
    assert compiled(kept) == as_written  # the original's own SQL untouched


def test_only_so_many_relabellings_are_kept_and_the_others_still_compile_right(monkeypatch):
    monkeypatch.setattr(iqtrack.db, "RELABELLINGS_KEPT", 2)
    queryset = Question.objects.filter(title="Kept")
    compile_conditions_once(queryset)
    (kept,) = queryset.query.where.children
    compiler = queryset.query.get_compiler(using="default")
    for prefix in "UVWX":
        relabelled = kept.relabeled_clone({"questions_question": f"{prefix}0"})
        assert f'"{prefix}0"."title"' in compiler.compile(relabelled)[0]
    assert len(kept._relabeled) == 2


# Date-times: on PostgreSQL read by psycopg's C parser in place of Django's Python one.
DATE_TIMES = [
    "2023-10-07 06:29:00.123456+03",
    "2023-10-07 06:29:00+00",
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00-09:30",
    "1900-06-30 23:59:59.5+05:53:28",  # an offset in seconds, as old local mean times have
]


def _read_date_times(cursor) -> tuple:
    cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(DATE_TIMES)), DATE_TIMES)
    return cursor.fetchone()


def test_date_times_read_back_as_written_in_utc():
    """Through the ORM on any database; on PostgreSQL by the C loader, which must read what
    Django's own loader reads, and refuse what Python cannot hold as Django's refuses it."""
    written = [datetime.datetime.fromisoformat(text) for text in DATE_TIMES]
    ids = [factories.QuestionFactory(due_at=moment).pk for moment in written]
    read = dict(Question.objects.filter(pk__in=ids).values_list("pk", "due_at"))
    assert [read[pk] for pk in ids] == written
    assert all(read[pk].tzinfo is datetime.UTC for pk in ids)
    assert read[ids[0]] == datetime.datetime(2023, 10, 7, 3, 29, 0, 123456, tzinfo=datetime.UTC)
    if connection.vendor != "postgresql":
        return
    from django.db import DataError
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    with connection.cursor() as cursor:
        ours = _read_date_times(cursor)
        loader = cursor.connection.adapters.get_loader(1184, Format.TEXT)  # timestamptz
    assert loader is iqtrack.db.UTC_TIMESTAMPTZ_LOADER
    with connection.connection.cursor() as raw:  # Django's loader, put back on one cursor
        register_tzloader(connection.timezone, raw)
        djangos = _read_date_times(raw)
    assert ours == djangos == tuple(written)
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in djangos]
    with pytest.raises(DataError), connection.cursor() as cursor:
        cursor.execute("SELECT 'infinity'::timestamptz")
        cursor.fetchone()


def test_a_connection_whose_zone_is_not_utc_keeps_djangos_loader():
    registered = []
    adapters = SimpleNamespace(register_loader=lambda *args: registered.append(args))

    def stub(zone: datetime.tzinfo, session_zone: str) -> SimpleNamespace:
        raw = SimpleNamespace(
            adapters=adapters, info=SimpleNamespace(parameter_status=lambda name: session_zone)
        )
        return SimpleNamespace(vendor="postgresql", timezone=zone, connection=raw)

    iqtrack.db.parse_timestamps_in_c(None, stub(ZoneInfo("Asia/Jerusalem"), "UTC"))
    iqtrack.db.parse_timestamps_in_c(None, stub(datetime.UTC, "Asia/Jerusalem"))
    assert registered == []
    iqtrack.db.parse_timestamps_in_c(None, stub(datetime.UTC, "UTC"))
    assert registered == [("timestamptz", iqtrack.db.UTC_TIMESTAMPTZ_LOADER)]
