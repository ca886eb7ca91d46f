# RaftStep: `make run` starts the REPL, `make test` runs every test. Both install what the build
# needs first (libreadline-dev through apt-get when it is missing).
SWIFT ?= swift
ARGS ?=

.PHONY: setup build run test bench clean

setup:
	@bash .ci/setup

build: setup
	$(SWIFT) build

run: setup
	$(SWIFT) build -c release --product raftstep
	.build/release/raftstep $(ARGS)

test: setup
	$(SWIFT) build --build-tests
	.build/debug/raftstep lesson --check-all
	$(SWIFT) test

# Benchmarks against baselines measured in the same run (see Benchmarks.md). Not part of `test`.
bench: setup
	$(SWIFT) build -c release --product raftbench
	.build/release/raftbench $(ARGS)

clean:
	rm -rf .build
