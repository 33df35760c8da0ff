# Two commands on a fresh machine: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo
DEMO_PORT ?= 50051

.PHONY: install demo test lint format proto proto-check bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

proto: install
	$(PY) tools/genproto.py

proto-check: install
	$(PY) tools/genproto.py --check

lint: install proto-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(VENV)/bin/pytest

# Builds the demo session once (CA, credentials, package, database), serves it on loopback and
# drives it with the demo committee; see README "Demo".
demo: install
	tools/demo.sh "$(DEMO_DIR)" "$(DEMO_PORT)"

bench: install
	$(PY) bench/ingest.py
	$(PY) bench/audit.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
