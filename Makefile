# The two commands a person needs: `make demo` and `make test`. Each sets up
# everything first (Debian packages, .venv, pinned Python packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint typecheck bench system-deps venv clean

demo: venv
	$(VENV)/bin/editwatch demo

test: system-deps venv
	$(PY) -m pytest -q -n 2

test-fast: venv
	$(PY) -m pytest -q -n 2 -m "not slow"

lint: venv
	$(VENV)/bin/ruff check crawler storage monitor tests bench
	$(VENV)/bin/mypy

typecheck: venv
	$(VENV)/bin/mypy

bench: venv
	$(PY) bench/bench_diff.py
	$(PY) bench/bench_extract.py

system-deps:
	bash scripts/system-deps.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
