# Two commands do all the set-up: `make demo` runs the sample DAG on the local stack, `make test` runs the checks.
# Each creates .venv (with uv, from PyPI) and installs the locked dependencies on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: demo test lint unit integration e2e bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.synced: pyproject.toml uv.lock | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --all-extras --compile-bytecode --python $(BIN)/python
	touch $@

demo: $(VENV)/.synced
	$(BIN)/farflow demo

lint: $(VENV)/.synced
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(VENV)/.synced
	$(BIN)/python benchmarks/launch_throughput.py

clean:
	rm -rf $(VENV)
