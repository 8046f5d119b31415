"""The demo case file: what it holds, and import/export as a specification."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Team
from evidence import search_sql
from evidence.models import Actor, Event, Evidence, Source
from questions.casefile import export_casefile, import_casefile, rows
from questions.choices import Status
from questions.models import EvidenceLink, Hypothesis, HypothesisRating, Question
from tests import factories
from tests.casefile_helpers import SEED, empty_the_case_tables, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return import_casefile(SEED)


# ---------------------------------------------------------------------------------------------
# The seed case, read against the document
# ---------------------------------------------------------------------------------------------
def test_it_imports_the_seed_case_cleanly(seeded):
    assert seeded.teams == ["russia-hamas"]
    assert seeded.counts["questions"].created == Question.objects.count() == 15
    assert Team.objects.get(slug="russia-hamas").name == "Russia–Hamas link"
    assert not any(c.updated or c.unchanged for c in seeded.counts.values())


def test_the_seed_case_asks_more_than_ten_open_questions_under_one_key_question(seeded):
    key = Question.objects.get(parent=None)
    assert key.key == "russia-support-for-hamas-before-oct-7"
    assert "Oct. 7" in key.title
    below_key = Question.objects.exclude(pk=key.pk)
    assert below_key.count() > 10
    assert set(Question.objects.values_list("status", flat=True)) == {Status.OPEN}
    # "If so, what did such pledges include ...?" hangs under "Did Russia promise ...?"
    pledges = Question.objects.get(key="pledged-assistance")
    assert pledges.parent.key == "promise-of-assistance-march-2023"
    assert Question.objects.get(key="timing-of-the-attack").parent == key


def test_the_key_question_has_competing_hypotheses_from_the_text(seeded):
    titles = list(
        Hypothesis.objects.filter(question__key="russia-support-for-hamas-before-oct-7")
        .order_by("position")
        .values_list("title", flat=True)
    )
    assert len(titles) == 4
    assert "directly" in titles[0]
    assert "proxies" in titles[1]
    assert "only long-term political" in titles[3]


def test_the_march_16_2023_moscow_meetings_are_recorded_as_written(seeded):
    event = Event.objects.get(key="hamas-moscow-meetings-2023-03-16")
    assert (event.happened_on, event.happened_precision) == (dt.date(2023, 3, 16), "day")
    assert event.happened_text == "March 16, 2023"
    assert event.place == "Moscow"
    assert set(event.actors.values_list("key", flat=True)) >= {
        "sergey-lavrov",
        "mikhail-bogdanov",
        "moussa-abu-marzouk",
        "saleh-al-arouri",
    }
    lavrov = Actor.objects.get(key="sergey-lavrov")
    assert lavrov.affiliation == "Foreign Minister of Russia"
    website = Evidence.objects.get(key="marzouk-visit-different-from-predecessors")
    assert website.source.name == "Hamas’ website"
    assert "“different from its predecessors”" in website.summary


def test_the_sept_1_2023_beirut_meeting_is_recorded_as_written(seeded):
    event = Event.objects.get(key="beirut-meeting-2023-09-01")
    assert (event.happened_on, event.happened_text) == (dt.date(2023, 9, 1), "Sept. 1, 2023")
    assert event.place == "Beirut"
    assert set(event.actors.values_list("key", flat=True)) >= {
        "saleh-al-arouri",
        "hussein-amirabdollahian",
        "ziyad-al-nakhalah",
    }
    agreed = Evidence.objects.get(key="iran-mfa-beirut-joint-action-agreed")
    assert agreed.source.kind == "official_website"
    assert agreed.original_language == ""  # the document never says which language


def test_the_wagner_training_claim_is_unconfirmed(seeded):
    for key in (
        "ukrainian-official-wagner-trained-hamas",
        "ukrainian-center-wagner-training-in-africa",
    ):
        claim = Evidence.objects.get(key=key)
        assert claim.corroboration == "unconfirmed"
        assert claim.credibility == 6
        assert "no non-Ukrainian confirmation" in claim.notes
    claim = Evidence.objects.get(key="ukrainian-official-wagner-trained-hamas")
    assert (claim.reported_text, claim.reported_on) == (
        "The day after the Oct. 7 attack",
        dt.date(2023, 10, 8),
    )


def test_vague_dates_stay_approximate_and_inferred_years_are_noted(seeded):
    shoigu = Evidence.objects.get(key="shoigu-in-tehran-before-oct-7")
    assert shoigu.happened_precision == "approximate"
    assert shoigu.happened_text.startswith("two weeks before Hamas carried out its brutal Oct. 7")
    show = Evidence.objects.get(key="hamas-weapons-show-july-1")
    assert (show.happened_text, show.happened_on) == ("July 1", dt.date(2023, 7, 1))
    assert "inferred" in show.notes
    assert (
        Evidence.objects.get(key="garantex-helped-hamas-and-pij-fund-operations").happened_on
        is None
    )


def test_every_source_the_document_names_is_there(seeded):
    names = " | ".join(Source.objects.values_list("name", flat=True))
    for named in (
        "Iranian foreign ministry",
        "Hamas’ website",
        "CNN, citing four unspecified sources",
        "senior Israeli official",
        "David Barnea",
        "Ukrainian Center for National Resistance",
        "official Ukrainian source",
        "Zelenskyy",
        "declassified intelligence",
        "New York Times",
        "public intelligence center",
        "Palestinian publication",
        "Ehsan Khandouzi",
        "U.S. Treasury",
        "U.S. State Department",
        "Middle East Institute",
    ):
        assert named in names


def test_every_evidence_item_is_clear_and_graded(seeded):
    assert set(Evidence.objects.values_list("tlp", flat=True)) == {"clear"}
    assert not Evidence.objects.filter(summary="").exists()
    assert HypothesisRating.objects.exists()
    assert EvidenceLink.objects.filter(evidence__key="moscow-meetings-2023-03-16").count() >= 3


# ---------------------------------------------------------------------------------------------
# Import is idempotent and recorded
# ---------------------------------------------------------------------------------------------
def test_a_second_import_of_the_same_file_changes_nothing(seeded):
    before_rows = row_counts()
    again = import_casefile(SEED)
    assert not again.changed
    assert all(c.created == c.updated == 0 for c in again.counts.values())
    assert again.counts["evidence"].unchanged == Evidence.objects.count()
    assert row_counts() == before_rows  # history included: no new rows anywhere


def test_history_records_each_creation_with_the_file_as_reason(seeded):
    created = Evidence.history.filter(key="moscow-meetings-2023-03-16", history_type="+").get()
    assert created.history_change_reason == "case file russia-hamas-2023.yaml"


def test_a_changed_field_is_updated_in_place_and_recorded(seeded, tmp_path):
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        SEED.read_text().replace("place: Beirut", "place: Beirut, Lebanon"), encoding="utf-8"
    )
    history_before = Event.history.count()
    report = import_casefile(edited)
    assert report.counts["events"].updated == 1
    assert report.counts["events"].unchanged == 9
    assert Event.objects.get(key="beirut-meeting-2023-09-01").place == "Beirut, Lebanon"
    assert Event.history.count() == history_before + 1


def test_import_never_moves_the_status_of_a_question_the_workflow_has_taken(seeded):
    Question.objects.filter(key="second-front").update(status=Status.IN_ANALYSIS)
    report = import_casefile(SEED)
    assert Question.objects.get(key="second-front").status == Status.IN_ANALYSIS
    assert not report.changed


def test_import_adds_missing_relations_and_never_removes_any(seeded):
    event = Event.objects.get(key="beirut-meeting-2023-09-01")
    extra = factories.ActorFactory(key="someone-added-in-the-app")
    event.actors.add(extra)
    event.actors.remove(Actor.objects.get(key="iran"))
    report = import_casefile(SEED)
    assert report.counts["events"].updated == 1
    assert set(event.actors.values_list("key", flat=True)) >= {"iran", "someone-added-in-the-app"}


# ---------------------------------------------------------------------------------------------
# Export → import into an empty database → export is byte-identical
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_export_import_export_is_byte_identical(seeded, tmp_path, suffix):
    first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"
    export_casefile(first)
    empty_the_case_tables()
    assert not Question.objects.exists()
    import_casefile(first)
    export_casefile(second)
    assert first.read_bytes() == second.read_bytes()


def test_the_export_keeps_awkward_text_exactly(team, tmp_path):
    awkward = [
        "line one\nline two\n",
        "trailing spaces   \nand more  ",
        "windows\r\nline ends",
        "  leading spaces",
        "yes",
        "2023-03-16",
        "# not a comment",
        "key: value",
        "'quoted' and \"double\"",
        "paragraph\u2029separator and line\u2028separator",
        "\n\nleading blank lines",
        "tab\tinside",
    ]
    source = factories.SourceFactory(key="awkward", description=awkward[0])
    for index, text in enumerate(awkward):
        factories.EvidenceFactory(
            key=f"awkward-{index}", source=source, summary=text, notes=text, owner_team=team
        )
    factories.EvidenceFactory(
        key="rtl",
        source=source,
        summary="An Arabic excerpt",
        original_text="\u202bقال مرزوق\u202c",
        original_language="ar",
    )
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    export_casefile(first)
    empty_the_case_tables()
    import_casefile(first)
    for index, text in enumerate(awkward):
        assert Evidence.objects.get(key=f"awkward-{index}").summary == text
    export_casefile(second)
    assert first.read_bytes() == second.read_bytes()


def test_a_question_extract_holds_the_question_its_sub_questions_and_what_they_cite(
    seeded, tmp_path
):
    extract = tmp_path / "extract.yaml"
    export_casefile(extract, question_key="direct-or-proxy-support")
    text = extract.read_text()
    for key in ("who-trained-hamas", "russian-weapons-to-hamas", "garantex-terrorist-financing"):
        assert f"key: {key}\n" in text
    assert "key: second-front\n" not in text  # a sibling, not a sub-question
    assert "key: nyt-oct-26-diplomatic-catch-up\n" not in text  # evidence nobody here cites
    assert "key: ukrainian-official-wagner-trained-hamas\n" in text

    assert not import_casefile(extract).changed  # back into its own database: harmless

    empty_the_case_tables()
    import_casefile(extract)
    assert Question.objects.get(key="direct-or-proxy-support").parent.key == (
        "russia-support-for-hamas-before-oct-7"
    )
    assert not Hypothesis.objects.filter(question__key="russia-support-for-hamas-before-oct-7")
    again = tmp_path / "again.yaml"
    export_casefile(again, question_key="direct-or-proxy-support")
    assert again.read_bytes() == extract.read_bytes()


# ---------------------------------------------------------------------------------------------
# Progress bar
# ---------------------------------------------------------------------------------------------
def _many_actors(tmp_path, count: int):
    lines = ["iqtrack_casefile: 1", "actors:"]
    for n in range(count):
        lines += [f"  - key: actor-{n}", f"    name: Actor {n}", "    kind: person"]
    path = tmp_path / "many.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_large_file_shows_a_progress_bar_on_stderr(db, tmp_path, capsys):
    import_casefile(_many_actors(tmp_path, 600), progress=True)
    assert "600/600" in capsys.readouterr().err


def test_a_small_file_or_progress_off_shows_no_bar(db, tmp_path, capsys):
    import_casefile(_many_actors(tmp_path, 20), progress=True)
    import_casefile(_many_actors(tmp_path, 600))
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------------------------
def test_import_command_reports_what_it_did(capsys):
    call_command("import_casefile", str(SEED))
    out = capsys.readouterr().out
    assert "questions: 15 created, 0 updated, 0 unchanged" in out
    call_command("import_casefile", str(SEED))
    assert "nothing changed" in capsys.readouterr().out


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_import_command_prints_each_problem_and_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "iqtrack_casefile: 1\n"
        "sources:\n"
        "  - key: cnn\n"
        "    name: CNN\n"
        "    kind: news_outlet\n"
        "    reliability: G\n"
        "evidence:\n"
        "  - key: item\n"
        "    source: fox\n"
        "    summary: Something\n"
        "    credibility: 2\n"
        "    corroboration: single_source\n"
        "    tlp: clear\n",
        encoding="utf-8",
    )
    before = row_counts()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_casefile", str(bad)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": _test_database_url()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f"{bad}:6: sources[0].reliability: 'G' is not one of A, B, C, D, E, F" in lines
    assert f"{bad}:9: evidence[0].source: no entry in sources has key 'fox'" in lines
    assert "nothing was imported" in result.stderr
    assert row_counts() == before


def test_export_command_writes_the_file_and_refuses_an_unknown_question(seeded, tmp_path):
    out = tmp_path / "case.json"
    call_command("export_casefile", str(out))
    assert out.read_text().startswith('{\n  "iqtrack_casefile": 1,')
    with pytest.raises(CommandError, match="no question has key 'nope'"):
        call_command("export_casefile", str(tmp_path / "x.yaml"), "--question", "nope")
    with pytest.raises(CommandError, match=r"\.yaml, \.yml or \.json"):
        call_command("export_casefile", str(tmp_path / "x.txt"))


def test_new_entries_are_inserted_in_batches_with_their_relations_and_history(
    db, tmp_path, monkeypatch
):
    from questions.casefile import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 2)  # several batches from five items
    items = [
        {
            "key": f"item-{i}",
            "source": "outlet",
            "summary": f"Item {i} repeats the one before it.",
            "credibility": 3,
            "corroboration": "single_source",
            "tlp": "clear",
            "actors": ["envoy"],
            **({"derived_from": f"item-{i - 1}"} if i else {}),
        }
        for i in range(5)
    ]
    document = {
        "iqtrack_casefile": 1,
        "sources": [{"key": "outlet", "name": "Outlet", "kind": "news_outlet", "reliability": "C"}],
        "actors": [{"key": "envoy", "name": "Envoy", "kind": "person"}],
        # Last first: each item must still find the id of the one it derives from.
        "evidence": list(reversed(items)),
    }
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    report = import_casefile(path)

    assert report.counts["evidence"].created == 5
    for i in range(1, 5):
        item = Evidence.objects.get(key=f"item-{i}")
        assert item.derived_from.key == f"item-{i - 1}"
        assert [a.key for a in item.actors.all()] == ["envoy"]
    created = Evidence.history.get(key="item-3", history_type="+")
    assert created.history_change_reason == "case file chain.json"
    assert [row.actor.key for row in created.actors.all()] == ["envoy"]
    assert not import_casefile(path).changed


# ---------------------------------------------------------------------------------------------
# Cost: a number of queries that does not grow with the file
# ---------------------------------------------------------------------------------------------
def _case_of(tmp_path, prefix: str, items: int):
    """A case file of `items` evidence items in every section that has entries, all new."""
    evidence = [
        {
            "key": f"{prefix}-item-{i}",
            "source": f"{prefix}-src-{i % 3}",
            "summary": f"Item {i} in English.",
            "original_text": f"Пункт {i}",
            "original_language": "ru",
            "translation": f"Item {i}",
            "happened_on": "2023-03-16",
            "happened_precision": "day",
            "credibility": 2,
            "corroboration": "single_source",
            "tlp": "amber+strict",
            "owner_team": f"{prefix}-team",
            "actors": [f"{prefix}-actor-{i % 2}", f"{prefix}-actor-2"],
        }
        for i in range(items)
    ]
    keys = [item["key"] for item in evidence]
    document = {
        "iqtrack_casefile": 1,
        "teams": [{"slug": f"{prefix}-team", "name": f"Team {prefix}"}],
        "sources": [
            {"key": f"{prefix}-src-{i}", "name": f"S{i}", "kind": "news_outlet", "reliability": "B"}
            for i in range(3)
        ],
        "actors": [
            {"key": f"{prefix}-actor-{i}", "name": f"A{i}", "kind": "person"} for i in range(3)
        ],
        "evidence": evidence,
        "events": [
            {
                "key": f"{prefix}-event",
                "title": "A meeting",
                "actors": [f"{prefix}-actor-0"],
                "evidence": keys,
            }
        ],
        "questions": [
            {
                "key": f"{prefix}-question",
                "title": "What happened?",
                "team": f"{prefix}-team",
                "status": "open",
                "tlp": "amber",
                "shared_with": [f"{prefix}-team"],
                "hypotheses": [
                    {
                        "key": f"{prefix}-h{h}",
                        "title": f"Hypothesis {h}",
                        "ratings": [{"evidence": key, "rating": "consistent"} for key in keys],
                    }
                    for h in range(2)
                ],
                "evidence_links": [{"evidence": key, "relevance": "It bears."} for key in keys],
            }
        ],
    }
    path = tmp_path / f"{prefix}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _queries_to_import(path) -> int:
    with CaptureQueriesContext(connection) as queries:
        import_casefile(path)
    return len(queries)


def test_the_number_of_queries_an_import_makes_does_not_grow_with_the_items(db, tmp_path):
    # Ten items, then a hundred (each with two actors, a link, two ratings, an event's
    # reference): the same queries, whatever the count — creating and re-importing alike.
    small, large = _case_of(tmp_path, "small", 10), _case_of(tmp_path, "large", 100)
    created = _queries_to_import(small), _queries_to_import(large)
    assert created[0] == created[1]
    assert Evidence.objects.filter(key__startswith="large-").count() == 100
    assert HypothesisRating.objects.filter(hypothesis__key__startswith="large-").count() == 200
    unchanged = _queries_to_import(small), _queries_to_import(large)
    assert unchanged[0] == unchanged[1]


@pytest.mark.parametrize("writer", ["postgresql", "bulk_create"])
def test_batched_creation_records_hold_what_was_written(db, tmp_path, monkeypatch, writer):
    if writer == "bulk_create":  # what the SQLite of `make run` uses (questions/casefile/rows.py)
        monkeypatch.setattr(rows, "connection", SimpleNamespace(vendor="sqlite"))
    report = import_casefile(_case_of(tmp_path, "case", 3))
    assert report.counts["ratings"].created == 6
    item = Evidence.objects.get(key="case-item-1")
    record = Evidence.history.get(key="case-item-1")
    assert record.history_type == "+"
    assert record.history_change_reason == "case file case.json"
    assert record.history_user is None
    for name in ("summary", "original_text", "tlp", "source_id", "owner_team_id", "created_at"):
        assert getattr(record, name) == getattr(item, name)
    if writer == "postgresql":  # one instant for everything the import made
        assert record.created_at == item.updated_at == record.history_date
    assert {row.actor.key for row in record.actors.all()} == {"case-actor-1", "case-actor-2"}
    assert item.search_vector is not None  # the trigger filled it
    question = Question.objects.get(key="case-question")
    assert [row.team.slug for row in Question.history.get(id=question.pk).shared_with.all()] == [
        "case-team"
    ]
    assert question.status_changed_at is not None
    link = EvidenceLink.objects.get(question=question, evidence=item)
    assert link.relevance == "It bears."
    assert link.history.get().history_change_reason == "case file case.json"
    rating = HypothesisRating.objects.get(hypothesis__key="case-h1", evidence=item)
    assert rating.history.get().rating == rating.rating == "consistent"
    event = Event.history.get(key="case-event")
    assert {row.evidence.key for row in event.evidence.all()} == {
        "case-item-0",
        "case-item-1",
        "case-item-2",
    }


# ---------------------------------------------------------------------------------------------
# Search vectors worked out on a second connection (questions/casefile/vectors.py)
# ---------------------------------------------------------------------------------------------
def _rows_whose_vector_differs_from_the_triggers(table: str) -> list[str]:
    """Keys of `table`'s rows whose stored vector is not the one its trigger works out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT NEW.key FROM {table} AS NEW "  # noqa: S608 (constants only)
            f"WHERE NEW.search_vector IS DISTINCT FROM ({search_sql.VECTORS[table]})"
        )
        return [key for (key,) in cursor.fetchall()]


