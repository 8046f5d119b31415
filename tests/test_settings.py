"""Settings from the environment: the embedded default, the switches, and clear refusals.

Each case starts a fresh interpreter with a clean environment, as a deployment would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.envvars import REPO, settings_env_names

PRODUCTION = {
    "IQTRACK_ENV": "production",
    "SECRET_KEY": "a-long-random-secret-for-tests-" + "x7Gq2pLm9vR4tZ8wK1nB5cJ3hD6fS0yE",
    "ALLOWED_HOSTS": "iqtrack.example.org",
}
SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "reconnect": {
        key: settings.DATABASES["default"].get(key)
        for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    },
    "timeouts": [
        settings.DATABASES["default"].get("OPTIONS", {}).get("connect_timeout"),
        settings.CACHES["default"].get("OPTIONS", {}).get("socket_timeout"),
    ],
}))
"""


def start(tmp_path, code: str = "import django; django.setup()", **variables: str):
    """Run `code` in a new interpreter with only `variables` among iqtrack's settings set."""
    env = {k: v for k, v in os.environ.items() if k not in settings_env_names()}
    env.update(DJANGO_SETTINGS_MODULE="iqtrack.settings", IQTRACK_VAR_DIR=str(tmp_path / "var"))
    env.update(variables)
    return subprocess.run(
        [sys.executable, *(["-c", code] if not code.startswith("manage.py") else code.split())],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"IQTRACK_ENV": "prod"}, "IQTRACK_ENV"),
        ({"CELERY_TASK_TIME_LIMIT": "abc"}, "CELERY_TASK_TIME_LIMIT"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "0"}, "CELERY_TASK_SOFT_TIME_LIMIT"),
        ({"CELERY_TASK_TIME_LIMIT": "60"}, "CELERY_TASK_TIME_LIMIT"),  # below the soft limit
        ({"DB_CONN_MAX_AGE": "-1", "DATABASE_URL": "postgres://h/db"}, "DB_CONN_MAX_AGE"),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"TIME_ZONE": "Mars/Olympus_Mons"}, "TIME_ZONE"),
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**PRODUCTION, "SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({**PRODUCTION, "DEBUG": "true"}, "DEBUG"),
        ({**PRODUCTION, "SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_it_refuses_to_start_with_a_bad_value_and_names_the_variable(tmp_path, variables, named):
    result = start(tmp_path, **variables)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert named in last_line


def test_it_never_repeats_a_password_from_a_bad_url(tmp_path):
    result = start(tmp_path, DATABASE_URL="mysql://iqtrack:hunter2@db.example.org/iqtrack")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "hunter2" not in result.stderr


def test_with_nothing_set_it_runs_on_sqlite_and_the_filesystem_broker_under_var(tmp_path):
    result = start(tmp_path, SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(tmp_path / "var" / "iqtrack.sqlite3")
    assert shown["broker"] == "filesystem://"
    assert shown["cache"].endswith("LocMemCache")
    assert shown["debug"] is True
    assert (tmp_path / "var" / "broker" / "queue").is_dir()


def test_database_url_and_redis_url_switch_to_postgresql_and_redis(tmp_path):
    result = start(
        tmp_path,
        SHOW_SETTINGS,
        DATABASE_URL="postgres://iqtrack@db.example.org:5432/iqtrack",
        REDIS_URL="redis://cache.example.org:6379/0",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["name"] == "iqtrack"
    assert shown["broker"] == "redis://cache.example.org:6379/0"
    # Django's Redis cache, made outage-tolerant; a reused connection is tested first, so a
    # database restart heals by itself; neither server can hang a request (docs/operations.md).
    assert shown["cache"] == "iqtrack.cache.ResilientRedisCache"
    assert shown["reconnect"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    assert shown["timeouts"] == [5, 1]


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = start(tmp_path, "manage.py check --deploy --fail-level WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_read_the_environment_only_through_the_typed_getters():
    source = (REPO / "iqtrack" / "settings.py").read_text()
    assert "os.environ" not in source and "getenv" not in source


def test_the_readme_documents_every_setting():
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert sorted(set(settings_env_names()) - documented) == []
    assert sorted(documented - set(settings_env_names())) == []


def test_iqtrack_connections_run_without_jit(db):
    """Compiling a plan with a large cost estimate took PostgreSQL longer than running iqtrack's
    short queries (bench/RESULTS.md): the app's connections turn JIT off (docs/operations.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_web_process_freezes_what_it_loaded_before_its_first_request(tmp_path):
    """Long-lived objects are kept out of the garbage collector's full collections
    (iqtrack/wsgi.py), the views among them: imported at start, not by the first request."""
    code = (
        "import gc, sys, iqtrack.wsgi; "
        "print(gc.get_freeze_count(), 'questions.api.views' in sys.modules)"
    )
    answer = start(tmp_path, code, **PRODUCTION)

    assert answer.returncode == 0, answer.stderr
    frozen, views_loaded = answer.stdout.split()
    assert int(frozen) > 10_000
    assert views_loaded == "True"
