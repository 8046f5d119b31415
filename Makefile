# iqtrack — the commands. `make run` and `make test` are the two a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The test suite runs against real PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/iqtrack
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?= -n 2

.PHONY: install run test lint format migrations-check services-check clean browser wrk bench

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (or run make PYTHON=python3)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Start iqtrack on the embedded default (SQLite + filesystem broker under var/) with the demo
## case and demo users: web on http://127.0.0.1:8000, a Celery worker and beat. Ctrl-C stops all.
run: install
	env -u DATABASE_URL -u REDIS_URL scripts/run-embedded

## Debian's Chromium for the browser tests (tests/test_browser*.py); installed when missing.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y chromium; }

## Debian's wrk, the HTTP load tool of the benchmark (bench/README.md); installed when missing.
wrk:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y wrk; }

## The benchmark at issue 8's scale: data generated once into BENCH_DATABASE_URL, iqtrack and a
## raw-SQL baseline under gunicorn, loaded with wrk; writes bench/RESULTS.md. Pass options with
## BENCH_ARGS, e.g. make bench BENCH_ARGS="--label after --duration 20".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/iqtrack_benchdata
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/11
BENCH_ARGS ?=
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) wrk
	$(BIN)/python scripts/check_services.py --database-url "$(BENCH_DATABASE_URL)" --redis-url "$(BENCH_REDIS_URL)"
	$(BIN)/python bench/run.py --database-url "$(BENCH_DATABASE_URL)" --redis-url "$(BENCH_REDIS_URL)" $(BENCH_ARGS)

## The whole suite: lint, format, migrations, and pytest on real PostgreSQL and Redis.
test: $(BENCH_STAMP) browser wrk
	$(BIN)/python scripts/check_services.py --database-url "$(TEST_DATABASE_URL)" --redis-url "$(TEST_REDIS_URL)"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
