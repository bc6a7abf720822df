# Baifang: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format messages system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the product: install, migrate, seed the demo once, serve on :8000 with a Celery worker and beat.
run: $(STAMP)
	bin/run

## Browser tests drive Debian's Chromium (Playwright cannot download browsers here), with CJK
## fonts so that Chinese pages are measured (tests/e2e/test_phone_layout.py) as a phone shows them.
system-deps:
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; } || { \
	  echo "Installing Debian's chromium and CJK fonts for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

## Run the whole test suite (SQLite unless DATABASE_URL is set).
test: $(STAMP) system-deps
	$(PY) -m pytest

## Benchmarks: print ratios measured in one run (not part of `make test`).
bench: $(STAMP)
	$(PY) -m pytest tests/bench -p no:randomly -s --override-ini addopts=

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/djlint --lint .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Extract new strings into locale/zh_Hans and compile the catalogue.
messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests
	DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf var
