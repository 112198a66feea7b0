# mapc — build, test and demo. `make demo` and `make test` are the whole set-up.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := pkg-config libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev jq chromium time zlib1g-dev python3 python3-venv openssl prometheus postgresql libpq-dev
MAPC := .build/debug/mapc
# The platforms' official Python clients for the contract tests (Tests/Contract/requirements.txt).
CONTRACT_VENV := .build/contract-venv

.PHONY: all deps build release test lint demo clean bench bench-sync bench-calls bench-bulk bench-console bench-slowloris contract contract-run fuzz eval eval-llm crash-soak test-slow

all: build

# Installs the Debian packages the build and tests need, only when some are missing.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@bash Tests/Contract/venv.sh $(CONTRACT_VENV)

build: deps
	$(SWIFT) build --product mapc

release: deps
	$(SWIFT) build -c release --product mapc

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel
	@$(MAKE) --no-print-directory contract-run
	@$(MAKE) --no-print-directory soak-webhooks-run MAPC_SOAK=$(MAPC) WEBHOOKS_N=400

# Contract tests (issue 15): mapc sandbox driven by the platforms' official Python clients.
contract: build
	@$(MAKE) --no-print-directory contract-run

contract-run:
	@if [ -f $(CONTRACT_VENV)/UNAVAILABLE ]; then \
	  echo "contract tests skipped: $$(cat $(CONTRACT_VENV)/UNAVAILABLE)"; \
	elif [ ! -f $(CONTRACT_VENV)/requirements.installed ]; then \
	  echo "contract tests: $(CONTRACT_VENV) is not set up (run make deps)" >&2; exit 1; \
	else \
	  timeout 300 $(CONTRACT_VENV)/bin/python Tests/Contract/run.py --mapc $(MAPC); \
	fi

# Mapping benchmark (issue 7): mapc run vs Python+orjson vs jq on the same generated contacts,
# outputs checked identical, plus mapc check on a wide schema. BENCH_N=100000 for a quicker run.
BENCH_N ?= 1000000
bench: release
	python3 bench/run.py $(BENCH_N) --mapc .build/release/mapc

# Sync benchmark (issue 7): mapc sync HubSpot -> Salesforce against the sandbox emulators, unthrottled
# (records/s end to end, event store on disk) and throttled by the registry (share of the ceiling, 429s).
SYNC_N ?= 100000
bench-sync: release
	python3 bench/sync.py --mapc .build/release/mapc --records $(SYNC_N)

# API calls per 10,000 records (issue 15): each shipped job's first, unchanged and changed runs,
# counted in the emulators' request logs. CALLS_MAPC=path/to/older/mapc measures another build.
CALLS_N ?= 10000
CALLS_MAPC ?= $(MAPC)
bench-calls: build
	python3 bench/calls.py --mapc $(CALLS_MAPC) --records $(CALLS_N)

# API calls per 100,000 records (issue 20): the first sync through REST batches, then through Salesforce
# Bulk API 2.0 and Mailchimp batch operations, counted in the emulators' request logs.
BULK_N ?= 100000
bench-bulk: build
	python3 bench/bulk_calls.py --mapc $(CALLS_MAPC) --records $(BULK_N)

# Console benchmark (issue 17): a generated store of CONSOLE_RUNS runs x CONSOLE_RECORDS records (3 record
# events each), then the CPU that `mapc serve` spends per dashboard page and per /metrics scrape.
CONSOLE_RUNS ?= 18
CONSOLE_RECORDS ?= 10000
bench-console: release
	python3 bench/console.py --mapc .build/release/mapc --runs $(CONSOLE_RUNS) --records $(CONSOLE_RECORDS)

# Slowloris benchmark (issue 14): SLOWLORIS_ATTACKERS connections trickling request heads and bodies a
# byte a second for SLOWLORIS_SECONDS while signed HubSpot deliveries go to `mapc serve`; acknowledged
# deliveries and their p99 latency, against a reference phase without the attack in the same run.
# SLOWLORIS_ARGS="--attack-sources 10" spreads the attack over ten addresses.
SLOWLORIS_SECONDS ?= 60
SLOWLORIS_ATTACKERS ?= 300
SLOWLORIS_ARGS ?=
bench-slowloris: build
	python3 bench/slowloris.py --mapc $(MAPC) --seconds $(SLOWLORIS_SECONDS) --attackers $(SLOWLORIS_ATTACKERS) $(SLOWLORIS_ARGS)

# Seeded mutation fuzzing of everything mapc reads from the world (issue 14): each target for
# FUZZ_SECONDS, inputs following from FUZZ_SEED; FUZZ_TARGETS="dsl-source ..." to pick targets.
# Exits non-zero on any crash, hang or runaway memory; failing inputs go to .build/fuzz-failures/.
# (make test runs every target for a few seconds.) See docs/fuzzing.md.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
FUZZ_TARGETS ?=
fuzz: deps
	$(SWIFT) build --product mapc-fuzz
	.build/debug/mapc-fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) $(foreach t,$(FUZZ_TARGETS),--target $(t))

demo: build
	@bash scripts/demo.sh

# Evaluation suite (issue 18): the offline generator on evals/ (tune, held-out and fresh cases), per case and
# in total: field agreement for copies and transforms, silent-wrong rules, calibration.
eval: build
	$(MAPC) eval --offline

