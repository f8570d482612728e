# Two commands a newcomer needs: `make demo` and `make test`. Each creates .venv if missing.
# `make test` runs ruff, mypy and the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/iambot demo

test: $(STAMP)
	$(BIN)/ruff check bot handlers remediations tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Benchmarks (issues 5, 12): a table of figures beside peers measured in the same run. Installs the
# `bench` extra (DuckDB) and jq from Debian when missing. `make bench ARGS=--quick` for a smoke run.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	command -v jq >/dev/null || (apt-get update -q && apt-get install -y -q jq) \
		|| (sudo apt-get update -q && sudo apt-get install -y -q jq)
	$(BIN)/python bench/run.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot handlers remediations tests bench

clean:
	rm -rf $(VENV) build *.egg-info
