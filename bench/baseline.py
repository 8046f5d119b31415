"""The raw-SQL floor the app is compared with: the same rows, fetched by plain psycopg, as JSON.

A tiny WSGI app, served by the same gunicorn configuration as iqtrack (bench/run.py), never part
of iqtrack's URLs. Each endpoint runs the queries a hand-written service would need to answer
what the app's endpoint answers for the same user — the same visibility grants (team member or
lead, analyst, reviewer; evidence linked, owned, recorded or shareable), the same filters,
ordering and page — and serialises the rows with json.dumps. No framework, no ORM, no
templates: what is left is the database's work and the bytes.

    DATABASE_URL=postgres://… gunicorn bench.baseline:application
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs

import psycopg
from psycopg.rows import dict_row

_connection: psycopg.Connection | None = None


def _db() -> psycopg.Connection:
    global _connection  # one connection per worker process, reused like CONN_MAX_AGE
    if _connection is None or _connection.closed:
        # JIT off, as iqtrack's connections (iqtrack/settings.py): the same planner for both.
        _connection = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row, options="-c jit=off"
        )
    return _connection


def _rows(sql: str, params: dict) -> list[dict]:
    with _db().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# What the user may see: the rules of questions/visibility.py (docs/markings.md) written out in
# SQL — grants (team, assignment, TLP:AMBER sharing, TLP:RED naming, TLP:CLEAR/GREEN for all),
# then the restrictions (TLP:RED only its recipients, TLP:AMBER+STRICT only the owning team).
TEAMS = """(SELECT m.team_id FROM accounts_team_members m WHERE m.user_id = %(user)s
            UNION SELECT t.id FROM accounts_team t WHERE t.lead_id = %(user)s)"""
NAMED_Q = "(SELECT question_id FROM questions_question_recipients WHERE user_id = %(user)s)"
NAMED_E = "(SELECT evidence_id FROM evidence_evidence_recipients WHERE user_id = %(user)s)"
SHARED_Q = f"(SELECT question_id FROM questions_question_shared_with WHERE team_id IN {TEAMS})"


def need_to_know_q(q: str) -> str:
    """Question row `q` visible by a grant other than the public one, after restrictions."""
    return f"""(({q}.team_id IN {TEAMS} OR {q}.assignee_id = %(user)s OR {q}.reviewer_id = %(user)s
        OR ({q}.tlp = 'amber' AND {q}.id IN {SHARED_Q})
        OR ({q}.tlp = 'red' AND {q}.id IN {NAMED_Q}))
        AND NOT ({q}.tlp = 'red' AND {q}.id NOT IN {NAMED_Q})
        AND NOT ({q}.tlp = 'amber+strict' AND {q}.team_id NOT IN {TEAMS}))"""


def visible_q(q: str) -> str:
    return f"({q}.tlp IN ('clear', 'green') OR {need_to_know_q(q)})"


VISIBLE_Q = visible_q("q")
_LINKED = f"""SELECT l.evidence_id FROM questions_evidencelink l
    JOIN questions_question lq ON lq.id = l.question_id WHERE {need_to_know_q("lq")}"""
_EVIDENCE_RESTRICTIONS = f"""NOT (e.tlp = 'red' AND e.id NOT IN {NAMED_E})
    AND NOT (e.tlp = 'amber+strict' AND NOT COALESCE(e.owner_team_id IN {TEAMS}, false))"""
VISIBLE_E = f"""((e.tlp IN ('clear', 'green') OR e.owner_team_id IN {TEAMS}
    OR e.created_by_id = %(user)s OR e.id IN ({_LINKED})
    OR (e.tlp = 'red' AND e.id IN {NAMED_E})) AND {_EVIDENCE_RESTRICTIONS})"""

# The same grants for a question's few items: "linked to a visible question" probed per item
# (EXISTS), which beats building the whole linked set when only a question's items are read.
VISIBLE_E_FEW = f"""((e.tlp IN ('clear', 'green') OR e.owner_team_id IN {TEAMS}
    OR e.created_by_id = %(user)s OR EXISTS ({_LINKED} AND l.evidence_id = e.id)
    OR (e.tlp = 'red' AND e.id IN {NAMED_E})) AND {_EVIDENCE_RESTRICTIONS})"""

# A key question out of the user's sight is not named (the app shows `parent` as null).
_VISIBLE_P = f"COALESCE({visible_q('p')}, false)"
QUESTION_COLUMNS = f"""q.id, q.key, q.title, q.body, q.parent_id, q.team_id, q.priority, q.status,
    q.tlp, q.due_at, q.status_changed_at, q.created_at, q.updated_at,
    p.key AS p_key, p.title AS p_title, p.status AS p_status, {_VISIBLE_P} AS p_visible,
    t.name AS t_name, t.slug AS t_slug,
    c.id AS c_id, c.username AS c_username, c.first_name AS c_first, c.last_name AS c_last,
    a.id AS a_id, a.username AS a_username, a.first_name AS a_first, a.last_name AS a_last,
    r.id AS r_id, r.username AS r_username, r.first_name AS r_first, r.last_name AS r_last"""
QUESTION_JOINS = """questions_question q
    JOIN accounts_team t ON t.id = q.team_id
    LEFT JOIN questions_question p ON p.id = q.parent_id
    LEFT JOIN auth_user c ON c.id = q.created_by_id
    LEFT JOIN auth_user a ON a.id = q.assignee_id
    LEFT JOIN auth_user r ON r.id = q.reviewer_id"""
ORDER = "q.priority DESC, q.due_at ASC, q.id ASC"


def _person(row: dict, p: str) -> dict | None:
    if row[f"{p}_id"] is None:
        return None
    name = f"{row[f'{p}_first']} {row[f'{p}_last']}".strip()
    return {"id": row[f"{p}_id"], "username": row[f"{p}_username"], "display_name": name}


def _question(row: dict) -> dict:
    parent = None
    if row["parent_id"] is not None and row["p_visible"]:
        parent = {
            "id": row["parent_id"],
            "key": row["p_key"],
            "title": row["p_title"],
            "status": row["p_status"],
        }
    return {
        "id": row["id"],
        "key": row["key"],
        "title": row["title"],
        "body": row["body"],
        "parent": parent,
        "parent_id": row["parent_id"],
        "team": {"id": row["team_id"], "name": row["t_name"], "slug": row["t_slug"]},
        "team_id": row["team_id"],
        "priority": row["priority"],
        "status": row["status"],
        "tlp": row["tlp"],
        "created_by": _person(row, "c"),
        "assignee": _person(row, "a"),
        "reviewer": _person(row, "r"),
        "due_at": row["due_at"],
        "status_changed_at": row["status_changed_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def question_list(params: dict) -> dict:
    """GET /api/questions/?status=…&page_size=50: a count and one page, ordered as the app."""
    statuses = params.get("status") or ["draft", "open", "assigned", "in_analysis", "in_review"]
    page = int((params.get("page") or ["1"])[0])
    size = int((params.get("page_size") or ["50"])[0])
    args = {
        "user": int(params["user"][0]),
        "statuses": statuses,
        "limit": size,
        "offset": (page - 1) * size,
    }
    where = f"{VISIBLE_Q} AND q.status = ANY(%(statuses)s)"
    count = _rows(f"SELECT count(*) AS n FROM questions_question q WHERE {where}", args)[0]["n"]
    rows = _rows(
        f"SELECT {QUESTION_COLUMNS} FROM {QUESTION_JOINS} WHERE {where} "
        f"ORDER BY {ORDER} LIMIT %(limit)s OFFSET %(offset)s",
        args,
    )
    return {"count": count, "results": [_question(r) for r in rows]}


def question_detail(params: dict, pk: int) -> dict:
    """GET /api/questions/{id}/: one visible question."""
    args = {"user": int(params["user"][0]), "pk": pk}
    rows = _rows(
        f"SELECT {QUESTION_COLUMNS} FROM {QUESTION_JOINS} WHERE q.id = %(pk)s AND {VISIBLE_Q}",
        args,
    )
    return _question(rows[0])


def question_page(params: dict, pk: int) -> dict:
    """What the question page shows: the question, its sub-questions, linked evidence you may
    see with sources and ratings, hypotheses, versions, comments and transitions."""
    args = {"user": int(params["user"][0]), "pk": pk}
    answer = question_detail(params, pk)
    answer["sub_questions"] = [
        _question(r)
        for r in _rows(
            f"SELECT {QUESTION_COLUMNS} FROM {QUESTION_JOINS} "
            f"WHERE q.parent_id = %(pk)s AND {VISIBLE_Q} ORDER BY {ORDER}",
            args,
        )
    ]
    answer["hypotheses"] = _rows(
        "SELECT id, key, title, description, position FROM questions_hypothesis "
        "WHERE question_id = %(pk)s ORDER BY position, id",
        args,
    )
    answer["evidence"] = _rows(
        "SELECT e.id, e.key, e.summary, e.original_text, e.original_language, e.translation, "
        "e.happened_on, e.happened_precision, e.happened_text, e.credibility, e.corroboration, "
        "e.tlp, s.id AS source_id, s.name AS source_name, s.reliability, l.relevance "
        "FROM questions_evidencelink l JOIN evidence_evidence e ON e.id = l.evidence_id "
        "JOIN evidence_source s ON s.id = e.source_id "
        f"WHERE l.question_id = %(pk)s AND {VISIBLE_E_FEW} ORDER BY e.happened_on, l.id",
        args,
    )
    answer["ratings"] = _rows(
        "SELECT r.evidence_id, r.hypothesis_id, r.rating FROM questions_hypothesisrating r "
        "JOIN questions_hypothesis h ON h.id = r.hypothesis_id WHERE h.question_id = %(pk)s",
        args,
    )
    # A version is visible only to someone who may see every item it cites, and its workflow
    # steps go with it (questions.visibility.visible_assessments / visible_transitions).
    visible_version = f"""NOT EXISTS (SELECT 1 FROM questions_assessment_cited_evidence c
        JOIN evidence_evidence e ON e.id = c.evidence_id
        WHERE c.assessment_id = a.id AND NOT {VISIBLE_E_FEW})
        AND NOT (a.tlp = 'amber+strict' AND %(team)s NOT IN {TEAMS})"""
    args["team"] = answer["team_id"]
    answer["versions"] = _rows(
        "SELECT id, version, state, author_id, key_judgments, likelihood, likelihood_wording, "
        "confidence, change_note, submitted_at, approved_at FROM questions_assessment a "
        f"WHERE question_id = %(pk)s AND {visible_version} ORDER BY version",
        args,
    )
    answer["comments"] = _rows(
        "SELECT c.id, c.body, c.created_at, u.username FROM questions_comment c "
        "JOIN auth_user u ON u.id = c.author_id WHERE c.question_id = %(pk)s "
        "ORDER BY c.created_at, c.id",
        args,
    )
    args["versions"] = [v["id"] for v in answer["versions"]]
    answer["transitions"] = _rows(
        "SELECT t.id, t.action, t.from_status, t.to_status, t.comment, t.created_at, u.username "
        "FROM questions_transition t JOIN auth_user u ON u.id = t.actor_id "
        "WHERE t.question_id = %(pk)s AND (t.assessment_id IS NULL OR t.assessment_id = ANY("
        "%(versions)s)) ORDER BY t.created_at, t.id",
        args,
    )
    return answer


# Cards a board column shows and rows a dashboard list shows (questions.views).
COLUMN_LIMIT = 25
LIST_LIMIT = 20


def _columns(where: str, args: dict) -> dict:
    """Per status: the first COLUMN_LIMIT questions in the board's order, and how many."""
    rows = _rows(
        f"""SELECT * FROM (SELECT {QUESTION_COLUMNS},
            row_number() OVER (PARTITION BY q.status ORDER BY {ORDER}) AS place,
            count(*) OVER (PARTITION BY q.status) AS total
            FROM {QUESTION_JOINS} WHERE {where}) shown
            WHERE place <= {COLUMN_LIMIT} ORDER BY status, place""",
        args,
    )
    columns: dict[str, dict] = {}
    for row in rows:
        column = columns.setdefault(row["status"], {"total": row["total"], "questions": []})
        column["questions"].append(_question(row))
    return columns