# Optional: llama-cpp-python (compiled from PyPI once, into .build/llm-venv) serves gemma-3-270m on
# 127.0.0.1 and `mapc gen --grammar` runs end to end against it. Slow on two cores.
eval-llm: build
	@bash scripts/eval-llm.sh

clean:
	rm -rf .build .mapc

# Two-way sync at the issue's demo size (issue 19): 5,000 Salesforce contacts and 4,000 Mailchimp
# members against the emulators, 100 edits on each side; a tenth of it runs inside `make test`.
.PHONY: test-two-way-full
test-two-way-full:
	$(SWIFT) build --build-tests
	MAPC_TWO_WAY_FULL=1 $(SWIFT) test --skip-build --filter "TwoWaySyncTests"

# Crash soak (issue 23): the outside-kill crash harness with SOAK_KILLS kills instead of the 50 that
# make test runs; SOAK_SEED replays a plan (the seed of every run is printed).
SOAK_KILLS ?= 500
SOAK_SEED ?=
crash-soak: deps
	$(SWIFT) build --build-tests
	MAPC_CRASH_KILLS=$(SOAK_KILLS) $(if $(SOAK_SEED),MAPC_CRASH_SEED=$(SOAK_SEED)) $(SWIFT) test --skip-build --filter CrashHarnessTests

# Slow tests (issue 23): the limiter at a sustained 10 requests/s for about 100 s, with the share of the
# ceiling it reaches asserted (a timing, so never part of make test).
test-slow: deps
	$(SWIFT) build --build-tests
	MAPC_SLOW_TESTS=1 $(SWIFT) test --skip-build --filter LimiterThroughputTests
	MAPC_SLOW_TESTS=1 $(SWIFT) test --skip-build --filter ServeAutoResumeTests

# Workers on PostgreSQL (issue 22): WORKERS_JOBS jobs of WORKERS_N contacts each, HubSpot -> Salesforce against
# the emulators, by one mapc sync after another on SQLite (the reference) and by 1, 2 and 3 mapc workers sharing
# a PostgreSQL store (a throw-away cluster, or MAPC_BENCH_PG_URL): jobs/s, records/s, every job checked.
.PHONY: bench-workers soak-workers
WORKERS_JOBS ?= 6
WORKERS_N ?= 5000
bench-workers: release
	python3 bench/workers.py --mapc .build/release/mapc --jobs $(WORKERS_JOBS) --records $(WORKERS_N)

# Worker soak (issue 22): 3 workers, SOAK_JOBS jobs of SOAK_N contacts, a random worker killed with SIGKILL
# every SOAK_KILL_EVERY seconds and restarted (SOAK_SEED): every job completes, nothing lost or created twice.
SOAK_JOBS ?= 20
SOAK_N ?= 10000
SOAK_KILL_EVERY ?= 5
soak-workers: release
	python3 bench/workers.py --mapc .build/release/mapc --jobs $(SOAK_JOBS) --records $(SOAK_N) --workers 3 --skip-sqlite \
	  --kill-every $(SOAK_KILL_EVERY) --seed $(or $(SOAK_SEED),1)

# Three workers sharing one platform's ceiling (issue 22): 3 jobs of CEILING_N contacts, one per worker, read
# together under the shipped registry; the report gives the account window's occupancy and the 429s.
.PHONY: bench-workers-ceiling
CEILING_N ?= 60000
bench-workers-ceiling: release
	python3 bench/workers.py --mapc .build/release/mapc --jobs 3 --records $(CEILING_N) --workers 3 --skip-sqlite --throttled

# Pipelined workers (issue 22): 3 workers with PIPELINE_CONCURRENCY jobs each at once (mapc worker --concurrency),
# PIPELINE_JOBS jobs of PIPELINE_N contacts under the shipped registry: one job's write tail overlaps the next
# job's reads, so the shared HubSpot window stays full over the whole run; the report gives its occupancy and 429s.
.PHONY: bench-workers-pipeline
PIPELINE_JOBS ?= 20
PIPELINE_N ?= 10000
PIPELINE_CONCURRENCY ?= 2
bench-workers-pipeline: release
	python3 bench/workers.py --mapc .build/release/mapc --jobs $(PIPELINE_JOBS) --records $(PIPELINE_N) --workers 3 --skip-sqlite \
	  --throttled --concurrency $(PIPELINE_CONCURRENCY)

# Shared webhook inbox (issue 22): two `mapc serve` processes on loopback ports sharing one PostgreSQL store
# (a throw-away cluster, or MAPC_BENCH_PG_URL) receive WEBHOOKS_N signed deliveries of the five platforms, duplicates
# sent to both at once and retried (WEBHOOKS_SEED): every event stored once, none lost, every delivery acknowledged.
# make test runs 400 of them with the debug build.
.PHONY: soak-webhooks soak-webhooks-run
WEBHOOKS_N ?= 10000
WEBHOOKS_SEED ?= 1
MAPC_SOAK ?= .build/release/mapc
soak-webhooks: release
	@$(MAKE) --no-print-directory soak-webhooks-run

soak-webhooks-run:
	python3 bench/webhooks.py --mapc $(MAPC_SOAK) --deliveries $(WEBHOOKS_N) --seed $(WEBHOOKS_SEED)
