# The README's two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-dev run test bench messages check openapi

# `make run` installs what the application needs (requirements.txt); the tests, checks and
# benchmarks add requirements-dev.txt.
setup: $(VENV)/.requirements node_modules/.installed
setup-dev: setup $(VENV)/.requirements-dev

$(VENV)/.requirements: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: $(VENV)/.requirements requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo
	@echo "  Open http://$(HOST):$(PORT)/ and log in (demo logins above; see README.md)."
	@echo
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite, then the host's own tests (crm/) without the interactions module: proof
# that the host does not need it. Both in two processes (pytest-xdist) where there are two
# cores, in random order (pytest-randomly: the header's "Using --randomly-seed=N" replays a
# run); PYTEST_ARGS replaces the first run's defaults, e.g. "-p no:xdist --randomly-seed=N".
XDIST := -n auto --maxprocesses=2
PYTEST_ARGS ?= $(XDIST)
test: setup-dev
	$(PY) -m pytest $(PYTEST_ARGS)
	CRM_WITHOUT_APPS=interactions $(PY) -m pytest $(XDIST) crm

# SCALE=10m: the pages suite at 100k and 10M entries (default: 100k and 1M).
SCALE ?= default
bench: setup-dev
	SCALE=$(SCALE) $(PY) -m bench $(BENCH_ARGS)

# Regenerate the Russian catalogue after changing strings (needs GNU gettext).
messages: setup
	$(PY) manage.py makemessages --locale ru --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'bench/*'
	$(PY) manage.py makemessages --locale ru --domain djangojs --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --locale ru

# The rules of the house as gates (CI runs this before the tests): lint, format, import
# contracts (.importlinter), Django's checks, models and migrations in step.
check: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The API's OpenAPI description, committed as docs/openapi.yaml (a test fails when it is stale).
openapi: setup-dev
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml
