# `make run` and `make test` work on a fresh machine: they create .venv and install
# what is missing (Python packages, and the system packages the sandbox needs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format system-deps test-tools check-content

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

system-deps:
	@bash scripts/install-system-deps.sh

test-tools:
	@bash scripts/install-system-deps.sh --with-test-tools

run: $(VENV)/.installed system-deps
	$(PY) -m bot up

test: $(VENV)/.installed-dev test-tools
	$(PY) -m ruff check bot tests bench
	$(PY) -m ruff format --check bot tests bench
	$(PY) -m bot content check
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix bot tests bench
	$(PY) -m ruff format bot tests bench

check-content: $(VENV)/.installed
	$(PY) -m bot content check
