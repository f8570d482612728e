# Two commands a newcomer needs: `make demo` and `make test`. Each creates .venv if missing.
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
	$(BIN)/python -m pytest

# Benchmarks (issue 5): prints a table of figures; needs jq (installed from Debian if missing)
bench: $(STAMP)
	command -v jq >/dev/null || apt-get install -y -q jq || sudo apt-get install -y -q jq
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check bot handlers remediations tests bench

clean:
	rm -rf $(VENV) build *.egg-info
