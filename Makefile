# Two commands set up everything on a fresh machine:
#   make demo   venv + install + the Figure 2 reproduction and its report in runs/demo/
#   make test   venv + install (with the transformer and ray extras) + ruff, the import
#               layers (lint-imports) and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
BASE_STAMP := $(VENV)/.installed-base
FULL_STAMP := $(VENV)/.installed-full

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BASE_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[dev]'
	touch $@

$(FULL_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[dev,lora,ray]'
	touch $@ $(BASE_STAMP)

demo: $(BASE_STAMP)
	$(BIN)/ncnet toy --hidden 2,3,4 --runs 50 --epochs 5000 --out runs/demo

test: $(FULL_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(BASE_STAMP)
	$(BIN)/ncnet bench toy

clean:
	rm -rf $(VENV) runs .pytest_cache
