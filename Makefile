# artifact-guard: one entry point for building, testing and measuring.
# `make test` is what CI runs (.ci/run); it needs the Rust toolchain, and Python 3 with pip and
# venv for the test tools it installs into .venv (moto, cargo-lambda, cfn-lint, checkov, SAM CLI).

SHELL := /bin/bash
CARGO ?= cargo
SNAPSHOT ?= examples/snapshot.json
# Where cargo puts what it builds, asked of cargo (CARGO_TARGET_DIR and .cargo/config count);
# exported for the scripts under bench/ that run built binaries.
export TARGET_DIR := $(shell $(CARGO) metadata --format-version 1 --no-deps 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null || echo $(CURDIR)/target)

.PHONY: all build chromium demo-org golden fuzz-build venv sam-venv sam-build test lint fmt-check clippy deny advisories fuzz lint-templates unit-and-integration example bench bench-engine bench-instructions bench-snapshot bench-snapshot-files bench-coldstart bench-sweep bench-org-sweep bench-size package deploy demo clean

# Test and demo tools (moto's server, cargo-lambda), pinned in requirements-dev.txt, in a
# project-local virtualenv. Rebuilt when the pins change.
VENV := .venv
PYTHON ?= python3

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The AWS SAM CLI in its own project-local virtualenv: it pins boto3 exactly, and so does checkov,
# to versions that cannot share one (requirements-sam.txt).
SAM_VENV := .venv-sam
# No telemetry, no instance-metadata lookups: `sam validate --lint` runs offline.
SAM := SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true $(SAM_VENV)/bin/sam

sam-venv: $(SAM_VENV)/.installed

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

all: build

build:
	$(CARGO) build --workspace --bins

## test: formatting, lints, then every unit, property and integration test (the integration
## tests start moto and cargo-lambda's Lambda Runtime API emulator from .venv).
test: fmt-check clippy deny venv lint-templates unit-and-integration fuzz-build

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Rust tools, pinned, in a project-local folder.
TOOLS := .tools
DENY_VERSION := 0.20.2

$(TOOLS)/cargo-deny-$(DENY_VERSION).stamp:
	$(CARGO) install --locked --quiet --root $(TOOLS) cargo-deny --version $(DENY_VERSION)
	touch $@

## deny: licenses (permissive only), bans (one TLS stack) and sources (crates.io only), per deny.toml.
deny: $(TOOLS)/cargo-deny-$(DENY_VERSION).stamp
	$(TOOLS)/bin/cargo-deny --log-level error check bans licenses sources

## advisories: the RustSec advisory check; needs the network to fetch the database.
advisories: $(TOOLS)/cargo-deny-$(DENY_VERSION).stamp
	$(TOOLS)/bin/cargo-deny check advisories

## fuzz-build: the fuzz targets compiled with the stable toolchain, so that they cannot rot unseen
## (running them is `make fuzz`). With the workspace's lock file and target directory, only the
## fuzz crate and libFuzzer are built anew.
fuzz-build:
	cp Cargo.lock fuzz/Cargo.lock
	$(CARGO) build --manifest-path fuzz/Cargo.toml --bins --target-dir $(TARGET_DIR)

FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 60

$(TOOLS)/cargo-fuzz-$(FUZZ_VERSION).stamp:
	$(CARGO) install --locked --quiet --root $(TOOLS) cargo-fuzz --version $(FUZZ_VERSION)
	touch $@

## fuzz: every cargo-fuzz target for FUZZ_SECONDS seconds from the fixtures (needs nightly Rust:
## `rustup toolchain install nightly`).
fuzz: venv $(TOOLS)/cargo-fuzz-$(FUZZ_VERSION).stamp
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" bash fuzz/run.sh $(FUZZ_SECONDS)

TEMPLATES := template.yaml examples/pipeline-stack.yaml org/central.yaml org/member.yaml

