"""The benchmark runner keeps working: `bench/run.py` at a tiny scale, a second of load per
endpoint, against a throwaway database beside the test database and the test Redis.

It checks that the run produces a results file with every figure (the numbers themselves are
the benchmark's business, not the suite's: no wall-clock assertions here). The benchmark's own
database (iqtrack_benchdata) is never touched: the runner is given another name and drops it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench import run as runner

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "ru", "ar", "fa", "he")


def _free_port_pair() -> int:
    """A port p with p and p + 1 free: the runner serves iqtrack on p and the baseline on p + 1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two adjacent free ports")


def _smoke_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{parts.path.lstrip('/')}_benchsmoke_{worker}"
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.mark.slow
def test_the_runner_writes_every_figure(tmp_path):
    assert shutil.which("wrk"), "wrk is missing: `make wrk` installs it (apt-get install wrk)"
    results = tmp_path / "RESULTS.md"
    database_url = _smoke_database_url()
    assert not database_url.endswith("/iqtrack_benchdata")
    command = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        "--scale", "0.002",
        "--duration", "1",
        "--warmup", "0",
        "--longest", "1",
        "--sweep-questions", "60",
        "--import-items", "40",
        "--database-url", database_url,
        "--redis-url", os.environ["REDIS_URL"],
        "--port", str(_free_port_pair()),
        "--output", str(results),
        "--label", "smoke",
        "--regenerate",
        "--drop-after",
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]

    text = results.read_text(encoding="utf-8")
    assert "## Run “smoke”" in text
    for section in ("### Machine", "### Versions", "### Data", "### Targets"):
        assert section in text
    for version in ("Python", "Django", "PostgreSQL", "Redis", "gunicorn", "load tool: wrk"):
        assert f"- {version}" in text
    assert re.search(r"\| evidence \| [\d,]+ \|", text)

    number = r"\d[\d,]*\.\d+"
    rows = [
        r"Question list \(page of 50, filtered by status\) \| API",
        r"Question detail \| API",
        r"Question detail \| page",
        r"Dashboard \| page",
        r"Board \| page",
        *[rf"Search \({language}: [^)]+\) \| API" for language in LANGUAGES],
        r"ACH matrix \(\d+ × \d+\) \| API",
        r"ACH matrix \(\d+ × \d+\) \| page",
    ]
    # One table with repeat reads reused (the default), one with every answer made afresh.
    tables = text.split("#### iqtrack ")[1:]
    assert [t.split("\n")[0] for t in tables] == [
        "repeat reads reused (RESPONSE_CACHE_SECONDS=60, the default)",
        "every answer made afresh (RESPONSE_CACHE_SECONDS=0)",
    ]
    for table in tables:
        table = table.split("\n\n", 2)[1]
        for row in rows:
            # app p50, p95, p99, req/s, then the baseline's four and the two ratios
            cells = rf"\| {row} \| {number} \| {number} \| {number} \| {number} \| "
            cells += rf"{number} \| {number} \| {number} \| {number} \| {number}× \| {number}× \|"
            assert re.search(cells, table), f"no figures for {row}"

    # Every other page and API list: the app's figures, no baseline.
    others = [rf"{re.escape(name)} \| page" for name, _ in runner.other_pages(1, 1)]
    others += [rf"{re.escape(name)} \| API" for name, _ in runner.other_apis(1)]
    for table in tables:
        table = table.split("\n\n", 2)[1]
        for row in others:
            cells = rf"\| {row} \| {number} \| {number} \| {number} \| {number} \| (– \|\s?){{6}}$"
            assert re.search(cells, table, flags=re.M), f"no figures for {row}"

    assert re.search(rf"peak {number} MB during the load", text)
    sweeps = re.findall(r"^\| [\d,]+ \| \d+\.\d\d \| \d+ \| [\d,]+ \|", text, flags=re.M)
    assert len(sweeps) == 2, "a sweep at a tenth and at all of the extra questions"
    assert re.search(r"\*\*\d[\d,]* evidence items/s\*\*", text)
    assert text.count("| met |") + text.count("| **missed** |") >= 2 * len(rows + others) + 3
