# The README's two commands: `make run` (set up and serve the demo) and `make test` (every check).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# Test processes (pytest-xdist): one per CPU; `make test TEST_PROCESSES=0` runs in one process.
TEST_PROCESSES ?= auto

.PHONY: setup run test lint migrate worker beat bench fuzz mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

static/vendor/.copied: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	touch $@

setup: $(VENV)/.installed static/vendor/.copied

migrate: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo

run: migrate
	$(BIN)/python manage.py runserver $(HOST)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/pytest -n $(TEST_PROCESSES)

worker: setup
	$(BIN)/celery -A ivig.celery worker --loglevel=info

beat: setup
	$(BIN)/celery -A ivig.celery beat --loglevel=info

bench: setup
	$(BIN)/python bench/engine.py

# Schemathesis over the whole API as every role, extreme dates and numbers included, about
# 45,000 requests (bench/fuzz_api.py).
FUZZ_EXAMPLES ?= 55
fuzz: setup
	$(BIN)/python bench/fuzz_api.py --examples $(FUZZ_EXAMPLES)

# Mutation testing of the engine and the rule-bearing services (docs/mutation-testing.md):
# mutmut in .mutation/<scope>/, a report per module, failing under 95 % (engine) / 90 % (services)
# of non-equivalent mutants killed. Minutes with a warm cache; a nightly job, not part of `test`.
# `make mutate MUTATE_SCOPES=engine` runs one scope; MUTATE_FLAGS=--fresh forgets the cache.
MUTATE_SCOPES ?= engine services
MUTATE_WORKERS ?= 2
MUTATE_FLAGS ?=
mutate: setup
	$(BIN)/python mutation/run.py $(MUTATE_SCOPES) --workers $(MUTATE_WORKERS) $(MUTATE_FLAGS)
