"""PostgreSQL restarted under load: clean 503s while it is away, service back by itself, no
write lost or half-written (docs/operations.md).

A private cluster (initdb in a temporary folder, a free port — never the shared server), iqtrack
migrated onto it and served by two gunicorns — debug off as in production, where Django's 500
handler is the last line, and debug on, where the middleware and the API's handler must answer
alone — with threads sending reads and writes to both while the cluster is stopped (a clean
`fast` shutdown, then an `immediate` one: a crash) and started.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from django.conf import settings

from tests.fault_load import (
    KINDS,
    WRITES,
    Load,
    assert_every_answer_clean,
    assert_nothing_lost_or_half_written,
)
from tests.private_servers import PrivatePostgres, WebServer, iqtrack_env, wait_for

pytestmark = [pytest.mark.slow]

THREADS = 2  # per server


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.init()
        cluster.start()
        cluster.create_database("iqtrack")
        yield cluster
    finally:
        cluster.remove()


# One interpreter for both: Django starts once.
MIGRATE_AND_SEED = """
import json, django
django.setup()
from django.core.management import call_command
from tests.fault_load import seed
call_command("migrate", verbosity=0)
print(json.dumps(seed({questions})))
"""


def run_python(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def served(postgres, tmp_path) -> Iterator[list[tuple[WebServer, dict]]]:
    """iqtrack migrated onto the private cluster, seeded, and served twice (debug off, debug
    on); each server with its own questions."""
    env = iqtrack_env(database_url=postgres.url("iqtrack"), redis_url=None, var_dir=tmp_path)
    servers = [
        WebServer({**env, "DEBUG": debug}, tmp_path / f"gunicorn-debug-{debug}.log")
        for debug in ("0", "1")
    ]
    try:
        for server in servers:
            server.start(wait=False)  # they boot while the database is migrated
        cast = json.loads(run_python(env, MIGRATE_AND_SEED.format(questions=2 * THREADS)))
        casts = [
            {**cast, "questions": cast["questions"][:THREADS]},
            {**cast, "questions": cast["questions"][THREADS:]},
        ]
        for server in servers:
            server.wait_until_up()
        yield list(zip(servers, casts, strict=True))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.stop()


def health(server: WebServer) -> tuple[int, dict]:
    response = requests.get(f"{server.base}/healthz", timeout=10)
    return response.status_code, response.json()


def test_a_database_restart_under_load_fails_cleanly_and_heals_itself(postgres, served):
    pids = [server.process.pid for server, _ in served]
    for server, _ in served:
        assert health(server) == (200, {"status": "ok", "database": "ok"})

    (production, production_cast), (debugging, debugging_cast) = served
    with Load(production.base, production_cast) as one, Load(debugging.base, debugging_cast) as two:
        loads = (one, two)

        def every_kind(since: float, *, ok: bool) -> bool:
            return all(load.kinds_answered(since, ok=ok) == set(KINDS) for load in loads)

        def answers(since: float, stage: str) -> Callable[[], str]:
            return lambda: f"{stage}: " + " / ".join(load.summary(since) for load in loads)

        start = time.perf_counter()
        wait_for(lambda: every_kind(start, ok=True), what=answers(start, "warm-up"))
        for mode in ("fast", "immediate"):
            # 1. The database goes away: every kind of request meets the outage, on both.
            postgres.stop(mode)
            down = time.perf_counter()
            wait_for(lambda down=down: every_kind(down, ok=False), what=answers(down, mode))
            for server, _ in served:
                assert health(server) == (
                    503,
                    {"status": "unavailable", "database": "unavailable"},
                )

            # 2. It is back: the same server processes serve every kind again, no restart.
            postgres.start()
            up = time.perf_counter()
            wait_for(lambda up=up: every_kind(up, ok=True), what=answers(up, f"after {mode}"))

    for (server, _), pid, load in zip(served, pids, loads, strict=True):
        try:
            counts = assert_every_answer_clean(load.answers, outage_allowed=True)
        except AssertionError as unclean:
            # A 500's traceback is in the server's log, which goes with the test's folder.
            log = server.log.read_text()[-6000:]
            raise AssertionError(f"{unclean}\n{server.log}:\n{log}") from unclean
        assert all(counts[(kind, 503)] for kind in KINDS), counts
        assert all(counts[(kind, 201 if kind in WRITES[:2] else 200)] for kind in KINDS), counts
        assert health(server) == (200, {"status": "ok", "database": "ok"})
        assert server.process.pid == pid and server.process.poll() is None
        assert server.workers_booted() == WebServer.WORKERS  # no worker died and was replaced
    assert_nothing_lost_or_half_written(postgres.url("iqtrack"), one.answers + two.answers)