def board(params: dict) -> dict:
    """The board: the questions the user may see, a column per status, with team, people and
    parent."""
    return {"columns": _columns(VISIBLE_Q, {"user": int(params["user"][0])})}


def dashboard(params: dict) -> dict:
    """The dashboard's lists: my assignments, my review queue, my teams' questions, the overdue
    questions of teams I lead, and my five latest unread notices."""
    args = {"user": int(params["user"][0]), "now": datetime.now(UTC)}
    unfinished = "('open', 'assigned', 'in_analysis', 'in_review')"

    def questions(where: str, order: str = ORDER) -> dict:
        """The first LIST_LIMIT rows and how many there are, as the dashboard shows them."""
        sql = f"FROM {QUESTION_JOINS} WHERE {VISIBLE_Q} AND {where}"
        count = _rows(f"SELECT count(*) AS n {sql}", args)[0]["n"]
        rows = _rows(f"SELECT {QUESTION_COLUMNS} {sql} ORDER BY {order} LIMIT {LIST_LIMIT}", args)
        return {"count": count, "questions": [_question(r) for r in rows]}

    return {
        "assignments": questions(
            "q.assignee_id = %(user)s AND q.status NOT IN ('assessed', 'closed')",
            "q.due_at, q.id",
        ),
        "review_queue": questions("q.reviewer_id = %(user)s AND q.status = 'in_review'"),
        "team_columns": _columns(f"{VISIBLE_Q} AND q.team_id IN {TEAMS}", args),
        "led_overdue": questions(
            "t.lead_id = %(user)s AND q.due_at < %(now)s AND q.status IN " + unfinished
        ),
        "notifications": _rows(
            "SELECT id, kind, created_at FROM notifications_notification "
            "WHERE recipient_id = %(user)s AND read_at IS NULL ORDER BY created_at DESC LIMIT 5",
            args,
        ),
    }


