# pointstream: `make run` starts the system, `make test` proves it. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: help install infra-deps lint docs test test-unit run demo bench chaos clean

help:
	@echo "make run    start Kafka and the three services (SQLite per service); Ctrl-C stops all"
	@echo "make demo   with the system running: post a day of purchases, print balances and inboxes"
	@echo "make test   lint, type-check, unit + integration + e2e tests on Kafka and PostgreSQL"
	@echo "make lint   ruff and mypy only"
	@echo "make docs   the docs site, tables generated from the code, into var/site (warnings fail)"
	@echo "make bench  throughput, latency, reads and memory under load (var/bench/)"
	@echo "make chaos  the whole system under a seeded workload and fault schedule, then every"
	@echo "            invariant checked (CHAOS_ARGS=\"--seed S --events N --minutes M\")"

install: $(VENV)/.installed
	deploy/console/install.sh  # the console's front-end packages (npm ci)

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .  # the `pointstream` command
	@touch $@

infra-deps:
	deploy/kafka/fetch.sh
	deploy/postgres/install.sh
	deploy/browser/install.sh  # Chromium for the console's page tests

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# The docs site (mkdocs.yml): the settings, routes and events tables are made from the code.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# The test fixtures start Kafka and PostgreSQL (or use TEST_* settings, or testcontainers)
# and stop them at the end; stop-test-infra.sh also catches what an aborted run left behind.
test: install infra-deps lint docs
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; deploy/stop-test-infra.sh; exit $$status

test-unit: install
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

run: install
	deploy/run.sh

demo: install
	$(PY) deploy/demo.py

clean:
	deploy/stop-test-infra.sh
	rm -rf var/*.db var/*.db-* var/test-* .pytest_cache .mypy_cache .ruff_cache

# The whole system (two replicas per service, three brokers) under a seeded workload and a
# seeded fault schedule, then every invariant checked; a failure prints its seed (var/chaos/).
chaos: install infra-deps
	$(PY) -m chaos $(CHAOS_ARGS); status=$$?; deploy/stop-test-infra.sh; exit $$status

# The whole system under load, against raw Kafka and raw insert baselines from the same run.
bench: install infra-deps
	deploy/bench/install.sh
	$(PY) -m bench $(BENCH_ARGS)
