"""PostgreSQL restarted under load: clean 503s while it is away, service back by itself, no
write lost or half-written (docs/operations.md).

A private cluster (initdb in a temporary folder, a free port — never the shared server), iqtrack
migrated onto it and served by gunicorn as in production, threads sending reads and writes while
the cluster is stopped (a clean `fast` shutdown, then an `immediate` one: a crash) and started.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

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

THREADS = 3


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


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def served(postgres, tmp_path) -> Iterator[tuple[WebServer, dict]]:
    """iqtrack migrated onto the private cluster, seeded, and served; with its cast."""
    env = iqtrack_env(database_url=postgres.url("iqtrack"), redis_url=None, var_dir=tmp_path)
    manage(env, "manage.py", "migrate", "--verbosity=0")
    seeding = "import django, json; django.setup(); from tests.fault_load import seed; "
    cast = json.loads(manage(env, "-c", f"{seeding}print(json.dumps(seed({THREADS})))"))
    server = WebServer(env, tmp_path / "gunicorn.log")
    server.start()
    try:
        yield server, cast
    finally:
        server.stop()


def health(server: WebServer) -> tuple[int, dict]:
    response = requests.get(f"{server.base}/healthz", timeout=10)
    return response.status_code, response.json()


def test_a_database_restart_under_load_fails_cleanly_and_heals_itself(postgres, served):
    server, cast = served
    gunicorn = server.process.pid
    assert health(server) == (200, {"status": "ok", "database": "ok"})

    with Load(server.base, cast) as load:
        start = time.perf_counter()
        wait_for(lambda: load.kinds_answered(start, ok=True) == set(KINDS), what="warm-up")

        for mode in ("fast", "immediate"):
            # 1. The database goes away: every kind of request meets the outage.
            postgres.stop(mode)
            down = time.perf_counter()
            wait_for(
                lambda down=down: load.kinds_answered(down, ok=False) == set(KINDS),
                what=f"requests to meet the outage ({mode})",
            )
            assert health(server) == (503, {"status": "unavailable", "database": "unavailable"})

            # 2. It is back: the same server processes serve every kind again, no restart.
            postgres.start()
            up = time.perf_counter()
            wait_for(
                lambda up=up: load.kinds_answered(up, ok=True) == set(KINDS),
                what=f"service to resume after the {mode} stop",
            )

    counts = assert_every_answer_clean(load.answers, outage_allowed=True)
    assert all(counts[(kind, 503)] for kind in KINDS), counts
    assert all(counts[(kind, 201 if kind in ("comment", "evidence") else 200)] for kind in KINDS)
    assert health(server) == (200, {"status": "ok", "database": "ok"})
    assert server.process.pid == gunicorn and server.process.poll() is None
    assert server.workers_booted() == WebServer.WORKERS  # no worker died and was replaced
    assert_nothing_lost_or_half_written(postgres.url("iqtrack"), load.answers)
    assert {a.kind for a in load.answers if a.ok} >= set(WRITES)
