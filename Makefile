# FeatSim — the two commands: `make serve` and `make test`. Both set up what is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080

.PHONY: setup web serve test lint test-native test-e2e size clean

setup:
	@bash scripts/setup.sh

## The release page in dist/, with its size printed.
web: setup
	trunk build --release
	@$(MAKE) --no-print-directory size

size:
	@w=$$(ls dist/*.wasm); printf 'release wasm: %s bytes raw, %s bytes gzip (%s)\n' \
	  $$(stat -c %s $$w) $$(gzip -9 -c $$w | wc -c) $$w

serve: web
	node scripts/serve.mjs dist $(PORT)

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --lib --bins -- -D warnings

test-native: export FEATSIM_REQUIRE_WGPU = 1
test-native:
	cargo test

test-e2e:
	node --test --test-concurrency=1 tests/e2e/

test: setup lint test-native web test-e2e

clean:
	cargo clean
	rm -rf dist
