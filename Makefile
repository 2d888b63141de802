# Grassroots — every set-up step lives here. `make run` and `make test` work on a fresh machine
# with Python >= 3.11 (and Node/npm for the chart library).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core by default; PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto

# The embedded default: SQLite, the SQLite task queue, development keys (DEBUG on).
DEV_ENV := DEBUG=1

.PHONY: run test lint format install static messages worker migrate demo bench bench-smoke clean help

help:
	@echo "make run    - install, migrate, load the demo city, start web server + worker"
	@echo "make test   - install test tools, lint, run the whole suite"
	@echo "make lint   - ruff check, format check, mypy"
	@echo "make format - ruff format and fix"
	@echo "make worker - the background worker alone"
	@echo "make bench  - city-scale benchmarks on PostgreSQL (see bench/README.md; about 25 min)"
	@echo "make bench-smoke - the same run in miniature (N = 1,000), as CI runs it"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: charts (ECharts) will not load until 'npm ci' has run"; \
	fi

static: node_modules/.installed

messages: install
	@$(BIN)/python scripts/compile_messages.py

migrate: install messages
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py demo_city

run: install static messages
	@mkdir -p var
	@$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	@$(DEV_ENV) $(BIN)/python manage.py demo_city
	@echo ""
	@echo "Grassroots is at http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@echo "Web server and worker are running; press Ctrl-C to stop both."
	@$(DEV_ENV) $(BIN)/python scripts/run.py $(HOST):$(PORT)

worker: install
	$(DEV_ENV) $(BIN)/python manage.py run_huey

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install static messages lint
	@mkdir -p var
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks (bench/README.md): PostgreSQL, Redis and wrk required; the run says what is missing.
BENCH_ARGS ?=
bench: install messages
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-smoke: install messages
	$(BIN)/python -m bench.run --smoke $(BENCH_ARGS)

clean:
	rm -rf var node_modules $(VENV)
