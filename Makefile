# Two commands on a fresh machine: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo
DEMO_PORT ?= 50051

.PHONY: install demo test lint format proto proto-check bench clean installer translations

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
	$(PY) tools/translations.py --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(VENV)/bin/pytest

# The client's English: re-extracts the tr() strings from app/ into resources/i18n/bideval_en.ts (keeping
# the English already there, filling new ones from tools/translations_en.py) and compiles bideval_en.qm.
# `tools/translations.py --check` fails while the .ts/.qm are stale or unfinished (tests/app/test_i18n.py).
translations: install
	$(PY) tools/translations.py

# Builds the demo session once (CA, credentials, package, database), serves it on loopback and
# drives it with the demo committee; see README "Demo".
demo: install
	tools/demo.sh "$(DEMO_DIR)" "$(DEMO_PORT)"

# Renders each main screen of the client to docs/screenshots/ (offscreen, against an in-process demo
# server); needs a CJK font, e.g. `apt-get install fonts-noto-cjk`. See docs/screenshots/README.md.
.PHONY: screenshots
screenshots: install
	QT_QPA_PLATFORM=offscreen $(PY) tools/screenshots.py --out docs/screenshots

bench: install
	$(PY) bench/ingest.py
	$(PY) bench/audit.py
	$(PY) bench/client.py

# The packaged client: dist/bideval/ (PyInstaller one-folder, installer/bideval.spec) and
# dist/bideval-client_<version>_<arch>.deb. Windows: see docs/installing.md (installer/windows/bideval.nsi).
installer: install
	$(PY) -m pip install --quiet -e '.[dev,installer]'
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller installer/bideval.spec
	installer/build_deb.sh dist/bideval dist

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
