# Two commands matter: `make demo` and `make test`. Both build the virtualenv from this repo's own files first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_QUIET ?= --quiet --disable-pip-version-check

# The Lambda runs python3.13: the same tests run there too (pyenv's 3.13 on this kind of machine).
LAMBDA_PYTHON ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13.0/bin/python3) $(shell command -v python3.13) python3.13)
VENV_313 := .venv-py313

# The SAM CLI and cfn-lint live in their own virtualenv (the SAM CLI pins an older boto3).
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-stamp
# python3.13 with only boto3: what the Lambda runtime offers, to run the built function on; and awslambdaric, the
# runtime's own interface client (its bootstrap and context object), which tests/e2e runs the function under.
LAMBDA_VENV := .venv-lambda
LAMBDA_STAMP := $(LAMBDA_VENV)/.installed-stamp
SAM_ENV = PATH="$(dir $(realpath $(LAMBDA_VENV)/bin/python))$${PATH:+:$$PATH}" SAM_CLI_TELEMETRY=0

.PHONY: venv demo test test-py313 lint check build layer-size bench unit functional integration clean mutate

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) -c constraints.txt -e '.[dev,local]'
	touch $@

venv: $(STAMP)

## The main job on the embedded default: an in-process AWS (moto's server on 127.0.0.1).
demo: $(STAMP)
	$(BIN)/python -m ecs_teardown_tools.demo

## The embedded AWS on its own, for the README's emulator examples: moto on 127.0.0.1:$(EMULATOR_PORT) with a cluster
## `demo` (services `web` and `worker`); Ctrl-C stops it.
EMULATOR_PORT ?= 5000
.PHONY: emulator
emulator: $(STAMP)
	$(BIN)/python -m ecs_teardown_tools.emulator --port $(EMULATOR_PORT)

## Every test: lint and types, then unit, functional, integration and template (cfn-lint, SAM) tests.
test: lint $(SAM_STAMP) $(LAMBDA_STAMP)
	$(BIN)/python -m pytest

$(SAM_STAMP): constraints-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install $(PIP_QUIET) -r constraints-sam.txt
	touch $@

$(LAMBDA_STAMP): constraints.txt
	$(LAMBDA_PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install $(PIP_QUIET) -c constraints.txt boto3 awslambdaric
	touch $@

## The deployer's checks on their own: cfn-lint, sam validate --lint, sam build (into .aws-sam/).
check: $(SAM_STAMP) $(LAMBDA_STAMP)
	$(SAM_VENV)/bin/cfn-lint template.yaml examples/*.yaml
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint
	$(SAM_ENV) $(SAM_VENV)/bin/sam build

build: check

## Figures, not pass/fail: answer latency, ECS calls, scale and cold start against the usual alternatives.
bench: $(STAMP) check
	$(BIN)/python bench/run.py

## The dependency layer's zipped size (what Lambda stores and loads).
layer-size: check
	cd .aws-sam/build/DependenciesLayer && rm -f /tmp/ecs-teardown-layer.zip && \
	  $(CURDIR)/$(BIN)/python -m zipfile -c /tmp/ecs-teardown-layer.zip python >/dev/null && \
	  $(CURDIR)/$(BIN)/python -c "import os; print(f'layer zipped: {os.path.getsize(\"/tmp/ecs-teardown-layer.zip\") / 1e6:.2f} MB')"

test-py313: $(VENV_313)/.installed-stamp
	$(VENV_313)/bin/python -m pytest -q -p no:cacheprovider

$(VENV_313)/.installed-stamp: pyproject.toml constraints.txt
	$(LAMBDA_PYTHON) -m venv $(VENV_313)
	$(VENV_313)/bin/python -m pip install $(PIP_QUIET) -c constraints.txt -e '.[dev,local]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check handler tests bench
	$(BIN)/ruff format --check handler tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit functional integration: $(STAMP)
	$(BIN)/python -m pytest tests/$@

## Mutation testing (mutmut, mutation/): the core, the physical ids, the properties and the ResponseURL check, each
## mutant against tests/unit and tests/functional; prints the score per module and every surviving mutant. Not part
## of `make test` (tens of minutes on 2 cores). `make mutate MODULES="core/machine.py cfn/identity.py"` runs a few.
mutate: $(STAMP)
	$(BIN)/python mutation/run.py $(MODULES)

clean:
	rm -rf $(VENV) $(VENV_313) $(SAM_VENV) $(LAMBDA_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
