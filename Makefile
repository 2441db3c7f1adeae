# Two commands matter: `make demo` and `make test`. Both build the virtualenv from this repo's own files first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_QUIET ?= --quiet --disable-pip-version-check

.PHONY: venv demo test lint unit functional integration clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) -c constraints.txt -e '.[dev,local]'
	touch $@

venv: $(STAMP)

## The main job on the embedded default: an in-process AWS (moto's server on 127.0.0.1).
demo: $(STAMP)
	$(BIN)/python -m ecs_teardown.demo

## Every test: lint and types, then unit, functional and integration tests.
test: lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check handler tests
	$(BIN)/ruff format --check handler tests
	$(BIN)/mypy

unit functional integration: $(STAMP)
	$(BIN)/python -m pytest tests/$@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