def ach(params: dict, pk: int) -> dict:
    """A question's ACH matrix: hypotheses, linked evidence you may see, and the ratings."""
    args = {"user": int(params["user"][0]), "pk": pk}
    return {
        "hypotheses": _rows(
            "SELECT id, title, position FROM questions_hypothesis WHERE question_id = %(pk)s "
            "ORDER BY position, id",
            args,
        ),
        "evidence": _rows(
            "SELECT e.id, e.summary, e.credibility, e.corroboration, e.happened_on, "
            "e.happened_precision, e.derived_from_id, s.id AS source_id, s.key AS source_key, "
            "s.name AS source_name, s.reliability FROM questions_evidencelink l "
            "JOIN evidence_evidence e ON e.id = l.evidence_id "
            "JOIN evidence_source s ON s.id = e.source_id "
            f"WHERE l.question_id = %(pk)s AND {VISIBLE_E_FEW} ORDER BY e.happened_on, e.id",
            args,
        ),
        "ratings": _rows(
            "SELECT r.evidence_id, r.hypothesis_id, r.rating FROM questions_hypothesisrating r "
            "JOIN questions_hypothesis h ON h.id = r.hypothesis_id "
            "WHERE h.question_id = %(pk)s ORDER BY r.evidence_id, r.hypothesis_id",
            args,
        ),
    }


# The search, as questions/search.py does it: the words parsed with each configuration and ORed
# (each distinct part once); per kind the 200 newest matches the user may see, ranked; the best 20
# of those; a highlighted snippet for these 20 only.
_CONFIGS = ("arabic", "english", "french", "german", "russian", "turkish", "simple")
_PARSE = "SELECT " + ", ".join(f"websearch_to_tsquery('{c}', %(q)s)::text AS {c}" for c in _CONFIGS)
_CANDIDATES = 200  # questions.search.CANDIDATES
# The grants checked item by item as the newest rows are walked back: the linked-question grant
# as a scalar subquery, which PostgreSQL cannot turn into a build of the whole linked set (as it
# may an EXISTS under OR) — questions.visibility.visible_evidence_of does the same.
VISIBLE_E_PROBE = f"""(e.tlp IN ('clear', 'green') OR e.owner_team_id IN {TEAMS}
    OR e.created_by_id = %(user)s OR (SELECT l2.id FROM questions_evidencelink l2
    JOIN questions_question q ON q.id = l2.question_id
    WHERE l2.evidence_id = e.id AND {VISIBLE_Q} LIMIT 1) IS NOT NULL)"""
_HEADLINE = "'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2'"


def _ranked(table: str, alias: str, visible: str) -> str:
    """The best 20 of the newest matches `visible` lets through, with their rank."""
    return f"""(SELECT id, rank FROM (SELECT {alias}.id,
        ts_rank({alias}.search_vector, %(tsq)s::tsquery) AS rank FROM {table} {alias}
        WHERE {alias}.search_vector @@ %(tsq)s::tsquery AND {visible}
        ORDER BY {alias}.id DESC LIMIT {_CANDIDATES}) candidates
        ORDER BY rank DESC, id LIMIT 20) top"""


