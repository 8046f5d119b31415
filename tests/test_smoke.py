"""Smoke test: the embedded default starts exactly as `make run` starts it, and stops on Ctrl-C.

Runs scripts/run-embedded (migrate, load_demo, then web + worker + beat) in its own process group
with a temporary IQTRACK_VAR_DIR, a free port, and no DATABASE_URL or REDIS_URL.
"""

from __future__ import annotations

import contextlib
import html
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from questions.management.commands.load_demo import DEMO_PASSWORD

# Reads /proc to see the three processes; iqtrack's machines are Linux, so no skip here: a
# smoke test that quietly skipped would hide a broken `make run`.
pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 240  # migrate + load_demo + three processes on a busy two-core machine
STOP_TIMEOUT = 45  # the script's own warm-shutdown budget is 20 s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_members(pgid: int) -> dict[int, str]:
    """Live (non-zombie) processes in the process group, by pid, with their command lines."""
    members = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members[int(entry.name)] = cmdline
    return members


class Embedded:
    """scripts/run-embedded as a child process group, with its output in a log file."""

    def __init__(self, var_dir: Path, port: int) -> None:
        self.var_dir, self.port = var_dir, port
        self.log = var_dir.parent / "run-embedded.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(IQTRACK_VAR_DIR=str(var_dir), IQTRACK_PORT=str(port), IQTRACK_HOST="127.0.0.1")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(REPO / "scripts" / "run-embedded")],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, like a terminal job
            )
        self.pgid = self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def fail(self, why: str) -> None:
        pytest.fail(f"{why}\n--- run-embedded output (tail) ---\n{self.output()[-6000:]}")

    def wait_for(self, what: str, ready, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if self.proc.poll() is not None:
                self.fail(f"run-embedded exited with {self.proc.returncode} before {what}")
            time.sleep(0.5)
        self.fail(f"no {what} within {timeout} s")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answers_healthz(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=3) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def embedded(tmp_path):
    app = Embedded(tmp_path / "var", free_port())
    try:
        yield app
    finally:
        if app.proc.poll() is None or group_members(app.pgid):
            app.kill()


def sign_in(app: Embedded, username: str, password: str, then: str) -> tuple[int, str]:
    """Sign in through the admin login form over HTTP; return the page `then` leads to."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    login = app.url("/admin/login/")
    with opener.open(login, timeout=10) as response:
        page = response.read().decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": then}
    ).encode()
    request = urllib.request.Request(login, data=form, headers={"Referer": login})  # noqa: S310
    with opener.open(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_it_serves_the_demo_case_with_worker_and_beat_and_stops_all_three_on_ctrl_c(embedded):
    # 1. It answers, and the worker and beat are up on the filesystem broker.
    embedded.wait_for("answer on /healthz", embedded.answers_healthz)
    embedded.wait_for("worker ready", lambda: " ready." in embedded.output())
    embedded.wait_for("beat started", lambda: "beat: Starting" in embedded.output())
    processes = group_members(embedded.pgid).values()
    assert any("celery" in cmd and " worker " in cmd for cmd in processes), processes
    assert any("celery" in cmd and " beat " in cmd for cmd in processes), processes
    assert any("runserver" in cmd for cmd in processes), processes

    # 2. The seed case and the demo users are in the embedded SQLite database.
    database = embedded.var_dir / "iqtrack.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        key_questions = db.execute(
            "SELECT title FROM questions_question WHERE parent_id IS NULL"
        ).fetchall()
        (sub_questions,) = db.execute(
            "SELECT count(*) FROM questions_question WHERE parent_id IS NOT NULL"
        ).fetchone()
        users = {name for (name,) in db.execute("SELECT username FROM auth_user")}
    assert key_questions, "no key question loaded"
    assert sub_questions > 10
    assert {"lead", "analyst", "reviewer"} <= users
    assert f"password: {DEMO_PASSWORD}" in embedded.output()

    # 3. The demo lead signs in and sees the key question in the admin.
    status, page = sign_in(embedded, "lead", DEMO_PASSWORD, then="/admin/questions/question/")
    assert status == 200
    assert "Log in" not in page and "Questions" in page
    assert html.escape(key_questions[0][0]) in page

    # 4. Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops all three.
    os.killpg(embedded.pgid, signal.SIGINT)
    try:
        embedded.proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        embedded.fail(f"run-embedded still running {STOP_TIMEOUT} s after SIGINT")
    deadline = time.monotonic() + 10
    while group_members(embedded.pgid) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert group_members(embedded.pgid) == {}, "left running after Ctrl-C"