def test_an_import_writes_the_vectors_its_second_connection_worked_out_as_the_trigger_would(
    db, tmp_path, monkeypatch
):
    from questions.casefile import importer, vectors

    monkeypatch.setattr(vectors, "BATCH_SIZE", 4)  # several batches from ten items
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)  # inserted in other batches than worked out
    given: dict[str, str | None] = {}
    work_out = vectors.SearchVectors.given

    def spied(self, model, key):
        given[key] = work_out(self, model, key)
        return given[key]

    monkeypatch.setattr(vectors.SearchVectors, "given", spied)
    import_casefile(_case_of(tmp_path, "vec", 10))
    import_casefile(SEED)  # Russian, Arabic, Hebrew and Persian originals

    imported = [
        *Evidence.objects.values_list("key", flat=True),
        *Source.objects.values_list("key", flat=True),
        *Actor.objects.values_list("key", flat=True),
        *Question.objects.values_list("key", flat=True),
    ]
    assert len(imported) > 60
    # Every entry's vector came from the second connection, not from the trigger...
    assert all(given.get(key) for key in imported), [k for k in imported if not given.get(k)]
    # ...and is the trigger's own, in every table (read back as the trigger would write it).
    for table in search_sql.VECTORS:
        assert _rows_whose_vector_differs_from_the_triggers(table) == [], table


