# Two commands for a fresh Debian machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export FLASK_APP := coordinator:create_app

.PHONY: setup services migrate demo test test-fast faults lint scan up clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
	  || (echo "installing python3-venv" && ( [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq python3-venv \
	      || (sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv)))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

services:
	@scripts/ensure_services.sh redis

migrate: setup
	$(BIN)/flask db upgrade

demo: setup services migrate
	$(BIN)/flask demo run

test: setup
	@scripts/ensure_services.sh redis postgres chromium
	$(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not slow and not browser"

# Workers killed, Redis and PostgreSQL restarted, SendGrid failing (also part of `make test`).
faults: setup
	@scripts/ensure_services.sh redis postgres
	$(BIN)/pytest tests/faults

lint: setup
	$(BIN)/ruff check .

# Medium findings are printed for review; a high one fails. pip-audit fails on a known
# vulnerability, not on an unreachable vulnerability service (see .ci/audit_dependencies.py).
scan: setup
	$(BIN)/bandit -r coordinator workers solver -q --severity-level medium --exit-zero
	$(BIN)/bandit -r coordinator workers solver -q --severity-level high
	$(BIN)/python .ci/audit_dependencies.py

up: setup services migrate
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start web worker relay

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
