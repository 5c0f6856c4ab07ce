# Pallio: `make run` serves the demo program, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PALLIO := $(BIN)/pallio
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PATIENTS ?= 200
DEMO_SEED ?= 1
PYTEST_ARGS ?=
# Two workers by default (files stay together, so module fixtures run once); WORKERS=0 for one.
WORKERS ?= 2
XDIST := $(if $(filter 0,$(WORKERS)),,-p xdist -n $(WORKERS) --dist loadfile)
# Compiled bytecode is kept, outside the source tree: without it every test worker recompiles
# every module it imports (and pytest rewrites every test module) on every run.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/var/pycache

.PHONY: help install catalogues messages browser run serve worker demo migrate test lint typecheck test-sqlite test-postgres e2e bench clean

help:
	@echo "make run    install, migrate, load the demo program and serve it at http://$(HOST):$(PORT)"
	@echo "make test   lint, type check, and the whole suite on SQLite and on PostgreSQL"
	@echo "make bench  run the benchmarks (see docs/performance.md)"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed catalogues

# The translations (.po, in the repository) compiled to the .mo files Django reads (polib).
catalogues: $(VENV)/.installed
	$(BIN)/python -m pallio.core.catalogues >/dev/null

# Refresh the Spanish catalogues from the code (needs gettext's xgettext and msgmerge): the
# portal's strings go to portal/locale, the staff layout's to src/pallio/locale. Translate
# the new entries, then `make catalogues`.
messages: $(VENV)/.installed
	cd src/pallio && PALLIO_ENV=development ../../$(PALLIO) makemessages -l es \
	  --add-location file --no-obsolete --ignore 'tests/*' --ignore '*/tests/*'

# Browser tests drive the distribution's Chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from the distribution's packages..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# `make run` (and what it builds on) is the explicit development mode: the only mode that may
# start with the development secret key. Every other mode, unset included, is production.
migrate demo run bench: export PALLIO_ENV ?= development

migrate: install
	$(PALLIO) migrate --no-input -v 0
	$(PALLIO) createcachetable

demo: migrate
	$(PALLIO) demo --patients $(DEMO_PATIENTS) --seed $(DEMO_SEED)

run: demo
	@$(PALLIO) demo --logins
	@echo "Pallio is at http://$(HOST):$(PORT)/ (stop with Ctrl-C)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PALLIO) db_worker --interval 2 --no-startup-delay >var/worker.log 2>&1 & \
	  $(PALLIO) audit seal --every 1 >var/sealer.log 2>&1 & \
	  while sleep 60; do $(PALLIO) alerts sweep >>var/worker.log 2>&1; \
	    $(PALLIO) support sweep >>var/worker.log 2>&1; \
	    $(PALLIO) coordination sweep >>var/worker.log 2>&1; \
	    $(PALLIO) reminders sweep >>var/worker.log 2>&1; \
	    $(PALLIO) diary sweep >>var/worker.log 2>&1; \
	    $(PALLIO) roster check >>var/worker.log 2>&1; \
	    $(PALLIO) audit checkpoint >>var/worker.log 2>&1; done & \
	  PALLIO_DEBUG=$${PALLIO_DEBUG:-0} $(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) \
	    --workers 1 --blocking-threads 4 --no-ws pallio.wsgi:application

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy src

# The browser tests run once, against PostgreSQL; everything else runs on both databases.
test-sqlite: install
	PALLIO_TESTING=1 DATABASE_URL=sqlite:///:memory: $(BIN)/pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-postgres: install browser
	PALLIO_TESTING=1 DATABASE_URL=$$($(BIN)/python scripts/postgres_url.py) $(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

test: lint typecheck test-sqlite test-postgres

e2e: install browser
	PALLIO_TESTING=1 $(BIN)/pytest -m browser $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(TOOLS) node_modules var/pgtest var/pycache