SEARCHES = {
    "question": f"""SELECT q.id, q.title, ts_headline('english', coalesce(q.body, ''),
        %(tsq)s::tsquery, {_HEADLINE}) AS snippet, top.rank
        FROM {_ranked("questions_question", "q", VISIBLE_Q)}
        JOIN questions_question q ON q.id = top.id ORDER BY top.rank DESC, top.id""",
    "evidence": f"""SELECT e.id, e.summary AS title,
        ts_headline(iqtrack_ts_config(e.original_language), e.original_text, %(tsq)s::tsquery,
        {_HEADLINE}) AS snippet, top.rank
        FROM {_ranked("evidence_evidence", "e", VISIBLE_E_PROBE)}
        JOIN evidence_evidence e ON e.id = top.id ORDER BY top.rank DESC, top.id""",
    "source": f"""SELECT s.id, s.name AS title, ts_headline('english', s.name, %(tsq)s::tsquery,
        {_HEADLINE}) AS snippet, top.rank FROM {_ranked("evidence_source", "s", "true")}
        JOIN evidence_source s ON s.id = top.id ORDER BY top.rank DESC, top.id""",
    "actor": f"""SELECT a.id, a.name AS title, ts_headline('english', a.name, %(tsq)s::tsquery,
        {_HEADLINE}) AS snippet, top.rank FROM {_ranked("evidence_actor", "a", "true")}
        JOIN evidence_actor a ON a.id = top.id ORDER BY top.rank DESC, top.id""",
}


def search(params: dict) -> dict:
    args = {"user": int(params["user"][0]), "q": params["q"][0]}
    hits = []
    parts = [part for part in _rows(_PARSE, args)[0].values() if part]
    distinct = list(dict.fromkeys(parts))
    if len(parts) > 1 and len(distinct) == 1:
        distinct *= 2  # keep the OR on top, which ts_rank tells apart from an AND
    args["tsq"] = " | ".join(f"( {part} )" for part in distinct)
    if distinct:
        for kind, sql in SEARCHES.items():
            hits += [{"kind": kind, **row} for row in _rows(sql, args)]
    hits.sort(key=lambda h: -h["rank"])
    return {"query": args["q"], "results": hits[:20]}


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    params = parse_qs(environ.get("QUERY_STRING", ""))
    parts = [p for p in path.split("/") if p]
    try:
        if parts == ["questions"]:
            body = question_list(params)
        elif len(parts) == 2 and parts[0] == "questions":
            body = question_detail(params, int(parts[1]))
        elif len(parts) == 2 and parts[0] == "question-page":
            body = question_page(params, int(parts[1]))
        elif len(parts) == 2 and parts[0] == "ach":
            body = ach(params, int(parts[1]))
        elif parts == ["board"]:
            body = board(params)
        elif parts == ["dashboard"]:
            body = dashboard(params)
        elif parts == ["search"]:
            body = search(params)
        elif parts == ["healthz"]:
            body = {"status": "ok"}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"detail": "not found"}']
    except (KeyError, ValueError, IndexError) as error:
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [json.dumps({"detail": str(error)}).encode()]
    data = json.dumps(body, default=_default).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
