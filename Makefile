# The two set-up commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format migrations help bench
SCALE ?= default

help:
	@echo "make run    - install, migrate, load demo data, run web + worker + beat (Ctrl-C stops all)"
	@echo "make test   - run the whole test suite (embedded Postgres/Redis when no URLs are set)"
	@echo "make lint   - ruff, import-linter and the migrations check"
	@echo "make bench  - load benchmarks (SCALE=default|large; BENCH_ARGS=--reseed), see README"

$(INSTALLED): requirements/base.txt requirements/production.txt requirements/test.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

run: $(INSTALLED)
	$(PY) -m healthportal.supervisor

test: $(INSTALLED)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks (bench/, not tests): seeds healthportal_bench_$(SCALE) once, writes bench/results/.
bench: $(INSTALLED)
	$(PY) -m bench --scale $(SCALE) $(BENCH_ARGS)
