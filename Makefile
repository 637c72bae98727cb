# Two commands do all the set-up: `make demo` runs the sample DAG on the local stack, `make test` runs the checks.
# Each creates .venv (with uv, from PyPI) and installs the locked dependencies on first use.
#   make test      lint, types, and every test that needs no full Airflow stack (about 4.5 minutes on 2 cores)
#   make test-all  lint, types, and every test, the e2e tier last (about 17 minutes on 2 cores); CI runs it
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

.PHONY: demo test test-all lint bench clean

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

# The unit, integration and pure soak tiers, with one deploy synth (tests/conftest.py marks each test).
# Two workers (pytest-xdist): most of these tests wait on a subprocess or a socket, so two share two cores
# well; tests/conftest.py keeps each module, and the synth's users, in one worker.
test: lint
	$(BIN)/pytest -m "not e2e and not second_synth" -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Everything: the tiers above in two workers (the variant synth too), then the e2e tier (the real Airflow
# components on local stacks) in one process: each of its tests keeps both cores busy on its own.
test-all: lint
	$(BIN)/pytest -m "not e2e" -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

bench: $(VENV)/.synced
	$(BIN)/python benchmarks/launch_throughput.py

clean:
	rm -rf $(VENV)
