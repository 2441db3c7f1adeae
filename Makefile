# Two commands matter: `make demo` and `make test`. Both build the virtualenv from this repo's own files first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_QUIET ?= --quiet --disable-pip-version-check

# The Lambda runs python3.13: the same tests run there too (pyenv's 3.13 on this kind of machine).
LAMBDA_PYTHON ?= $(shell pyenv root 2>/dev/null)/versions/3.13.0/bin/python3
VENV_313 := .venv-py313

.PHONY: venv demo test test-py313 lint unit functional integration clean

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

test-py313: $(VENV_313)/.installed-stamp
	$(VENV_313)/bin/python -m pytest -q -p no:cacheprovider

$(VENV_313)/.installed-stamp: pyproject.toml constraints.txt
	$(LAMBDA_PYTHON) -m venv $(VENV_313)
	$(VENV_313)/bin/python -m pip install $(PIP_QUIET) -c constraints.txt -e '.[dev,local]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check handler tests
	$(BIN)/ruff format --check handler tests
	$(BIN)/mypy

unit functional integration: $(STAMP)
	$(BIN)/python -m pytest tests/$@

clean:
	rm -rf $(VENV) $(VENV_313) .pytest_cache .mypy_cache .ruff_cache .hypothesis
