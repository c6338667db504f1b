# The two commands: `make run` and `make test`. Both set up everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# Exact versions that CI tested; `make lock` refreshes them.
CONSTRAINTS := constraints.txt
# Debian packages the app needs at run time, installed when missing and running as root;
# fonts: DejaVu for Latin text on PDF labels, WenQuanYi Micro Hei for Chinese names.
APT_PACKAGES := libzbar0 fonts-dejavu-core fonts-wqy-microhei
# Only the tests need these: Debian's Chromium, driven by Playwright (never a downloaded one).
APT_TEST_PACKAGES := chromium
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check lint typecheck pytest pwa-test system-deps test-system-deps apt-install postgres lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) install --quiet --constraint $(CONSTRAINTS) --editable .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) install --quiet --constraint $(CONSTRAINTS) --editable '.[dev]'
	touch $@ $(VENV)/.installed

system-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

test-system-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES) $(APT_TEST_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (as root: apt-get install$$missing)"; exit 1; fi; \
	fi

run: system-deps $(VENV)/.installed
	$(BIN)/stockhand migrate
	$(BIN)/stockhand demo --if-empty
	$(BIN)/stockhand serve --host $(HOST) --port $(PORT)

postgres:
	@scripts/ensure-postgres.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check backend scanner

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The browser tests run in a pytest process of their own (Playwright's sync fixtures and
# the anyio tests must not share one).
pytest: test-system-deps $(VENV)/.installed-dev postgres
	$(BIN)/pytest --ignore=tests/pwa
	$(BIN)/pytest tests/pwa -p no:cacheprovider

test: lint typecheck pytest

lock: | $(BIN)/python
	$(PIP) install --quiet --editable '.[dev]'
	$(PIP) freeze --exclude-editable | grep -v '^stockhand' > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The PWA in a real browser (Debian's chromium) against `stockhand serve`, in a pytest
# process of its own: Playwright's sync fixtures must not share a process with anyio tests.
pwa-test: test-system-deps $(VENV)/.installed-dev
	$(BIN)/pytest tests/pwa -p no:cacheprovider
