# Two commands a newcomer needs: `make demo` and `make test`. Each creates .venv if missing.
# `make test` runs ruff, mypy and the suite, on every core (`make test TEST_JOBS=0`: in one process).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_JOBS ?= auto

# The lock (issue 16): every package `make demo`, `make test` and `make bench` install, exact
# versions with hashes, compiled by uv for every platform and Python >= 3.11 from pyproject.toml's
# bounds, installed by plain pip. `make lock` refreshes it; `make aws-drift` reports what AWS added.
LOCK         := requirements/test.txt
BENCH_LOCK   := requirements/bench.txt
# the Dockerfile's: no extras, held to the test lock's versions
RUNTIME_LOCK := requirements/runtime.txt
UV_VERSION := 0.13.9
COMPILE     = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" pyproject.toml requirements/build.in $(LOCK_ARGS)
LOCK_ARGS  ?= --upgrade

.PHONY: demo test lint bench clean lock aws-drift

define install_locked
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
endef

$(STAMP): $(LOCK) pyproject.toml
	$(call install_locked,$(LOCK))
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/iambot demo

test: $(STAMP)
	$(BIN)/ruff check bot handlers remediations tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_JOBS)

# Benchmarks (issues 5, 12): a table of figures beside peers measured in the same run. Installs the
# `bench` extra (DuckDB) and jq from Debian when missing. `make bench ARGS=--quick` for a smoke run.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) $(BENCH_LOCK)
	$(call install_locked,$(BENCH_LOCK))
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	command -v jq >/dev/null || (apt-get update -q && apt-get install -y -q jq) \
		|| (sudo apt-get update -q && sudo apt-get install -y -q jq)
	$(BIN)/python bench/run.py $(ARGS)

# Refresh the lock within pyproject.toml's bounds (LOCK_ARGS="--upgrade-package botocore" for one
# package); the bench lock is held to the test lock's versions. uv is pinned here, not in the lock.
lock:
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(COMPILE) --extra test -o $(LOCK)
	$(COMPILE) --extra test --extra bench --constraint $(LOCK) -o $(BENCH_LOCK)
	$(COMPILE) --constraint $(LOCK) -o $(RUNTIME_LOCK)

# For the catalog's maintainers: the newest botocore in a scratch environment, and the operations
# it has that the catalog does not explain (exit 0; ARGS=--fail to fail on any).
DRIFT_VENV := $(VENV)-drift
aws-drift:
	test -d $(DRIFT_VENV) || $(PYTHON) -m venv $(DRIFT_VENV)
	$(DRIFT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade botocore
	$(DRIFT_VENV)/bin/python bot/catalog/coverage.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot handlers remediations tests bench

clean:
	rm -rf $(VENV) $(DRIFT_VENV) build *.egg-info
