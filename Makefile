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
	$(BIN)/ruff check bot handlers remediations tests
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot handlers remediations tests

clean:
	rm -rf $(VENV) build *.egg-info
