"""`make bench`: measure iqtrack at realistic scale, beside a raw-SQL baseline, in one run.

1. Create the benchmark database if missing, migrate it, and generate the data (bench/generate.py)
   unless the database's comment says it already holds this scale and seed.
2. Start iqtrack under gunicorn (2 sync workers, IQTRACK_ENV=production, DEBUG off, PostgreSQL
   and Redis) and the baseline (bench/baseline.py) under the same gunicorn configuration.
3. For each endpoint: check it answers 200 as the bench user, warm it up, then load it with wrk
   (concurrency 8) and read p50/p95/p99 and throughput; the same for its baseline. A sampler
   records the peak RSS of every web worker meanwhile.
4. One reminder sweep over the open questions plus extra ones (at a tenth and at the full count,
   so a growing query count would show), and the import of a generated case file of evidence.
5. Write RESULTS.md (machine, versions, row counts, every figure, the ratios, the targets, the
   date), keeping earlier runs' sections below the new one.

See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import LANGUAGES, SEARCH_WORDS  # noqa: E402
from bench.generate import BENCH_USER, Sizes, marker  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/iqtrack_benchdata"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
RUN_MARK = "<!-- bench-run -->"
# The bench user's CSRF cookie, as a browser holds it after its first page (32 characters).
CSRF_SECRET = "bench" + "0" * 27
# The two passes over the endpoints: iqtrack as configured by default, which reuses the answer
# to a repeat read while nothing has been written (iqtrack/response_cache.py), and iqtrack with
# that off, making every answer afresh — what the first view after any write costs.
REUSED, FRESH = "reused", "afresh"
PASSES = {
    REUSED: "repeat reads reused (RESPONSE_CACHE_SECONDS=60, the default)",
    FRESH: "every answer made afresh (RESPONSE_CACHE_SECONDS=0)",
}

# The targets of issue 8, on two cores.
TARGET_P95_MS = 100
TARGET_LIST_RATIO = 3.0
TARGET_SWEEP_S = 5.0
TARGET_IMPORT_PER_S = 2000
TARGET_RSS_MB = 250


@dataclass
class Endpoint:
    name: str
    kind: str  # "API" or "page"
    path: str
    baseline: str | None  # path on the baseline server, or None
    is_list: bool = False


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float
    errors: int

    @classmethod
    def from_wrk(cls, data: dict) -> Load:
        seconds = data["duration_us"] / 1e6
        errors = sum(v for k, v in data.items() if k.startswith("errors_"))
        if not data["requests"]:  # nothing finished within the run: slower than its length
            data = {**data, **dict.fromkeys(("p50", "p95", "p99", "max"), math.inf)}
        return cls(
            requests=data["requests"],
            seconds=round(seconds, 2),
            p50_ms=data["p50"] / 1000,
            p95_ms=data["p95"] / 1000,
            p99_ms=data["p99"] / 1000,
            max_ms=data["max"] / 1000,
            rps=data["requests"] / seconds if seconds else 0.0,
            errors=errors,
        )


@dataclass
class Figure:
    endpoint: Endpoint
    app: Load | None = None  # as configured by default: repeat reads reused
    baseline: Load | None = None
    fresh: Load | None = None  # RESPONSE_CACHE_SECONDS=0: every answer made afresh

    def load(self, pass_: str) -> Load | None:
        return self.app if pass_ == REUSED else self.fresh

    def ratio(self, pass_: str, percentile: str) -> float | None:
        load = self.load(pass_)
        if load is None or self.baseline is None:
            return None
        return getattr(load, percentile) / getattr(self.baseline, percentile)


@dataclass
class Results:
    label: str
    started: str
    scale: float
    options: dict
    machine: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    generation: str = ""
    figures: list[Figure] = field(default_factory=list)
    rss: dict = field(default_factory=dict)
    sweep: dict = field(default_factory=dict)
    casefile: dict = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------
def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def database_marker(url: str) -> str | None:
    """The database's comment (what data it holds), or None when there is no such database."""
    import psycopg

    admin, name = _maintenance_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
            "WHERE datname = %s",
            (name,),
        ).fetchone()
    return None if row is None else row[0]


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _maintenance_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _maintenance_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def set_marker(url: str, text: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _maintenance_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(text))
        )


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def prepare_database(args, env: dict) -> str:
    """Migrate, and generate unless the data of this scale and seed is already there."""
    wanted = marker(Sizes.at(args.scale), args.seed)
    found = database_marker(args.database_url)
    if args.regenerate or found != wanted:
        why = "asked to" if args.regenerate else f"found {found!r}"
        log(f"(re)creating the benchmark database ({why}; want {wanted!r})")
        recreate_database(args.database_url)
        manage(env, "migrate", "--verbosity", "0")
        started = time.monotonic()
        subprocess.run(
            [
                PYTHON,
                str(ROOT / "bench" / "generate.py"),
                "--scale",
                str(args.scale),
                "--seed",
                str(args.seed),
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )
        set_marker(args.database_url, wanted)
        settle(args.database_url)
        return f"generated in this run in {time.monotonic() - started:.0f} s"
    log(f"reusing the benchmark data ({wanted}); migrating")
    manage(env, "migrate", "--verbosity", "0")
    settle(args.database_url)
    return "reused (generated by an earlier run)"


def settle(url: str) -> None:
    """VACUUM (ANALYZE): the state autovacuum keeps a live database in, which freshly loaded data
    is not yet in. Rows inserted after a GIN index exists wait in its pending list, which every
    search reads through whole until a vacuum merges it (all 20,000 sources, 3,900 questions:
    10–17 ms a search); the visibility map lets index-only scans skip the table."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    log(f"vacuumed and analysed in {time.monotonic() - started:.0f} s")


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------
def gunicorn(
    app: str, port: int, env: dict, workers: int, *, checkout: Path = ROOT
) -> subprocess.Popen:
    """`app` under gunicorn, from `checkout` with that checkout's virtualenv (this one's
    interpreter for this checkout; bench/compare.py serves another beside it)."""
    binary = BIN / "gunicorn" if checkout == ROOT else checkout / ".venv" / "bin" / "gunicorn"
    command = [
        str(binary),
        app,
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    return subprocess.Popen(command, env=env, cwd=checkout, start_new_session=True)


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our URL)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {seconds} s")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class RssSampler(threading.Thread):
    """Peak resident memory of each worker of a gunicorn master, sampled every 100 ms."""

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.peak: dict[int, int] = {}
        self.first: dict[int, int] = {}
        self.running = True

    def run(self) -> None:
        import psutil

        master = psutil.Process(self.master_pid)
        while self.running:
            try:
                for worker in master.children():
                    rss = worker.memory_info().rss
                    self.first.setdefault(worker.pid, rss)
                    self.peak[worker.pid] = max(self.peak.get(worker.pid, 0), rss)
            except psutil.Error:
                pass
            time.sleep(0.1)

    def stop(self) -> dict:
        self.running = False
        self.join()
        mb = 1024 * 1024
        return {
            "workers_seen": len(self.peak),
            "idle_mb": round(min(self.first.values()) / mb, 1) if self.first else None,
            "peak_mb": round(max(self.peak.values()) / mb, 1) if self.peak else None,
        }


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------
def wrk(url: str, headers: dict, *, seconds: float, connections: int, threads: int) -> Load:
    command = [
        "wrk",
        "--threads",
        str(threads),
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "--script",
        str(ROOT / "bench" / "wrk_report.lua"),
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    return Load.from_wrk(json.loads(line.removeprefix("WRKJSON ")))


def check_answers(url: str, headers: dict) -> int:
    """One request as the bench user: it must be a 200 (not a redirect to sign in)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our URL)
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=120) as answer:
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{url} answered {answer.status}")
        return len(body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def measure(base: str, endpoint_path: str, headers: dict, args) -> Load:
    url = base + endpoint_path
    started = time.perf_counter()
    size = check_answers(url, headers)
    alone = time.perf_counter() - started
    # A slow endpoint gets a longer run (up to --longest, 30 s), so that requests finish in it:
    # with 8 connections on 2 workers a request waits for about 4 others.
    queue = math.ceil(args.connections / args.workers)
    seconds = max(args.duration, min(args.longest, 3 * alone * queue))
    if args.warmup:
        wrk(url, headers, seconds=args.warmup, connections=args.connections, threads=args.threads)
    load = wrk(url, headers, seconds=seconds, connections=args.connections, threads=args.threads)
    log(
        f"  {endpoint_path[:70]:70s} p50 {load.p50_ms:7.1f} p95 {load.p95_ms:7.1f} "
        f"p99 {load.p99_ms:7.1f} ms  {load.rps:7.1f} req/s  ({size:,} bytes, {load.errors} err)"
    )
    if load.errors:
        raise RuntimeError(f"{url}: {load.errors} failed requests under load")
    return load


# ---------------------------------------------------------------------------------------------
# In-process work against the benchmark database (Django configured from the environment)
# ---------------------------------------------------------------------------------------------
def subjects() -> dict:
    """The bench user, its credentials, and the questions the endpoints read."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.db.models import Count

    from evidence.models import Actor
    from questions.models import Question
    from tokens.models import ApiToken
    from tokens.services import issue_token

    user = get_user_model().objects.get(username=BENCH_USER)
    ApiToken.objects.filter(user=user, name="bench").delete()
    _token, secret = issue_token(user, name="bench")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    ach = Question.objects.annotate(
        hypothesis_count=Count("hypotheses", distinct=True),
        link_count=Count("evidence_links", distinct=True),
    ).get(key="q-000000")
    # The detail figure: the bench user's team's question with the longest story.
    detail = (
        Question.objects.filter(team__slug="team-00", status="assessed")
        .annotate(steps=Count("transitions"))
        .order_by("-steps", "id")
        .first()
    )
    with connection.cursor() as cursor:  # repeatable runs: no notices left by earlier sweeps
        cursor.execute("TRUNCATE notifications_notification, notifications_reminder")
    return {
        "user_id": user.pk,
        "token": secret,
        "session": session.session_key,
        "ach_id": ach.pk,
        "ach_size": f"{ach.hypothesis_count} × {ach.link_count}",
        "detail_id": detail.pk,
        # The actor who appears in the most items: the longest actor page.
        "actor_id": Actor.objects.annotate(n=Count("evidence")).order_by("-n", "id").first().pk,
    }


def endpoints(ids: dict) -> list[Endpoint]:
    user = {"user": ids["user_id"]}
    listing = {"status": ["in_analysis", "assigned"], "page_size": 50}
    q = ids["detail_id"]
    ach = ids["ach_id"]
    items = [
        Endpoint(
            "Question list (page of 50, filtered by status)",
            "API",
            "/api/questions/?" + urlencode(listing, doseq=True),
            "/questions?" + urlencode({**listing, **user}, doseq=True),
            is_list=True,
        ),
        Endpoint(
            "Question detail",
            "API",
            f"/api/questions/{q}/",
            f"/questions/{q}?" + urlencode(user),
        ),
        Endpoint(
            "Question detail",
            "page",
            f"/questions/{q}/",
            f"/question-page/{q}?" + urlencode(user),
        ),
        Endpoint("Dashboard", "page", "/", "/dashboard?" + urlencode(user), is_list=True),
        Endpoint("Board", "page", "/questions/", "/board?" + urlencode(user), is_list=True),
    ]
    for language in LANGUAGES:
        word = SEARCH_WORDS[language]
        items.append(
            Endpoint(
                f"Search ({language}: {word})",
                "API",
                "/api/search/?" + urlencode({"q": word}),
                "/search?" + urlencode({"q": word, **user}),
                is_list=True,
            )
        )
    items += [
        Endpoint(
            f"ACH matrix ({ids['ach_size']})",
            "API",
            f"/api/questions/{ach}/ach/",
            f"/ach/{ach}?user={user['user']}",
        ),
        Endpoint(
            f"ACH matrix ({ids['ach_size']})",
            "page",
            f"/questions/{ach}/ach/",
            f"/ach/{ach}?user={user['user']}",
        ),
    ]
    # Every other page and API list a user opens, at their first page, without a baseline
    # (issue 8: p95 under 100 ms for every page and API, not only those with a floor).
    actor = ids["actor_id"]
    items += [Endpoint(name, "page", path, None) for name, path in other_pages(q, actor)]
    items += [Endpoint(name, "API", path, None) for name, path in other_apis(q)]
    return items


def other_pages(q: int, actor: int) -> list[tuple[str, str]]:
    return [
        ("Timeline of everything (first page)", "/timeline/"),
        ("Timeline of a case", f"/questions/{q}/timeline/"),
        ("Evidence list", "/evidence/"),
        ("Actors", "/actors/"),
        ("Actor with the most items", f"/actors/{actor}/"),
        ("Search (en: negotiations)", "/search/?q=negotiations"),
        ("Inbox", "/notifications/"),
        ("New question form", "/questions/new/"),
        ("New evidence form", "/evidence/new/"),
    ]


def other_apis(q: int) -> list[tuple[str, str]]:
    lists = (
        "evidence", "sources", "actors", "events", "hypotheses", "evidence-links",
        "hypothesis-ratings", "assessments", "reviews", "comments", "transitions",
        "notifications", "teams", "users",
    )  # fmt: skip
    return [(f"List of {name}", f"/api/{name}/") for name in lists] + [
        ("Timeline of a case", f"/api/questions/{q}/timeline/"),
    ]


class _Count:
    count = 0


@contextmanager
def counted_queries() -> Iterator[_Count]:
    """The number of queries run inside. Not CaptureQueriesContext, which has Django write out
    each query's SQL with its values: for the sweep's inserts of 40,000 rows that is seconds of
    work that a sweep in production never does, and it was counted in the sweep's time."""
    from django.db import connection

    counted = _Count()

    def count(execute, sql, params, many, context):
        counted.count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counted


def sweep_figures(extra: int) -> dict:
    """One sweep over the open questions plus `extra` more, at a tenth of `extra` and at all of
    it: time and queries each. The extra questions and every notice are removed afterwards."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from notifications import delivery, reminders
    from questions.choices import UNFINISHED

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    team_id = _sweep_team()
    results = {"extra_questions": extra, "runs": []}
    try:
        added = 0
        for target in (max(1, extra // 10), extra):
            _reset_notices()
            _add_open_questions(team_id, target - added, start=added)
            added = target
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE questions_question")
                cursor.execute(
                    "SELECT count(*) FROM questions_question WHERE status = ANY(%s)",
                    [list(UNFINISHED)],
                )
                unfinished = cursor.fetchone()[0]
            now = timezone.now()
            with counted_queries() as queries:
                started = time.perf_counter()
                outcome = reminders.sweep(now)
                took = time.perf_counter() - started
            run = {
                "open_questions": unfinished,
                "seconds": round(took, 3),
                "queries": queries.count,
                "due": outcome.due,
                "delivered": outcome.delivered,
                "emailed": outcome.emailed,
                "email_batch": settings.REMINDER_EMAIL_BATCH,
            }
            # The emails the sweep left for the tasks it chains (notifications.tasks
            # .send_email_backlog), one batch per run, here back to back in this process.
            batches, batch_queries, rest, left = 0, 0, 0, outcome.emails_left
            started = time.perf_counter()
            while left:
                with counted_queries() as queries:
                    sent, still = delivery.send_email_batch(now)
                if still >= left:
                    raise RuntimeError(f"the email backlog does not shrink: {still:,} left")
                left = still
                batches, rest = batches + 1, rest + sent
                batch_queries = max(batch_queries, queries.count)
            run["backlog_seconds"] = round(time.perf_counter() - started, 3)
            run["backlog_batches"] = batches
            run["backlog_batch_queries"] = batch_queries
            run["emailed_in_all"] = outcome.emailed + rest
            with counted_queries() as queries:  # steady state: nothing new due
                started = time.perf_counter()
                again = reminders.sweep(now)
                run["repeat_seconds"] = round(time.perf_counter() - started, 3)
                run["repeat_queries"] = queries.count
                run["repeat_due"] = again.due
            log(f"  sweep over {unfinished:,} unfinished questions: {run}")
            results["runs"].append(run)
    finally:
        _reset_notices()
        _remove_sweep_questions(team_id)
    return results


def _sweep_team() -> int:
    from django.contrib.auth import get_user_model

    from accounts.models import Team

    users = get_user_model().objects
    team, _ = Team.objects.get_or_create(
        slug="bench-sweep",
        defaults={"name": "Bench sweep team", "lead": users.get(username="user001")},
    )
    # Staff it with team 01's analysts and reviewers.
    team.members.add(*Team.objects.get(slug="team-01").members.all())
    return team.pk


def _add_open_questions(team_id: int, count: int, start: int) -> None:
    import random

    from accounts.models import Team
    from bench.generate import given_timestamps
    from questions.choices import Status
    from questions.models import Question

    rng = random.Random(100 + start)
    team = Team.objects.get(pk=team_id)
    staff = Team.objects.get(slug="team-01")
    analysts = list(staff.members.filter(groups__name="analyst").values_list("pk", flat=True))
    reviewers = list(staff.members.filter(groups__name="reviewer").values_list("pk", flat=True))
    now = dt.datetime.now(dt.UTC)
    statuses = (Status.OPEN, Status.ASSIGNED, Status.IN_ANALYSIS, Status.IN_REVIEW)
    rows = []
    for i in range(start, start + count):
        status = rng.choices(statuses, weights=(15, 20, 50, 15))[0]
        staffed = status != Status.OPEN
        analyst = rng.choice(analysts) if staffed else None
        # A live population, as a sweep every five minutes finds it: steps taken within the
        # last day and a half, due dates spread over the coming year (a few already past), so
        # a small share crosses a reminder threshold now.
        changed = now - dt.timedelta(hours=rng.uniform(0.1, 36))
        rows.append(
            Question(
                key=f"sweep-{i:07d}",
                title=f"Open question {i} for the reminder sweep",
                team_id=team_id,
                status=status,
                created_by_id=team.lead_id,
                assignee_id=analyst,
                reviewer_id=rng.choice([r for r in reviewers if r != analyst]) if staffed else None,
                due_at=now + dt.timedelta(days=rng.uniform(-1, 365)),
                status_changed_at=changed,
                created_at=changed - dt.timedelta(days=3),
                updated_at=changed,
            )
        )
    with given_timestamps(Question):
        Question.objects.bulk_create(rows, batch_size=5000)


def _reset_notices() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_notification, notifications_reminder")


def _remove_sweep_questions(team_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM questions_question WHERE team_id = %s", [team_id])
        cursor.execute("DELETE FROM accounts_team_members WHERE team_id = %s", [team_id])
        cursor.execute("DELETE FROM accounts_team WHERE id = %s", [team_id])
        cursor.execute("ANALYZE questions_question")


IMPORT_PREFIX = "bimp-"


def write_casefile(path: Path, items: int) -> dict:
    """A case file in the documented format (docs/casefile.md): one team, its sources and
    actors, `items` evidence items in the five languages, and a question with hypotheses, links
    and ratings over some of them."""
    import random

    from bench.corpus import sentence
    from evidence.choices import Corroboration, Credibility, Reliability, SourceKind, Tlp

    rng = random.Random(11)
    p = IMPORT_PREFIX
    sources = max(5, items // 20)
    actors = max(5, items // 50)
    evidence = []
    for i in range(items):
        language = "en" if rng.random() < 0.4 else rng.choice(LANGUAGES[1:])
        original, english = sentence(rng, language)
        day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 600))
        entry = {
            "key": f"{p}ev-{i:06d}",
            "source": f"{p}src-{rng.randrange(sources):05d}",
            "summary": english,
            "original_text": original,
            "original_language": language,
            "happened_on": day.isoformat(),
            "happened_precision": "day",
            "credibility": rng.choice(Credibility.values),
            "corroboration": rng.choice(Corroboration.values),
            # A case file carries no TLP:RED (docs/casefile.md): it names no recipients.
            "tlp": rng.choice([t for t in Tlp.values if t != Tlp.RED]),
            "owner_team": f"{p}team",
            "actors": [f"{p}actor-{rng.randrange(actors):05d}"],
        }
        if language != "en":
            entry["translation"] = english
        evidence.append(entry)
    linked = [e["key"] for e in evidence[: min(100, items)]]
    document = {
        "iqtrack_casefile": 1,
        "teams": [{"slug": f"{p}team", "name": "Bench import team"}],
        "sources": [
            {
                "key": f"{p}src-{i:05d}",
                "name": f"Imported outlet {i}",
                "kind": rng.choice(SourceKind.values),
                "reliability": rng.choice(Reliability.values),
                "language": rng.choice(LANGUAGES),
            }
            for i in range(sources)
        ],
        "actors": [
            {"key": f"{p}actor-{i:05d}", "name": f"Imported actor {i}", "kind": "person"}
            for i in range(actors)
        ],
        "evidence": evidence,
        "questions": [
            {
                "key": f"{p}question",
                "title": "Imported question with its evidence",
                "team": f"{p}team",
                "status": "open",
                "tlp": "amber",
                "hypotheses": [
                    {
                        "key": f"{p}h{h}",
                        "title": f"Imported hypothesis {h}",
                        "ratings": [
                            {"evidence": key, "rating": rng.choice(["consistent", "inconsistent"])}
                            for key in linked
                        ],
                    }
                    for h in range(3)
                ],
                "evidence_links": [{"evidence": key} for key in linked],
            }
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return {"evidence": items, "sources": sources, "actors": actors, "links": len(linked)}


def _remove_imported() -> None:
    """Delete what an import of the bench case file made (and its history), so each run
    imports the same file into the same database."""
    from django.db import connection
    from simple_history.models import HistoricalRecords

    from evidence.models import Actor, Evidence, Source
    from questions.models import Hypothesis, Question

    like = IMPORT_PREFIX + "%"
    statements = [
        "DELETE FROM questions_hypothesisrating WHERE hypothesis_id IN "
        "(SELECT id FROM questions_hypothesis WHERE key LIKE %(like)s)",
        "DELETE FROM questions_evidencelink WHERE question_id IN "
        "(SELECT id FROM questions_question WHERE key LIKE %(like)s)",
        "DELETE FROM questions_hypothesis WHERE key LIKE %(like)s",
        "DELETE FROM questions_question WHERE key LIKE %(like)s",
        "DELETE FROM evidence_evidence_actors WHERE evidence_id IN "
        "(SELECT id FROM evidence_evidence WHERE key LIKE %(like)s)",
        "DELETE FROM evidence_evidence WHERE key LIKE %(like)s",
        "DELETE FROM evidence_actor WHERE key LIKE %(like)s",
        "DELETE FROM evidence_source WHERE key LIKE %(like)s",
        "DELETE FROM accounts_team WHERE slug LIKE %(like)s",
    ]
    # The creation records of the links and ratings (found by their question or hypothesis),
    # then of each entry with a key: first the relation rows recorded with it (as the importer
    # writes them: questions/casefile/importer.py), then the record. Left behind, they piled up
    # run after run (510,000 orphaned relation records in one bench database).
    statements += [
        "DELETE FROM questions_historicalevidencelink WHERE question_id IN "
        "(SELECT id FROM questions_historicalquestion WHERE key LIKE %(like)s)",
        "DELETE FROM questions_historicalhypothesisrating WHERE hypothesis_id IN "
        "(SELECT id FROM questions_historicalhypothesis WHERE key LIKE %(like)s)",
    ]
    for model in (Evidence, Source, Actor, Question, Hypothesis):
        record = model.history.model._meta.db_table
        for relation in getattr(model.history.model, "_history_m2m_fields", []):
            recorded = HistoricalRecords.m2m_models[relation]._meta.db_table
            statements.append(
                f"DELETE FROM {recorded} WHERE history_id IN "
                f"(SELECT history_id FROM {record} WHERE key LIKE %(like)s)"
            )
        statements.append(f"DELETE FROM {record} WHERE key LIKE %(like)s")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, {"like": like})


IMPORT_RUNS = 3


def _vacuum_imported_tables() -> None:
    """VACUUM (ANALYZE) the tables an import writes (and the sweep's before it emptied): the
    rows an earlier import or sweep left dead are cleared, as autovacuum does on a live
    database, instead of by autovacuum in the middle of the measured import."""
    from django.db import connection

    tables = [
        "questions_question",
        "questions_historicalquestion",
        "evidence_evidence",
        "evidence_historicalevidence",
        "evidence_evidence_actors",
        "evidence_historicalevidence_actors",
        "evidence_source",
        "evidence_historicalsource",
        "evidence_actor",
        "evidence_historicalactor",
        "notifications_notification",
        "notifications_reminder",
    ]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) " + ", ".join(tables))


def import_figures(items: int) -> dict:
    """`manage.py import_casefile` (the command, called in this process so Python's start-up is
    not counted) on a generated file of `items` evidence items, IMPORT_RUNS times into the same
    state (each import removed and the tables vacuumed, as autovacuum would, before the next):
    the median, and each run. One run alone was at the mercy of the minute: 947 items/s in
    one, 1,609–1,719 in the two before it with the same code (bench/README.md)."""
    from django.core.management import call_command

    path = ROOT / "var" / "bench" / f"casefile-{items}.json"
    contents = write_casefile(path, items)
    runs = []
    try:
        for _ in range(IMPORT_RUNS):
            _remove_imported()
            _vacuum_imported_tables()
            started = time.perf_counter()
            with open(os.devnull, "w") as quiet:
                call_command("import_casefile", str(path), "--no-progress", stdout=quiet)
            runs.append(time.perf_counter() - started)
    finally:
        _remove_imported()
    took = statistics.median(runs)
    figures = {
        **contents,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "seconds": round(took, 2),
        "items_per_second": round(items / took, 1),
        "runs_seconds": [round(run, 2) for run in runs],
    }
    log(f"  import: {figures}")
    return figures


def data_sizes() -> dict:
    from django.db import connection

    tables = {
        "teams": "accounts_team",
        "users": "auth_user",
        "questions": "questions_question",
        "key questions": "questions_question WHERE parent_id IS NULL",
        "sub-questions": "questions_question WHERE parent_id IS NOT NULL",
        "sources": "evidence_source",
        "evidence": "evidence_evidence",
        "evidence with a search vector": "evidence_evidence WHERE search_vector IS NOT NULL",
        "actors": "evidence_actor",
        "evidence links": "questions_evidencelink",
        "hypotheses": "questions_hypothesis",
        "ACH ratings": "questions_hypothesisrating",
        "transitions": "questions_transition",
        "assessment versions": "questions_assessment",
        "reviews": "questions_review",
        "comments": "questions_comment",
        "question history records": "questions_historicalquestion",
    }
    sizes = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")
            sizes[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT original_language, count(*) FROM evidence_evidence GROUP BY 1 ORDER BY 2 DESC"
        )
        sizes["evidence by language"] = ", ".join(f"{k} {v:,}" for k, v in cursor.fetchall())
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        sizes["database size"] = cursor.fetchone()[0]
    return sizes


def machine() -> dict:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores (logical)": psutil.cpu_count(),
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "OS": platform.platform(),
    }


def versions(redis_url: str) -> dict:
    import django
    import gunicorn as gunicorn_module
    import psycopg
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    info = redis.Redis.from_url(redis_url).info("server")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_line = (wrk_version.stdout + wrk_version.stderr).strip().splitlines()[0]
    return {
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "psycopg": psycopg.__version__,
        "PostgreSQL": postgres,
        "Redis": info.get("redis_version", "?"),
        "gunicorn": gunicorn_module.__version__,
        "load tool": wrk_line,
    }


# ---------------------------------------------------------------------------------------------
# RESULTS.md
# ---------------------------------------------------------------------------------------------
def _ms(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "none finished"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None and math.isfinite(value) else "–"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(results: Results) -> list[tuple[str, str, str]]:
    rows = []
    for pass_ in PASSES:
        for f in results.figures:
            load = f.load(pass_)
            if load is not None:
                rows.append(
                    (
                        f"p95 < {TARGET_P95_MS} ms: {f.endpoint.name} ({f.endpoint.kind}), {pass_}",
                        f"{_ms(load.p95_ms)} ms",
                        _verdict(load.p95_ms < TARGET_P95_MS),
                    )
                )
    for pass_ in PASSES:
        for f in results.figures:
            ratio = f.ratio(pass_, "p50_ms")
            if f.endpoint.is_list and ratio is not None:
                rows.append(
                    (
                        f"list within {TARGET_LIST_RATIO:g}× of baseline (p50): "
                        f"{f.endpoint.name} ({f.endpoint.kind}), {pass_}",
                        _ratio(ratio),
                        _verdict(ratio <= TARGET_LIST_RATIO),
                    )
                )
    if results.sweep.get("runs"):
        small, full = results.sweep["runs"][0], results.sweep["runs"][-1]
        rows.append(
            (
                f"reminder sweep < {TARGET_SWEEP_S:g} s "
                f"({full['open_questions']:,} unfinished questions)",
                f"{full['seconds']:.2f} s",
                _verdict(full["seconds"] < TARGET_SWEEP_S),
            )
        )
        rows.append(
            (
                f"repeat sweep (all due already recorded) < {TARGET_SWEEP_S:g} s",
                f"{full['repeat_seconds']:.2f} s",
                _verdict(full["repeat_seconds"] < TARGET_SWEEP_S),
            )
        )
        rows.append(
            (
                "sweep query count does not grow with the data",
                f"{small['queries']} → {full['queries']} queries",
                _verdict(full["queries"] <= small["queries"]),
            )
        )
    if results.casefile:
        rate = results.casefile["items_per_second"]
        rows.append(
            (
                f"import > {TARGET_IMPORT_PER_S:,} evidence items/s",
                f"{rate:,.0f}/s",
                _verdict(rate > TARGET_IMPORT_PER_S),
            )
        )
    if results.rss.get("peak_mb") is not None:
        rows.append(
            (
                f"web worker peak RSS < {TARGET_RSS_MB} MB",
                f"{results.rss['peak_mb']} MB",
                _verdict(results.rss["peak_mb"] < TARGET_RSS_MB),
            )
        )
    return rows


def _backlog(run: dict) -> str:
    """The email backlog's cells (runs from before emails went out in batches have none)."""
    if "backlog_batches" not in run:
        return "– | – | –"
    total = run["seconds"] + run["backlog_seconds"]
    return (
        f"{run['backlog_batches']} × {run['email_batch']:,} | {run['backlog_batch_queries']} | "
        f"{total:.2f} ({run['emailed_in_all']:,} emails)"
    )


def _endpoint_table(figures: list[Figure], pass_: str, title: str) -> list[str]:
    lines = [
        f"#### iqtrack {title}",
        "",
        "| endpoint | | p50 | p95 | p99 | req/s | baseline p50 | baseline p95 | baseline p99 "
        "| baseline req/s | app/baseline p50 | app/baseline p95 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        a, b = f.load(pass_), f.baseline
        if a is None:
            continue
        base = (
            [
                _ms(b.p50_ms),
                _ms(b.p95_ms),
                _ms(b.p99_ms),
                f"{b.rps:.1f}",
                _ratio(f.ratio(pass_, "p50_ms")),
                _ratio(f.ratio(pass_, "p95_ms")),
            ]
            if b
            else ["–"] * 6
        )
        cells = [
            f.endpoint.name,
            f.endpoint.kind,
            _ms(a.p50_ms),
            _ms(a.p95_ms),
            _ms(a.p99_ms),
            f"{a.rps:.1f}",
            *base,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(results: Results) -> str:
    o = results.options
    lines = [
        RUN_MARK,
        f"## Run “{results.label}” — {results.started} (scale {results.scale:g})",
        "",
        f"Load: wrk, {o['connections']} connections, {o['threads']} threads, "
        f"{o['duration']} s per endpoint after a {o['warmup']} s warm-up; iqtrack and the "
        f"baseline each under gunicorn with {o['workers']} sync workers, IQTRACK_ENV=production "
        "(DEBUG off), PostgreSQL and Redis on the same machine. Latencies in ms.",
        "",
        "### Machine",
        "",
        *[f"- {k}: {v}" for k, v in results.machine.items()],
        "",
        "### Versions",
        "",
        *[f"- {k}: {v}" for k, v in results.versions.items()],
        "",
        "### Data (row counts read from the database)",
        "",
        f"Data {results.generation}.",
        "",
        "| table | rows |",
        "|---|---:|",
        *[
            f"| {k} | {v:,} |" if isinstance(v, int) else f"| {k} | {v} |"
            for k, v in results.sizes.items()
        ],
        "",
        "### HTTP endpoints (as the bench user: lead of one team, member of three)",
        "",
        "Each endpoint is loaded twice, by two iqtrack servers over the same data: first as "
        "configured by default, where a repeat read is answered from Redis while nothing has "
        "been written (iqtrack/response_cache.py; wrk repeats one request, so after the first "
        "every answer is reused), then with that off, where every answer is made afresh — the "
        "cost of the first view after any write. The baseline is the same in both.",
        "",
    ]
    for pass_, title in PASSES.items():
        lines += _endpoint_table(results.figures, pass_, title)
    lines += [
        "",
        f"Web worker memory: {results.rss.get('workers_seen')} workers seen; RSS "
        f"{results.rss.get('idle_mb')} MB at start, peak {results.rss.get('peak_mb')} MB "
        "during the load.",
        "",
        "### Reminder sweep",
        "",
        "`notifications.reminders.sweep()` in one process, with "
        f"{results.sweep.get('extra_questions', 0):,} extra unfinished questions added to the "
        "data (a tenth first, then all of them): steps taken within the last 36 hours, due "
        "dates over the coming year (a few past), as a sweep every five minutes finds a live "
        "population; emails "
        "go to Django's in-memory backend. The sweep delivers every notice in-app and sends one "
        "batch of emails; the rest go out in batches, one per chained task run "
        "(`send_email_backlog`), run here back to back in the same process: *all emails sent* "
        "is the sweep plus those batches, the time until the last email of the backlog is out. "
        "The repeat is a second sweep at the same instant, "
        "when everything due is already recorded and emailed (the steady state of a sweep every "
        "five minutes).",
        "",
        "| unfinished questions | seconds | queries | due | delivered | emailed | repeat: seconds "
        "| repeat: queries | emails after the sweep: batches × size | queries per batch "
        "| all emails sent: seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r['open_questions']:,} | {r['seconds']:.2f} | {r['queries']} | {r['due']:,} | "
            f"{r['delivered']:,} | {r['emailed']:,} | {r['repeat_seconds']:.2f} | "
            f"{r['repeat_queries']} | {_backlog(r)} |"
            for r in results.sweep.get("runs", [])
        ],
        "",
        "### Case-file import",
        "",
    ]
    c = results.casefile
    if c:
        lines.append(
            f"`manage.py import_casefile` (called in-process) on a generated JSON case file of "
            f"{c['evidence']:,} evidence items, {c['sources']:,} sources, {c['actors']:,} actors "
            f"and a question linking {c['links']} of them with 3 hypotheses ({c['file_mb']} MB): "
            f"{c['seconds']:.2f} s, **{c['items_per_second']:,.0f} evidence items/s** (the "
            f"median of {len(c.get('runs_seconds', [c['seconds']]))} imports: "
            f"{', '.join(f'{s:.2f}' for s in c.get('runs_seconds', [c['seconds']]))} s)."
        )
    lines += ["", "### Targets", "", "| target | figure | |", "|---|---:|---|"]
    lines += [f"| {t} | {v} | {ok} |" for t, v, ok in targets(results)]
    lines.append("")
    return "\n".join(lines)


HEADER = """# iqtrack benchmark results

Written by `bench/run.py` (`make bench`); never edited by hand. The newest run comes first;
earlier runs (for example the “before” of a fix) are kept below it. How the figures are made:
bench/README.md.

"""


def write_results(path: Path, results: Results, keep: int) -> None:
    earlier: list[str] = []
    if path.exists():
        text = path.read_text(encoding="utf-8")
        earlier = [RUN_MARK + s for s in text.split(RUN_MARK)[1:]]
    sections = [render(results), *[s.rstrip() + "\n" for s in earlier[:keep]]]
    path.write_text(HEADER + "\n".join(sections), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
def bench_env(args) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "IQTRACK_ENV": "production",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "iqtrack.settings",
        }
    )
    return env


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark iqtrack (see bench/README.md).")
    parser.add_argument("--scale", type=float, default=1.0, help="data scale (1 = issue 8's)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per endpoint")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up (0: none)")
    parser.add_argument(
        "--longest", type=float, default=30, help="seconds of load for a slow endpoint, at most"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--sweep-questions", type=int, help="extra open questions to sweep (100,000 × scale)"
    )
    parser.add_argument(
        "--import-items", type=int, help="evidence items in the case file (10,000 × scale)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--label", default="run", help="names this run's section")
    parser.add_argument("--keep", type=int, default=4, help="earlier runs' sections to keep")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the data")
    parser.add_argument(
        "--drop-after", action="store_true", help="drop the database when done (smoke test)"
    )
    parser.add_argument("--only", default="", help="regex: measure only matching endpoints")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Stopped from outside: still stop the servers and drop a throwaway database (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install wrk).")
    env = bench_env(args)
    os.environ.update(env)
    sweep_extra = args.sweep_questions
    if sweep_extra is None:
        sweep_extra = max(100, round(100_000 * args.scale))
    import_items = args.import_items
    if import_items is None:
        import_items = max(50, round(10_000 * args.scale))
    results = Results(
        label=args.label,
        started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        scale=args.scale,
        options={
            k: getattr(args, k) for k in ("duration", "warmup", "connections", "threads", "workers")
        },
    )
    app = baseline = None
    baseline_loads: dict[str, Load] = {}
    try:
        results.generation = prepare_database(args, env)
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")

        import django

        django.setup()
        ids = subjects()
        results.machine = machine()
        results.versions = versions(args.redis_url)
        results.sizes = data_sizes()

        app_port, base_port = args.port, args.port + 1
        app_base, base_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{base_port}"
        api = {"Authorization": f"Token {ids['token']}", "Accept": "application/json"}
        # As a browser sends them: the session, and the CSRF cookie the first page set.
        page = {"Cookie": f"sessionid={ids['session']}; csrftoken={CSRF_SECRET}"}
        chosen = [
            e for e in endpoints(ids) if not args.only or re.search(args.only, f"{e.name} {e.kind}")
        ]
        figures = {id(e): Figure(e) for e in chosen}
        baseline = gunicorn("bench.baseline:application", base_port, env, args.workers)
        wait_until_up(f"http://127.0.0.1:{base_port}/healthz", baseline)
        load_before = os.getloadavg()[0]
        rss: list[dict] = []
        for pass_ in PASSES:
            app_env = {k: v for k, v in env.items() if k != "RESPONSE_CACHE_SECONDS"}
            if pass_ == FRESH:
                app_env["RESPONSE_CACHE_SECONDS"] = "0"
            app = gunicorn("iqtrack.wsgi:application", app_port, app_env, args.workers)
            wait_until_up(f"http://127.0.0.1:{app_port}/healthz", app)
            sampler = RssSampler(app.pid)
            sampler.start()
            for endpoint in chosen:
                log(f"{endpoint.name} ({endpoint.kind}), {pass_}")
                headers = api if endpoint.kind == "API" else page
                load = measure(app_base, endpoint.path, headers, args)
                figure = figures[id(endpoint)]
                if pass_ == REUSED:
                    figure.app = load
                else:
                    figure.fresh = load
                if endpoint.baseline and pass_ == REUSED:
                    figure.baseline = baseline_loads.get(endpoint.baseline) or measure(
                        base_base, endpoint.baseline, {}, args
                    )
                    baseline_loads[endpoint.baseline] = figure.baseline
            rss.append(sampler.stop())
            stop(app)
            app = None
        results.figures = list(figures.values())
        results.rss = {
            "workers_seen": sum(r["workers_seen"] for r in rss),
            "idle_mb": min((r["idle_mb"] for r in rss if r["idle_mb"]), default=None),
            "peak_mb": max((r["peak_mb"] for r in rss if r["peak_mb"]), default=None),
        }
        results.machine["load average (1 min) as the HTTP load began / ended"] = (
            f"{load_before:.2f} / {os.getloadavg()[0]:.2f} (includes wrk, gunicorn, PostgreSQL "
            "and whatever else runs on the machine)"
        )
        stop(baseline)
        baseline = None

        log("reminder sweep")
        results.sweep = sweep_figures(sweep_extra)
        log("case-file import")
        results.casefile = import_figures(import_items)

        write_results(args.output, results, args.keep)
        last = ROOT / "var" / "bench" / "last-run.json"
        last.parent.mkdir(parents=True, exist_ok=True)
        last.write_text(json.dumps(asdict(results), indent=1, default=str))
        log(f"wrote {args.output}")
        for target, value, verdict in targets(results):
            if verdict != "met":
                log(f"  target missed: {target}: {value}")
        return 0
    finally:
        stop(app)
        stop(baseline)
        if args.drop_after:
            from django.db import connections

            connections.close_all()
            drop_database(args.database_url)


if __name__ == "__main__":
    sys.exit(main())
