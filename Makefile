# artifact-guard: one entry point for building, testing and measuring.
# `make test` is what CI runs (.ci/run); it needs only the Rust toolchain.

SHELL := /bin/bash
CARGO ?= cargo
SNAPSHOT ?= examples/snapshot.json

.PHONY: all build test lint fmt-check clippy unit-and-integration example bench bench-engine bench-snapshot clean

all: build

build:
	$(CARGO) build --workspace --bins

## test: formatting, lints, then every unit, property and integration test.
test: fmt-check clippy unit-and-integration

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
	rm -rf bench/out