## lint-templates: cfn-lint, checkov (every skipped check carries its reason in the template),
## then the SAM CLI's own validation with its linter.
lint-templates: venv sam-venv
	$(VENV)/bin/cfn-lint $(TEMPLATES)
	$(VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation $(addprefix -f ,$(TEMPLATES))
	for t in $(TEMPLATES); do $(SAM) validate --lint --region us-east-1 --template $$t || exit 1; done

# The integration tests run the built binaries, so build them first. cargo-nextest (shipped with
# this project's machine image) runs the suite and ends with one summary line; plain `cargo test`
# is the fallback where it is missing.
unit-and-integration: chromium
	$(CARGO) build --workspace --bins
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  $(CARGO) test --workspace --all-targets; \
	fi

## chromium: Debian's Chromium for the HTML report's browser test (tests/html_report.rs), from
## the distribution's archive (its security updates replace old versions, so the distribution's
## release pins it rather than a version number). Installed with apt as root, or through sudo.
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	chromium --version

## golden: rewrite the golden files from the current build, after an intended change to a report
## (the tests only compare against them). Review the diff before committing it.
GOLDEN_TEMPLATES := tests/templates/protected.yaml tests/templates/unprotected.json tests/templates/unresolved.yaml examples/pipeline-stack.yaml
golden:
	$(CARGO) run --quiet --bin artifact-guard -- assess --snapshot $(SNAPSHOT) --format table > tests/fixtures/golden/example-table.txt || test $$? -eq 1
	$(CARGO) run --quiet --bin artifact-guard -- check-template $(GOLDEN_TEMPLATES) --format sarif > tests/fixtures/golden/templates.sarif || test $$? -eq 1
	git diff --stat tests/fixtures/golden

## example: assess the example snapshot (the README's quick start).
example:
	$(CARGO) run --quiet --release --bin artifact-guard -- assess --snapshot $(SNAPSHOT) --format table || test $$? -eq 1

## bench: engine throughput (criterion), a generated 1 GB snapshot (wall time, peak RSS), cold
## starts against a local Lambda Runtime API, the sweep against moto and the arm64 package sizes.
## Each step writes its figures into BENCHMARKS.md (bench/record.py: date, commit, machine,
## command), so `make bench` leaves BENCHMARKS.md up to date; one step updates only its block.
bench: bench-engine bench-instructions bench-snapshot bench-snapshot-files bench-coldstart bench-sweep bench-org-sweep bench-size

BENCH_OUT := bench/out
RECORD = mkdir -p $(BENCH_OUT) && $(PYTHON) bench/record.py

bench-coldstart: venv
	$(CARGO) build --release --quiet $(addprefix -p ,$(FUNCTIONS))
	mkdir -p $(BENCH_OUT)
	$(VENV)/bin/python bench/coldstart.py 20 $(TARGET_DIR)/release > $(BENCH_OUT)/coldstart.md
	cat $(BENCH_OUT)/coldstart.md
	$(RECORD) coldstart "make bench-coldstart" < $(BENCH_OUT)/coldstart.md

bench-engine:
	$(CARGO) bench -p artifact-guard-bench --bench engine
	$(RECORD) engine "make bench-engine" < /dev/null

## bench-instructions: the engine's instructions per resource under callgrind (valgrind), which
## repeat exactly on a shared host where the wall-clock figures above vary by half.
bench-instructions:
	$(CARGO) build --profile bench --quiet -p artifact-guard-bench --bin assess-repeat
	mkdir -p $(BENCH_OUT)
	bash bench/instructions.sh $(TARGET_DIR)/release/assess-repeat > $(BENCH_OUT)/instructions.txt
	cat $(BENCH_OUT)/instructions.txt
	$(RECORD) instructions "make bench-instructions" < $(BENCH_OUT)/instructions.txt

bench-snapshot:
	mkdir -p $(BENCH_OUT)
	bash bench/snapshot.sh > $(BENCH_OUT)/snapshot.txt
	cat $(BENCH_OUT)/snapshot.txt
	$(RECORD) snapshot "make bench-snapshot" < $(BENCH_OUT)/snapshot.txt
	MIX=artifacts bash bench/snapshot.sh > $(BENCH_OUT)/snapshot-artifacts.txt
	cat $(BENCH_OUT)/snapshot-artifacts.txt
	$(RECORD) snapshot-artifacts "make bench-snapshot" < $(BENCH_OUT)/snapshot-artifacts.txt

## bench-snapshot-files: a gigabyte of buckets, keys and pipelines only, over ACCOUNTS accounts
## (default 50), one gzip file each in Config's delivery layout, assessed as one directory.
bench-snapshot-files:
	mkdir -p $(BENCH_OUT)
	MIX=artifacts ACCOUNTS=$(ACCOUNTS) bash bench/snapshot.sh > $(BENCH_OUT)/snapshot-files.txt
	cat $(BENCH_OUT)/snapshot-files.txt
	$(RECORD) snapshot-files "make bench-snapshot-files ACCOUNTS=$(ACCOUNTS)" < $(BENCH_OUT)/snapshot-files.txt

## bench-sweep: the periodic sweep against moto with PIPELINES pipelines (default 500, the size
## issue 7 names), without and with AWS Config recording the pipelines.
bench-sweep:
	mkdir -p $(BENCH_OUT)
	PIPELINES=$(PIPELINES) bash bench/sweep.sh > $(BENCH_OUT)/sweep.txt
	cat $(BENCH_OUT)/sweep.txt
	$(RECORD) sweep "make bench-sweep PIPELINES=$(PIPELINES)" < $(BENCH_OUT)/sweep.txt

PIPELINES ?= 500

## bench-org-sweep: scan --organization of ACCOUNTS members × ORG_PIPELINES pipelines on moto.
bench-org-sweep:
	mkdir -p $(BENCH_OUT)
	ACCOUNTS=$(ACCOUNTS) PIPELINES=$(ORG_PIPELINES) bash bench/org_sweep.sh > $(BENCH_OUT)/org-sweep.txt
	cat $(BENCH_OUT)/org-sweep.txt
	$(RECORD) org-sweep "make bench-org-sweep ACCOUNTS=$(ACCOUNTS) ORG_PIPELINES=$(ORG_PIPELINES)" < $(BENCH_OUT)/org-sweep.txt

ACCOUNTS ?= 50
ORG_PIPELINES ?= 20

## bench-size: the arm64 release binaries and zips that `make package` builds.
bench-size: package
	mkdir -p $(BENCH_OUT)
	bash bench/size.sh $(FUNCTIONS) > $(BENCH_OUT)/size.md
	cat $(BENCH_OUT)/size.md
	$(RECORD) size "make bench-size" < $(BENCH_OUT)/size.md

FUNCTIONS := config-rule artifact-store pipeline-check template-hook

## package: the functions for Lambda (arm64, release), zipped under <target dir>/lambda/<name>/.
package: venv
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --arm64 --output-format zip $(addprefix -p ,$(FUNCTIONS))
	@ls -l $(foreach f,$(FUNCTIONS),$(TARGET_DIR)/lambda/$(f)/bootstrap.zip)

## sam-build: `sam build` with the project's own SAM CLI and cargo-lambda (its rust-cargolambda
## builder cross-compiles each function for arm64 in release); no AWS account needed.
sam-build: venv sam-venv
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build --beta-features

## deploy: sam-build, then `sam deploy` with the settings in samconfig.toml (needs AWS credentials).
deploy: sam-build
	$(SAM) deploy

## demo: the whole flow on a local AWS emulator (moto) through the real function binaries.
demo: venv
	$(CARGO) build --quiet $(addprefix -p ,$(FUNCTIONS)) -p artifact-guard-cli
	$(VENV)/bin/python demo/demo.py

## demo-org: an organization of three accounts on one moto (demo/organization.py): the central functions
## judge the members through their execution roles; scan --organization writes an HTML report.
demo-org: venv
	$(CARGO) build --quiet $(addprefix -p ,$(FUNCTIONS)) -p artifact-guard-cli
	$(VENV)/bin/python demo/organization.py

clean:
	$(CARGO) clean
	rm -rf bench/out $(VENV) $(SAM_VENV) $(TOOLS)
