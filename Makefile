# artifact-guard: one entry point for building, testing and measuring.
# `make test` is what CI runs (.ci/run); it needs only the Rust toolchain.

SHELL := /bin/bash
CARGO ?= cargo
SNAPSHOT ?= examples/snapshot.json

.PHONY: all build venv test lint fmt-check clippy unit-and-integration example bench bench-engine bench-snapshot clean

# Test and demo tools (moto's server, cargo-lambda), pinned in requirements-dev.txt, in a
# project-local virtualenv. Rebuilt when the pins change.
VENV := .venv
PYTHON ?= python3

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

all: build

build:
	$(CARGO) build --workspace --bins

## test: formatting, lints, then every unit, property and integration test (the integration
## tests start moto and cargo-lambda's Lambda Runtime API emulator from .venv).
test: fmt-check clippy venv unit-and-integration

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The integration tests run the built binaries, so build them first. cargo-nextest (shipped with
# this project's machine image) runs the suite and ends with one summary line; plain `cargo test`
# is the fallback where it is missing.
unit-and-integration:
	$(CARGO) build --workspace --bins
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  $(CARGO) test --workspace --all-targets; \
	fi

## example: assess the example snapshot (the README's quick start).
example:
	$(CARGO) run --quiet --release --bin artifact-guard -- assess --snapshot $(SNAPSHOT) --format table || test $$? -eq 1

## bench: engine throughput (criterion) and a generated 1 GB snapshot (wall time, peak RSS).
bench: bench-engine bench-snapshot

bench-engine:
	$(CARGO) bench -p artifact-guard-bench --bench engine

bench-snapshot:
	bash bench/snapshot.sh

clean:
	$(CARGO) clean
	rm -rf bench/out $(VENV)
