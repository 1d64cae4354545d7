# contagion-engine: the two commands of the README are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-without-fast install bench weekly clean

$(BIN)/contagion: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,fast]'
	@touch $@

install: $(BIN)/contagion

## Install, then run the baseline stress test on the embedded China dataset.
demo: install
	$(BIN)/contagion info
	$(BIN)/contagion validate
	$(BIN)/contagion stress

## Run the whole test suite (offline, deterministic).
test: install
	$(BIN)/python -m pytest

## The suite again with the optional kernels (numba, python-graphblas) hidden: the SciPy-only install.
test-without-fast: install
	CONTAGION_WITHOUT_FAST=1 $(BIN)/python -m pytest

## Benchmarks on a generated 1M-node / 10M-edge bundle (prints ratios).
bench: install
	$(BIN)/python -m engine.bench

## Weekly report for the current ISO week into reports/<week>/ (exit 4 = alert threshold crossed).
weekly: install
	$(BIN)/contagion report --config config/weekly.toml

clean:
	rm -rf $(VENV) build dist .pytest_cache bench-data
