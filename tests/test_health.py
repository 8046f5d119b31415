"""/healthz tells the truth about the database and Redis, and nothing more (docs/operations.md).

The database-down answer is shown by tests/test_faults_postgres.py, on a private cluster.
"""

from __future__ import annotations

import pytest

from tests.private_servers import free_port

pytestmark = pytest.mark.django_db


def test_it_answers_200_when_the_database_and_redis_answer(client, settings, broker):
    settings.REDIS_URL = broker.url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_it_answers_503_naming_redis_when_redis_is_down_and_nothing_about_it(client, settings):
    port = free_port()  # nothing listens there
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}
    assert str(port) not in response.content.decode()


def test_without_redis_configured_it_checks_the_database_only(client, settings):
    settings.REDIS_URL = None
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