def test_without_the_second_connection_the_trigger_works_the_vectors_out(db, tmp_path, monkeypatch):
    from questions.casefile import vectors

    def fails(self, table, records):
        raise OSError("the second connection is down")

    monkeypatch.setattr(vectors.SearchVectors, "_work_out", fails)
    report = import_casefile(_case_of(tmp_path, "down", 5))
    assert report.counts["evidence"].created == 5
    assert not Evidence.objects.filter(search_vector=None).exists()
    for table in search_sql.VECTORS:
        assert _rows_whose_vector_differs_from_the_triggers(table) == [], table


def _insert_actor(key: str, vector: str) -> str:
    rows.insert_rows(
        Actor,
        [{"key": key, "name": "Envoy", "kind": "person", "search_vector": vector}],
        now=dt.datetime.now(dt.UTC),
        search_vector=True,
    )
    return Actor.objects.values_list("search_vector", flat=True).get(key=key)


def test_the_trigger_keeps_a_given_vector_only_on_insert_under_the_setting(transactional_db):
    from questions.casefile.vectors import SearchVectors

    assert _insert_actor("a-1", "'planted':1") == "'envoy':1A"  # not asked: worked out
    with transaction.atomic():
        SearchVectors.give_on_this_transaction()
        assert _insert_actor("a-2", "'planted':1") == "'planted':1"
        Actor.objects.filter(key="a-2").update(name="Courier")  # an update: worked out again
        assert Actor.objects.get(key="a-2").search_vector == "'courier':1A"
    # SET LOCAL: the setting ended with its transaction (a real one here, not a savepoint).
    assert _insert_actor("a-3", "'planted':1") == "'envoy':1A"
