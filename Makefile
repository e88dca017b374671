# make run   — create .venv if needed, install from requirements.lock, run the demo
# make test  — create .venv if needed, install from requirements-dev.lock, lint, run the suite
# make bench — run the benchmarks and print their figures
# make lock  — pin pyproject.toml's dependencies again (UPGRADE=1 moves every pin to the newest)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Every file pinned by version and hash, setuptools and wheel too: the project itself is then
# installed from the tree against those, with no download left unpinned.
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes --no-deps
PIP_PROJECT := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps \
	--no-emit-index-url --no-emit-find-links --newline=LF $(if $(UPGRADE),--upgrade)

.PHONY: run test lint bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installed again when a lock file or pyproject.toml (entry points, packages) changes.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r requirements.lock
	$(PIP_PROJECT)
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r requirements-dev.lock
	$(PIP_PROJECT)
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/firecircle demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the layers: [tool.importlinter] in pyproject.toml

test: lint
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# The dev lock is constrained by the runtime one, so both pin the same runtime versions.
lock: $(VENV)/.installed-dev
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) \
		-o requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) \
		--extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
