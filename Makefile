# The ways in. `make demo` and `make test` are the two a newcomer needs (README).
.PHONY: all deps build demo test fuzz-smoke test-slow asan bench clean

all: build

deps:
	@scripts/install-deps.sh

# Release binary at build/release/bin/ballast.
build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target ballast

demo: build
	@build/release/bin/ballast simulate --config configs/simulate-default.toml --out build/demo

# Every test: the debug build's suites, then the libFuzzer smoke run in the clang build.
test: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev
	@ctest --preset dev
	@$(MAKE) --no-print-directory fuzz-smoke

fuzz-smoke: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz --target fuzz_targets
	@ctest --preset fuzz

# Long suites (many crash rounds, long property runs) kept out of `make test`.
test-slow: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@ctest --preset slow

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

# Google Benchmark binaries, release build; figures go to docs/BENCHMARKS.md.
bench: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@scripts/run-benchmarks.sh build/release/bin

clean:
	@rm -rf build
