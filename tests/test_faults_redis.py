"""Redis stopped under load: pages, sign-in and workflow steps go on; every email is sent, once,
when it is back (docs/operations.md).

Redis is both Celery's broker and Django's cache. A private redis-server (`broker`, never the
shared one) serves a real gunicorn and a real `celery worker`; threads send pages, reads and
writes — workflow steps among them, each notifying two people — while it is stopped and started.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
import requests
from celery import Celery

from iqtrack.cache import ResilientRedisCache
from iqtrack.celery import configure
from notifications.choices import EmailState, Kind
from notifications.models import Notification
from questions.choices import Action
from questions.models import Transition
from tests.fault_load import (
    KINDS,
    PASSWORD,
    Load,
    assert_every_answer_clean,
    assert_nothing_lost_or_half_written,
    seed,
)
from tests.private_servers import (
    WebServer,
    beat,
    iqtrack_env,
    subprocess_database_url,
    wait_for,
    worker_process,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 3


@pytest.fixture
def celery_app(broker) -> Celery:
    """iqtrack's Celery configuration on the private Redis, on the queue the server uses."""
    if broker.process is None:
        broker.start()
    redis.Redis.from_url(broker.url).flushall()
    app = configure(Celery("iqtrack-faults", set_as_current=False))
    app.conf.update(broker_url=broker.url, broker_transport_options={})
    return app


@pytest.fixture
def server(broker, tmp_path) -> Iterator[WebServer]:
    env = iqtrack_env(
        database_url=subprocess_database_url(), redis_url=broker.url, var_dir=tmp_path
    )
    web = WebServer(env, tmp_path / "gunicorn.log")
    web.start()
    yield web
    web.stop()


def health(server: WebServer) -> tuple[int, dict]:
    response = requests.get(f"{server.base}/healthz", timeout=10)
    return response.status_code, response.json()


def sign_in(server: WebServer) -> requests.Response:
    """The login form, as a browser sends it; answers the page it leads to."""
    browser = requests.Session()
    form = browser.get(f"{server.base}/accounts/login/", timeout=30)
    token = form.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    credentials = {"csrfmiddlewaretoken": token, "username": "lead", "password": PASSWORD}
    return browser.post(f"{server.base}/accounts/login/", data=credentials, timeout=30)


def emails_in(log) -> Counter:
    """Emails the worker sent (the console backend prints them to its log), by recipient."""
    return Counter(
        line.removeprefix("To: ").strip()
        for line in log.read_text().splitlines()
        if line.startswith("To: ")
    )


def sweeps_done(log) -> int:
    return sum(
        "sweep_reminders" in line and "succeeded" in line for line in log.read_text().splitlines()
    )


def emails_recorded() -> Counter:
    sent = Notification.objects.filter(email_state=EmailState.SENT).select_related("recipient")
    return Counter(n.recipient.email for n in sent)


def test_with_redis_down_pages_and_steps_go_on_and_every_email_goes_out_once_it_is_back(
    broker, celery_app, server, tmp_path
):
    cast = seed(THREADS)
    worker_log = tmp_path / "worker.log"
    assert health(server) == (200, {"status": "ok", "database": "ok", "redis": "ok"})

    with worker_process(celery_app, "w1", worker_log):
        wait_for(lambda: " ready." in worker_log.read_text(), what="the worker to start")
        with Load(server.base, cast) as load:
            start = time.perf_counter()
            wait_for(lambda: load.kinds_answered(start, ok=True) == set(KINDS), what="warm-up")

            # 1. Redis goes away (broker and cache). Everything goes on: each thread takes a
            #    few more steps, and signing in works.
            broker.stop()
            down = time.perf_counter()
            wait_for(
                lambda: all(
                    Counter(a.kind for a in load.since(down))[kind] >= 2 * THREADS for kind in KINDS
                ),
                what=lambda: f"requests while Redis is down: {load.summary(down)}",
            )
            signed_in = sign_in(server)
            assert signed_in.status_code == 200 and signed_in.url == f"{server.base}/"
            assert health(server) == (
                503,
                {"status": "unavailable", "database": "ok", "redis": "unavailable"},
            )
            pending = Notification.objects.filter(email_state=EmailState.PENDING).count()
            assert pending > 0  # the steps' emails could not be queued: they wait in the outbox

            # 2. Redis is back; the requests go on.
            broker.start()
            up = time.perf_counter()
            wait_for(lambda: load.kinds_answered(up, ok=True) == set(KINDS), what="after restart")
        assert health(server) == (200, {"status": "ok", "database": "ok", "redis": "ok"})

        # 3. The sweep sends what waited; a second sweep finds nothing left to send.
        beat(celery_app)
        wait_for(
            lambda: (
                not Notification.objects.filter(email_state=EmailState.PENDING).exists()
                and emails_in(worker_log) == emails_recorded()
            ),
            what=lambda: f"the emails (worker log: {worker_log})",
        )
        sweeps = sweeps_done(worker_log)
        beat(celery_app)
        wait_for(lambda: sweeps_done(worker_log) == sweeps + 1, what="the second sweep")

    assert_every_answer_clean(load.answers, outage_allowed=False)
    assert_nothing_lost_or_half_written(subprocess_database_url(), load.answers)
    # Every step told the analyst and the reviewer, in iqtrack and by one email each.
    steps = Transition.objects.filter(action=Action.ASSIGN).count()
    assert Notification.objects.filter(kind=Kind.ASSIGNED).count() == 2 * steps
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    assert emails_in(worker_log) == emails_recorded()
    assert sum(emails_in(worker_log).values()) == Notification.objects.count()


def test_the_cache_misses_while_redis_is_down_and_serves_again_once_it_is_back(broker, caplog):
    if broker.process is None:
        broker.start()
    options = {"socket_connect_timeout": 1, "socket_timeout": 1, "retry_after": 0}
    cache = ResilientRedisCache(broker.url, {"OPTIONS": options})
    cache.set("answer", 42)
    assert cache.get("answer") == 42

    broker.stop()
    with caplog.at_level(logging.WARNING, logger="iqtrack.cache"):
        assert cache.get("answer", "missed") == "missed"
        assert cache.add("other", 1) is False
        cache.set("answer", 43)  # dropped, not raised
        assert cache.get_many(["answer"]) == {}
        with pytest.raises(ValueError):
            cache.incr("answer")  # as for a missing key
    assert "Cache unavailable" in caplog.text

    broker.start()  # a new, empty Redis
    cache.set("answer", 44)
    assert cache.get("answer") == 44
