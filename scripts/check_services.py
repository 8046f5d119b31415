"""Stop `make test` at once, with a way out, when PostgreSQL or Redis cannot be reached."""

from __future__ import annotations

import argparse
import sys

import psycopg
import redis

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
    "   (or set TEST_DATABASE_URL=postgres://user@host:port/dbname)",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
    "   (or set TEST_REDIS_URL=redis://host:port/db)",
}


def check_postgres(url: str) -> str | None:
    # Connect to the maintenance database: the test database itself is created by pytest.
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def check_redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    failures = {
        "PostgreSQL": (args.database_url, check_postgres(args.database_url)),
        "Redis": (args.redis_url, check_redis(args.redis_url)),
    }
    ok = True
    for name, (url, error) in failures.items():
        if error:
            ok = False
            print(f"{name} is not reachable at {url}: {error}", file=sys.stderr)
            print(f"  start it with: {HOW_TO_START[name]}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
