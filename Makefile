# FeatSim — the two commands: `make serve` and `make test`. Both set up what is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080

.PHONY: setup web page page-linted dist serve test checks lint test-native test-autotune test-e2e fuzz size clean bench bench-page-load bench-embed

setup:
	@bash scripts/setup.sh

## The release page in dist/, with its size printed.
web: setup
	@$(MAKE) --no-print-directory page

## `web` without the set-up check.
page:
	+trunk build --release
	@$(MAKE) --no-print-directory size

## dist/ is the whole static site: copy it to any host, at any sub-path.
dist: web

size:
	@w=$$(ls dist/*.wasm); printf 'release wasm: %s bytes raw, %s bytes gzip (%s)\n' \
	  $$(stat -c %s $$w) $$(gzip -9 -c $$w | wc -c) $$w

## FeatSim vs the original TF.js ResNet50 in headless Chromium (issue #6). bench.html is its own
## Trunk target, built with the `bench` feature (the module's bench exports, no page) into its
## own dist, so neither it nor the 100 MB TF.js model ever lands in the page's dist/, and a
## parallel `make web` cannot swap the files under a running bench. BENCH_RUNS: timed runs after
## one warm-up. BENCH_FEATURES: more cargo features (e.g. `autotune`), BENCH_QUERY: e.g.
## `skip=tfjs-cpu`.
BENCH_DIST := target/bench/dist$(if $(BENCH_FEATURES),-$(BENCH_FEATURES))
BENCH_RUNS ?= 5
comma := ,
bench: setup
	@start=$$(date +%s); \
	trunk build bench.html --release --html-output bench.html --dist $(BENCH_DIST) --features bench$(if $(BENCH_FEATURES),$(comma)$(BENCH_FEATURES)) && \
	node benches/stage-tfjs.mjs $(BENCH_DIST) && \
	mkdir -p target/bench && \
	target/debug/featsim bench --weights weights/resnet50-imagenet.bpk --image gallery/chelsea.png --runs 3 | tee target/bench/native-cpu.txt && \
	tail -n 1 target/bench/native-cpu.txt > target/bench/native-cpu.json && \
	node benches/browser.mjs $(BENCH_DIST) $(BENCH_RUNS) $(BENCH_QUERY) && \
	$(MAKE) --no-print-directory page && \
	node benches/page-load.mjs dist $(PAGE_LOAD_MBIT) && \
	node benches/embed.mjs dist && \
	echo "make bench: $$(( $$(date +%s) - start )) s in all"

## Only the page-load half of `make bench` (the built page itself, streamed vs single model file,
## CPU and WebGPU, on a throttled network): target/bench/page-load.json.
PAGE_LOAD_MBIT ?= 40
bench-page-load: web
	node benches/page-load.mjs dist $(PAGE_LOAD_MBIT)

## Only the embed half: a baked and a live figure in a blog page, CPU and WebGPU, bytes and
## seconds to the first heatmap: target/bench/embed.json.
bench-embed: web
	node benches/embed.mjs dist

serve: web
	node scripts/serve.mjs dist $(PORT)

## What `make test` checks, by hand (`make test` lints inside its builds instead: see `checks`).
## `+`: cargo joins make's jobserver, so under `make test` the two halves share the two cores
## instead of each starting two compilers.
lint:
	cargo fmt --check
	+cargo clippy --all-targets -- -D warnings
	+cargo clippy --target wasm32-unknown-unknown --lib --bins --no-default-features -- -D warnings
	@# The bench page's code too (only our crate is checked again: the feature is ours alone).
	+cargo clippy --target wasm32-unknown-unknown --lib --bins --no-default-features --features bench -- -D warnings

## Without burn's autotune: the page's kernel set (Trunk.toml builds the page the same way) is
## what the wgpu-vs-CPU tests check on lavapipe, and autotuning every conv shape on a CPU Vulkan
## took 11 of a cold run's minutes. setup.sh builds the CLI with the same features, so one
## dependency set serves both. `make test-autotune` checks the autotuned kernels too.
test-native: export FEATSIM_REQUIRE_WGPU = 1
test-native:
	+cargo test --no-default-features

test-autotune: export FEATSIM_REQUIRE_WGPU = 1
test-autotune:
	cargo test --test wgpu_agrees

## The generated-input suites (tests/bad_inputs/fuzz/) at 100,000 inputs per parser instead of
## `cargo test`'s 10,000. FUZZ_CASES and FUZZ_SEED (a number) explore further.
FUZZ_CASES ?= 100000
fuzz:
	+FEATSIM_FUZZ_CASES=$(FUZZ_CASES) $(if $(FUZZ_SEED),FEATSIM_FUZZ_SEED=$(FUZZ_SEED)) \
	  cargo test --no-default-features --test bad_inputs fuzz:: -- --nocapture

## Two lanes at once, each one file at a time: the files that use WebGPU (SwiftShader keeps both
## cores busy) and the rest (the page's CPU backend is one thread). One file at a time the set
## took 6 min 9 s. Two WebGPU files side by side starved Chromium's GPU process: a screenshot
## timed out in a cold run, so they never share the machine with each other. Each lane's TAP is
## printed when both have ended.
E2E_WEBGPU := tests/e2e/boot.test.mjs tests/e2e/device-lost.test.mjs tests/e2e/similarity.test.mjs tests/e2e/soak.test.mjs tests/e2e/views-webgpu.test.mjs
E2E_OTHER := $(filter-out $(E2E_WEBGPU),$(sort $(wildcard tests/e2e/*.test.mjs)))
test-e2e:
	@mkdir -p target/e2e
	@node --test --test-concurrency=1 $(E2E_WEBGPU) > target/e2e/webgpu-lane.tap 2>&1 & lane=$$!; \
	node --test --test-concurrency=1 $(E2E_OTHER) > target/e2e/other-lane.tap 2>&1; other=$$?; \
	wait $$lane; webgpu=$$?; \
	cat target/e2e/webgpu-lane.tap target/e2e/other-lane.tap; \
	echo "e2e: WebGPU lane rc $$webgpu, other lane rc $$other"; \
	[ $$webgpu -eq 0 ] && [ $$other -eq 0 ]

## `make test` lints inside the builds it needs anyway. clippy-driver as the workspace's compiler
## wrapper is exactly what `cargo clippy` does, but `cargo clippy` also checks every dependency a
## second time for each target (metadata-only units, shared with no build): most of ten minutes
## of a cold run on two cores. Here only our crate goes through clippy, with the same lints and
## -D warnings, and its dependencies are the ones the tests and the page are built with.
CLIPPY := RUSTC_WORKSPACE_WRAPPER=clippy-driver CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__

## fmt, then clippy on the native lib, bins and tests as `cargo test` builds and runs them.
checks: export FEATSIM_REQUIRE_WGPU = 1
checks:
	cargo fmt --check
	+$(CLIPPY) cargo test --no-default-features

## The release page, linted for wasm32 as it builds; then the bench's code (only our crate is
## built again: the feature is ours alone, its dependencies are the page's).
page-linted:
	+$(CLIPPY) trunk build --release
	+$(CLIPPY) cargo build --locked --release --target wasm32-unknown-unknown --lib --no-default-features --features bench
	@$(MAKE) --no-print-directory size

## The release page builds beside the checks: its fat-LTO link and wasm-opt run on one core for
## about five minutes, and cargo locks per profile and target, so the two never wait on each
## other. Each half's output is printed as a block when it ends.
test: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=recurse checks page-linted
	@$(MAKE) --no-print-directory test-e2e

clean:
	cargo clean
	rm -rf dist
