# `make run` and `make test` work on a fresh machine: they create .venv and install
# what is missing (Python packages, and the system packages the sandbox needs).
# Python packages come from the committed locks, pinned with hashes: requirements.lock
# (the bot) and requirements-dev.lock (the bot and the dev tools). After changing the
# dependencies in pyproject.toml, regenerate them with `make lock` and commit them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Options for `make lock`, e.g. LOCK_ARGS=--upgrade, or LOCK_ARGS="--upgrade-package yarl".
LOCK_ARGS ?=
PIP_TOOLS := pip-tools==7.7.0
PIP_COMPILE := CUSTOM_COMPILE_COMMAND='make lock' $(PY) -m piptools compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

# .env (from .env.example: plain KEY=value lines, no quotes) is read by `make run` and
# `make test`, as docker compose reads it: a variable already set in the environment,
# as in `DISCORD_TOKEN=... make run`, keeps its value.
ifneq ($(wildcard .env),)
DOTENV_KEYS := $(shell sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*=.*/\1/p' .env)
DOTENV_KEEP := $(foreach k,$(DOTENV_KEYS),$(if $(filter environment,$(origin $(k))),$(k)))
$(foreach k,$(DOTENV_KEEP),$(eval DOTENV_SAVED_$(k) := $$(value $(k))))
include .env
$(foreach k,$(DOTENV_KEEP),$(eval $(k) := $$(DOTENV_SAVED_$(k))))
export $(DOTENV_KEYS)
endif

.PHONY: run test test-deploy lint format typecheck lock system-deps test-tools check-content

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# requirements-dev.lock pins the bot's packages as requirements.lock does (`make lock`
# compiles it under that constraint), so it installs everything .installed stands for.
$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@ $(VENV)/.installed

system-deps:
	@bash scripts/install-system-deps.sh

test-tools:
	@bash scripts/install-system-deps.sh --with-test-tools

# ARGS go to `python -m bot up`, e.g. make run ARGS="--user ada".
run: $(VENV)/.installed system-deps
	$(PY) -m bot up $(ARGS)

test: $(VENV)/.installed-dev test-tools
	$(PY) -m ruff check bot tests bench
	$(PY) -m ruff format --check bot tests bench
	$(PY) -m mypy
	$(PY) -m bot content check
	$(PY) -m pytest
	@bash scripts/test-deploy.sh --if-possible

# The deploy, run for real (tests/deploy/): both images built (FROM a base made here from
# Debian's packages unless BASE_IMAGE is set), `docker-compose up -d --build`, both
# containers with the compose file's settings on host networking, and the hostile suite
# against the sandbox container. Starts dockerd (as root) if needed. `make test` runs it
# where a Docker engine can be started, and says in one line when it cannot.
test-deploy: $(VENV)/.installed-dev test-tools
	@bash scripts/test-deploy.sh

# `make test` runs it too.
typecheck: $(VENV)/.installed-dev
	$(PY) -m mypy

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix bot tests bench
	$(PY) -m ruff format bot tests bench

check-content: $(VENV)/.installed
	$(PY) -m bot content check

# Pins for Python 3.11 on Linux, as in the Docker images; each pin keeps the hashes of all
# its files on the index. Existing pins are kept unless LOCK_ARGS asks to upgrade them.
lock: | $(PY)
	@$(PY) -c 'import sys; sys.exit(None if sys.version_info[:2] == (3, 11) and sys.platform == "linux" else "make lock needs Python 3.11 on Linux (as the images): PYTHON=python3.11 make lock in a new .venv")'
	$(PY) -m pip install -q '$(PIP_TOOLS)'
	$(PIP_COMPILE) $(LOCK_ARGS) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) $(LOCK_ARGS) --extra dev -c requirements.lock -o requirements-dev.lock \
		pyproject.toml
