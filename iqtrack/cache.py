"""Django's Redis cache, made to shrug off a Redis outage (docs/operations.md).

iqtrack keeps nothing in the cache that it cannot do without, so while Redis is unreachable every
read is a miss and every write is dropped, with a warning in the log — a page never fails
because the cache is down. After a failure the cache is not tried again for `retry_after`
seconds (OPTIONS, default 5), so a Redis that hangs instead of refusing costs one timeout per
process per period, not one per request; short socket timeouts (OPTIONS `socket_timeout` and
`socket_connect_timeout`, set from REDIS_TIMEOUT in settings.py) bound that one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class _Outage:
    """Whether Redis failed recently: calls within `retry_after` seconds of a failure skip it."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.failed_at: float | None = None

    def call(self, operation: Callable[[], Any], miss: Any) -> Any:
        if self.failed_at is not None and time.monotonic() - self.failed_at < self.retry_after:
            return miss
        try:
            result = operation()
        except (RedisError, OSError) as exc:
            if self.failed_at is None:
                logger.warning("Cache unavailable, reads miss and writes are dropped: %s", exc)
            self.failed_at = time.monotonic()
            return miss
        if self.failed_at is not None:
            logger.warning("Cache reachable again")
            self.failed_at = None
        return result


base = RedisCacheClient


class _ResilientClient(RedisCacheClient):
    # Each method: the base's, with what a miss answers while Redis is unreachable.

    def __init__(self, servers, *, retry_after: float = 5, **options) -> None:
        super().__init__(servers, **options)
        self.outage = _Outage(retry_after)

    def add(self, key, value, timeout):
        return self.outage.call(lambda: base.add(self, key, value, timeout), False)

    def get(self, key, default):
        return self.outage.call(lambda: base.get(self, key, default), default)

    def set(self, key, value, timeout):
        self.outage.call(lambda: base.set(self, key, value, timeout), None)

    def touch(self, key, timeout):
        return self.outage.call(lambda: base.touch(self, key, timeout), False)

    def delete(self, key):
        return self.outage.call(lambda: base.delete(self, key), False)

    def get_many(self, keys):
        return self.outage.call(lambda: base.get_many(self, keys), {})

    def has_key(self, key):
        return self.outage.call(lambda: base.has_key(self, key), False)

    def incr(self, key, delta):
        missing = object()
        result = self.outage.call(lambda: base.incr(self, key, delta), missing)
        if result is missing:
            raise ValueError(f"Key '{key}' not found.")  # what a miss answers to incr
        return result

    def set_many(self, data, timeout):
        self.outage.call(lambda: base.set_many(self, data, timeout), None)

    def delete_many(self, keys):
        self.outage.call(lambda: base.delete_many(self, keys), None)

    def clear(self):
        return self.outage.call(lambda: base.clear(self), False)


class ResilientRedisCache(RedisCache):
    """settings.CACHES backend: django.core.cache.backends.redis.RedisCache, outage-tolerant."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ResilientClient
