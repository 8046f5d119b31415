"""`/healthz`: whether this web process can reach its database and Redis (docs/operations.md).

200 when everything it uses answers, 503 naming what does not. The answer says only "ok" or
"unavailable" per dependency: no host names, versions or error text for whoever probes it.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: database unavailable: %s", exc)
        return UNAVAILABLE
    return OK


def redis_status() -> str:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_TIMEOUT,
        socket_timeout=settings.REDIS_TIMEOUT,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Health check: Redis unavailable: %s", exc)
        return UNAVAILABLE
    finally:
        client.close()
    return OK


def healthz(request: HttpRequest) -> JsonResponse:
    """For container health checks and load balancers; no sign-in needed."""
    checks = {"database": database_status()}
    if settings.REDIS_URL:  # the embedded default has no Redis to check
        checks["redis"] = redis_status()
    healthy = all(state == OK for state in checks.values())
    body = {"status": OK if healthy else UNAVAILABLE, **checks}
    return JsonResponse(body, status=200 if healthy else 503)
