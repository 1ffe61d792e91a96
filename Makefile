# HotCRM — `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_EMAIL ?= demo@hotcrm.local
DEMO_PASSWORD ?= hotcrm-demo

.PHONY: install run test lint format migrate worker beat bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

## Serve HotCRM on http://$(HOST):$(PORT) with a demo workspace.
run: migrate
	$(BIN)/python manage.py seed_demo --if-empty --ops-admin --email $(DEMO_EMAIL) --password $(DEMO_PASSWORD)
	@echo ""
	@echo "  HotCRM is starting on http://$(HOST):$(PORT)/"
	@echo "  Sign in as $(DEMO_EMAIL) with password $(DEMO_PASSWORD)"
	@echo "  Django admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## The whole suite (SQLite and in-process tasks unless DATABASE_URL/REDIS_URL are set).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	test -x /usr/bin/chromium || scripts/install-browser
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## A Celery worker and beat (need REDIS_URL).
worker: install
	$(BIN)/celery -A config worker -l info

beat: install
	$(BIN)/celery -A config beat -l info

## Benchmarks (see bench/README.md; need a seeded PostgreSQL DATABASE_URL).
bench: migrate
	$(BIN)/python bench/query_bench.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache hotcrm.sqlite3*
