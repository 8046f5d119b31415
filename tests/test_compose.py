"""docker-compose.yml and the Dockerfile, checked by reading them (no Docker engine needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml
from django.urls import resolve

from tests.envvars import REPO, settings_env_names

APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with `given` as the shell's values."""

    def one(match: re.Match) -> str:
        name, operator, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if name in given:
            return given[name]
        if operator == ":?":
            raise KeyError(f"compose requires {name}: {rest}")
        return rest if operator == ":-" else ""

    return re.sub(r"\$\{([A-Z0-9_]+)(:-|:\?)?([^}]*)\}", one, value)


def test_it_runs_web_worker_beat_postgres_redis_and_a_migrate_step(services):
    assert set(services) == {*APP_SERVICES, "postgres", "redis"}


def test_web_worker_beat_and_migrate_share_one_image(services):
    builds = {(services[name]["build"], services[name]["image"]) for name in APP_SERVICES}
    assert builds == {(".", "iqtrack:local")}


def test_each_app_service_runs_its_own_command(services):
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "iqtrack", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "iqtrack", "beat"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert services["migrate"]["restart"] == "no"


def test_the_app_waits_for_healthy_databases_and_a_finished_migration(services):
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_the_services_that_can_be_probed_have_health_checks(services):
    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    web_probe = " ".join(services["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\S*?)'", web_probe).group(1)
    assert resolve(path).url_name == "healthz"


def test_the_app_runs_in_production_mode_on_postgres_and_redis(services):
    env = services["web"]["environment"]
    assert env["IQTRACK_ENV"] == "production"
    assert (
        env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "no default secret in the repository"
    assert "ALLOWED_HOSTS" in env


def test_every_variable_given_to_the_app_is_a_setting(services):
    known = set(settings_env_names())
    for name in APP_SERVICES:
        assert set(services[name]["environment"]) <= known, name


def test_the_settings_accept_the_compose_environment(services, tmp_path):
    """Started with the stack's environment, the settings load and pass the deploy checks."""
    given = {"SECRET_KEY": "compose-test-" + "q8Wn3vX5rT1yU7iO9pA2sD4fG6hJ0kL" * 2}
    env = {k: v for k, v in os.environ.items() if k not in settings_env_names()}
    env.update({k: interpolate(v, given) for k, v in services["web"]["environment"].items()})
    env.update(IQTRACK_VAR_DIR=str(tmp_path))
    # SECURE_SSL_REDIRECT is off in the stack (plain HTTP); security.W008 says so.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert "ImproperlyConfigured" not in output
    assert "System check identified" in output
    warnings = set(re.findall(r"\(([a-z_.]+\.[EW]\d+)\)", output))
    assert warnings <= {"security.W008"}, output


def test_the_dockerfile_builds_one_non_root_image_with_the_dependencies_and_static_files():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, flags=re.MULTILINE)
    assert "pyproject.toml" in dockerfile and "pip install" in dockerfile
    assert "collectstatic" in dockerfile
    assert re.search(r"^USER (?!root)\S+", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^CMD \[\"gunicorn\"", dockerfile, flags=re.MULTILINE)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'"gunicorn>=[^"]+"', pyproject)


def test_the_build_context_leaves_out_local_state():
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env"} <= set(ignored)
