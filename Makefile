# RaftStep: `make run` starts the REPL, `make test` runs every test. Both install what the build
# needs first (libreadline-dev through apt-get when it is missing).
SWIFT ?= swift
ARGS ?=

.PHONY: setup build run test lint bench bench-raftd bench-targets explore explore-mutants fuzz chaos clean

setup:
	@bash .ci/setup

build: setup
	$(SWIFT) build

run: setup
	$(SWIFT) build -c release --product raftstep
	.build/release/raftstep $(ARGS)

# The code's layout and the lint rules of .swift-format (`swift format -i -r Sources Tests Examples Fuzz Package.swift` fixes most findings).
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Examples Fuzz Package.swift

test: setup lint
	$(SWIFT) build --build-tests
	.build/debug/raftstep lesson --check-all
	$(SWIFT) test

# Benchmarks against baselines measured in the same run (README, "Tests and benchmarks"). Not part of `test`.
bench: setup
	$(SWIFT) build -c release --product raftbench
	.build/release/raftbench $(ARGS)

# raftd (3 nodes, loopback) under redis-benchmark beside a durable redis-server (Benchmarks/raftd-bench.sh; MEMORY=1 adds the 1M-SET memory run, CEILING=1 what bounds it here).
bench-raftd: setup
	$(SWIFT) build -c release --product raftd
	$(SWIFT) build -c release --product raftbench
	Benchmarks/raftd-bench.sh

# The speed targets of issue 16 §7 in one table, each beside its baseline from the same run (Benchmarks/speed-targets.sh).
bench-targets: setup
	$(SWIFT) build -c release --product raftbench
	$(SWIFT) build -c release --product raftstep
	Benchmarks/speed-targets.sh

# The long fault campaign (issue 7): every safe fault, liveness phase on, release build.
# Failing runs are shortened and written to ./explore-SEED.txt. Override EXPLORE_SEEDS/STEPS/NODES/JOBS (JOBS: threads, default every core).
EXPLORE_SEEDS ?= 1..10000
EXPLORE_STEPS ?= 5000
EXPLORE_NODES ?= 5
EXPLORE_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
explore: setup
	$(SWIFT) build -c release --product raftstep
	.build/release/raftstep explore --seeds $(EXPLORE_SEEDS) --steps $(EXPLORE_STEPS) --nodes $(EXPLORE_NODES) --jobs $(EXPLORE_JOBS) --out . $(ARGS)

# The mutation campaign: each unsafe knob and the sync-off and local-reads shortcuts must be caught (exit 1 = found).
explore-mutants: setup
	$(SWIFT) build -c release --product raftstep
	! .build/release/raftstep explore --seeds 1..200 --steps 1500 --unsafe vote-without-log-check --stop-on-failure
	! .build/release/raftstep explore --seeds 1..2000 --steps 1500 --unsafe ignore-stale-term --stop-on-failure
	! .build/release/raftstep explore --seeds 1..5000 --steps 1500 --nodes 3 --unsafe commit-old-terms --leader-noop off --faults all,-membership,-compaction --stop-on-failure
	! .build/release/raftstep explore --seeds 1..200 --steps 1500 --faults all,sync-off --stop-on-failure
	! .build/release/raftstep explore --seeds 1..200 --steps 1500 --faults all,local-reads --stop-on-failure
	! .build/release/raftstep explore --seeds 1..200 --steps 1500 --faults all,old-disk --stop-on-failure
	# issue 18's test-only core mutations: every one must be caught (docs/mutation-score.md)
	.build/release/raftstep explore --mutants
	# issue 15's test-only knobs (not offered by --unsafe): bounded explorer runs in the test suite
	$(SWIFT) test --filter 'ExplorerRegressionKnobTests|ConfigurationCheckTests|ExplorerMutationTests'

# libFuzzer targets (Fuzz/README.md): record decoder, hard-state decoder, message validation, REPL commands.
FUZZ_SECONDS ?= 20
fuzz:
	Fuzz/run.sh $(FUZZ_SECONDS)

# The long fault campaign against raftd processes (issue 13, docs/chaos.md); `make test` runs a bounded one
# (Tests/ChaosTests, debug build, ~70 s, with partitions when run as root). Release build; output in CHAOS_OUT: report.txt, history.jsonl, timeline.svg. Exit 1 on a violation.
CHAOS_SECONDS ?= 600
CHAOS_NODES ?= 5
CHAOS_OUT ?= /tmp/raftchaos
chaos: setup
	$(SWIFT) build -c release --product raftd
	$(SWIFT) build -c release --product logdump
	$(SWIFT) build -c release --product raftchaos
	.build/release/raftchaos --duration $(CHAOS_SECONDS) --nodes $(CHAOS_NODES) --clients 6 --keys 8 --out $(CHAOS_OUT) $(ARGS)

clean:
	rm -rf .build
