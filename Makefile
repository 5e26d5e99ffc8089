# idplex: `make run` serves the product, `make test` runs the whole test suite.
# Both install what they need (the wasm32-wasip2 target, Debian's redis-server and chromium,
# the browser test's npm packages) themselves.

CARGO ?= cargo
WASM_TARGET := wasm32-wasip2
COMPONENT := target/$(WASM_TARGET)/release/idplex_component.wasm
LISTEN ?= 127.0.0.1:8080
DATA ?= ./idplex-data

BROWSER_DIR := tests/browser

.PHONY: all build build-component run test bench-storage fuzz-smoke setup redis-server browser-deps clippy fmt clean

all: build

## setup: install the Rust target the component is built for.
setup:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

## build-component: the idplex component (all product logic) and the Spin front, for wasm32-wasip2.
build-component: setup
	$(CARGO) build --release --target $(WASM_TARGET) -p idplex-component -p idplex-spin

## build: the component, then the `idplex` executable with the component embedded.
## Built for the whole workspace with all targets so that `make test` reuses every artefact
## (the same feature resolution: wasmtime is compiled once).
build: build-component
	$(CARGO) build --release --workspace --all-targets
	@echo "built target/release/idplex (component embedded: $(COMPONENT))"

## run: build and serve with the embedded defaults (SQLite store in $(DATA)).
run: build
	./target/release/idplex serve --listen $(LISTEN) --data $(DATA)

## redis-server: Debian's redis-server, for the Redis store tests (each test starts its own
## private one on a free port; none runs as a service).
redis-server:
	@command -v redis-server >/dev/null || { \
	  sudo=$$(test "$$(id -u)" -eq 0 || echo sudo); \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; }

## browser-deps: what the console browser test (tests/tests/console_browser.rs) needs: Debian's
## chromium, and tests/browser's npm packages (npm ci, only when package-lock.json changed).
browser-deps: $(BROWSER_DIR)/node_modules/.package-lock.json
	@command -v chromium >/dev/null || { \
	  sudo=$$(test "$$(id -u)" -eq 0 || echo sudo); \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

$(BROWSER_DIR)/node_modules/.package-lock.json: $(BROWSER_DIR)/package-lock.json $(BROWSER_DIR)/package.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 or later with npm" >&2; exit 1; }
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund
	@touch $@

## test: every test: component unit tests, host tests, end-to-end tests (the console in Chromium too).
test: build redis-server browser-deps
	$(CARGO) test --release --workspace --no-fail-fast

## bench-storage: storage scaling figures (1,000 vs 100,000 users; BENCH_ARGS="--sizes 1000,1000000" for more).
bench-storage: build
	./target/release/bench-storage $(BENCH_ARGS)

## fuzz-smoke: each fuzz target for FUZZ_SECONDS (default 30) from the committed corpus; installs
## nightly and cargo-fuzz if missing (docs/fuzzing.md). Not part of `test`.
fuzz-smoke:
	./fuzz/smoke.sh

## clippy: lints for the host (native) and the component (native and wasm).
clippy: setup
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p idplex-component -p idplex-spin -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
