"""Servers of a test's own, to stop and start at will: Redis, PostgreSQL, iqtrack's web server
and a Celery worker — never the shared ones.

Every process started here is a child of the test process that dies with it (Linux's
PR_SET_PDEATHSIG), except PostgreSQL, which pg_ctl daemonizes: its fixture stops it.
"""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from celery import Celery
from celery.beat import Scheduler
from django.conf import settings as django_settings
from django.db import connection

WAIT = 30  # seconds: generous for a loaded machine; every wait ends as soon as it can


def wait_for(
    condition: Callable[[], object], timeout: float = WAIT, what: str | Callable[[], str] = ""
) -> None:
    """Poll `condition` until it holds; `what` (or what it returns) names it if it never does."""
    deadline = time.perf_counter() + timeout  # time-machine leaves this clock alone
    while not condition():
        if time.perf_counter() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out waiting for {described or condition}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_prctl = ctypes.CDLL(None).prctl  # resolved here: the child may only make the call


def die_with_parent() -> None:
    """In the child, before exec: be killed if this test process dies (Linux), so a crashed run
    leaves no server or worker behind."""
    _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
class PrivateRedis:
    """A redis-server of our own: no persistence, a temporary directory, a free port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        wait_for(self.answers, what="the private redis-server to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=WAIT)
            self.process = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.ConnectionError:
            return False


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
def postgres_bin() -> Path:
    """The newest installed server's binaries (Debian keeps them off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    pytest.fail("initdb is not installed: the database-restart tests make a private cluster")


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0


class PrivatePostgres:
    """A cluster of our own, made with initdb in a temporary folder, on a free port.

    PostgreSQL refuses to run as root, so under root every command runs as the `postgres` OS
    user, in a folder it owns; under any other user, as that user.
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        # Not pytest's tmp_path: its parents are private to us, and postgres must get in.
        self.directory = Path(tempfile.mkdtemp(prefix="iqtrack-pg-"))
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise AssertionError(f"{program} failed: {result.stdout}{result.stderr}\n{log}")

    def init(self) -> None:
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", "postgres", "--auth=trust"),
            *("--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off"  # speed; the machine itself does not crash
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session and shuts down cleanly; `immediate` is a crash (recovery
        runs at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

    def remove(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# iqtrack's web server and a Celery worker, as the deployment runs them
# ---------------------------------------------------------------------------------------------
def iqtrack_env(*, database_url: str, redis_url: str | None, var_dir: Path) -> dict[str, str]:
    """The environment of a real iqtrack process: these servers, debug off, mail to the console
    (that is, the process's log)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMAIL_HOST")}
    env.update(
        DJANGO_SETTINGS_MODULE="iqtrack.settings",
        DATABASE_URL=database_url,
        IQTRACK_VAR_DIR=str(var_dir),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class WebServer:
    """gunicorn serving iqtrack.wsgi, as docker-compose runs it, with threads so requests
    overlap: two workers of four threads each."""

    WORKERS = 2

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> None:
        """Start gunicorn; unless `wait` is false, wait until it answers (`wait_until_up`)."""
        command = [sys.executable, "-m", "gunicorn", "iqtrack.wsgi"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.WORKERS)]
        command += [
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--timeout",
            "60",
            "--graceful-timeout",
            "3",
        ]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=django_settings.BASE_DIR,
                stdout=output,
                stderr=output,
                preexec_fn=die_with_parent,
            )
        if wait:
            self.wait_until_up()

    def wait_until_up(self) -> None:
        wait_for(self.answers, timeout=60, what=f"gunicorn to answer (log: {self.log})")

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def workers_booted(self) -> int:
        """How many workers gunicorn has started: more than WORKERS means one was replaced."""
        return self.log.read_text().count("Booting worker")

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM); `terminate` then `stop` stops several at once."""
        self.terminate()
        if self.process is not None:
            self.process.wait(timeout=WAIT)
            self.process = None

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()


@contextmanager
def worker_process(app: Celery, name: str, log: Path) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process on the test database and the app's broker and queue.

    Its emails go to the console backend, that is to its log.
    """
    env = iqtrack_env(
        database_url=subprocess_database_url(), redis_url=app.conf.broker_url, var_dir=log.parent
    )
    env["LOG_LEVEL"] = "INFO"  # the log tells which tasks ran
    command = [sys.executable, "-m", "celery", "-A", "iqtrack", "worker", "--pool=solo"]
    command += ["-Q", app.conf.task_default_queue, "-n", f"{name}@%h", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=django_settings.BASE_DIR,
            stdout=output,
            stderr=output,
            preexec_fn=die_with_parent,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()  # warm shutdown
            process.wait(timeout=WAIT)


def beat(app: Celery, entry: str = "sweep-reminders") -> None:
    """Fire one periodic entry exactly as celery beat does (apply_entry logs and goes on if the
    broker is down)."""
    scheduler = Scheduler(app=app)
    scheduler.apply_entry(scheduler.schedule[entry])


def subprocess_database_url() -> str:
    """The test database, for another process."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
