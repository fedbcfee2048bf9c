# seedkit: make help lists the targets. Every target installs what it needs into .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SEEDKIT := $(BIN)/seedkit

profile ?= standard
name ?=

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	@# The distribution was called seedkit before it became seedkit-db: an old install would shadow the command.
	@$(BIN)/python -m pip uninstall --quiet --yes seedkit 2>/dev/null || true
	@$(BIN)/python -m pip install --quiet -e . --group dev
	@touch $(STAMP)

.PHONY: help
help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: install
install: $(STAMP) ## Create .venv and install seedkit with its test dependencies

.PHONY: seed
seed: $(STAMP) ## Seed the dev database (profile=minimal|standard|full|load)
	$(SEEDKIT) seed --profile $(profile)

.PHONY: snapshot
snapshot: $(STAMP) ## Snapshot the dev database: make snapshot name=phase-2
	@test -n "$(name)" || { echo "usage: make snapshot name=NAME" >&2; exit 2; }
	$(SEEDKIT) snapshot $(name) --force

.PHONY: restore
restore: $(STAMP) ## Restore a snapshot (the latest when name= is not given)
	$(SEEDKIT) restore $(name)

.PHONY: reset
reset: $(STAMP) ## Reseed the dev database from scratch (profile=...)
	$(SEEDKIT) reset --profile $(profile)

.PHONY: demo
demo: $(STAMP) ## Seed the demo into dev.db, snapshot it, restore it, print the timings
	$(SEEDKIT) seed --profile $(profile)
	$(SEEDKIT) snapshot demo --force --note "make demo"
	$(SEEDKIT) restore demo
	@echo "# again: this time a clone of the ready copy the first restore kept"
	$(SEEDKIT) restore demo
	$(SEEDKIT) list

.PHONY: test
test: $(STAMP) ## Run the test suite (PostgreSQL/MariaDB tests skip when their server is unreachable)
	$(BIN)/pytest -q -n 2

.PHONY: typecheck
typecheck: $(STAMP) ## Type-check seedkit with mypy (what and how strictly: pyproject's [tool.mypy])
	$(BIN)/mypy

.PHONY: bench
bench: $(STAMP) ## Benchmark snapshot/restore/clone against pg_dump, pg_restore, templates (args="--rows 200000")
	$(BIN)/python bench/restore.py $(args)

.PHONY: bench-seed
bench-seed: $(STAMP) ## Seeding speed: standard and load profiles into SQLite, rows/s
	$(BIN)/python bench/seed.py

.PHONY: bench-auto
bench-auto: $(STAMP) ## seed --auto on SQLite/PostgreSQL/MariaDB vs seedkit 1.5.1 of PyPI (args="--quick")
	$(BIN)/python bench/auto_seed.py $(args)

.PHONY: clean
clean: ## Remove the virtual environment, caches and dev.db
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache dev.db
