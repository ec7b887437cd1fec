# AI PRO SPORTS — the two commands of the README, and a few helpers.
#   make run    install what is missing, build, migrate var/aps.db, ingest every data set, train,
#               and serve the API, workers and scheduler on http://127.0.0.1:8000
#   make run-watch  `make run` that rebuilds and restarts on source changes, and reloads the
#               configuration on config/ changes (scripts/run-watch, inotify-tools)
#   make test   install what is missing, build, and run every test
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
APS := $(BUILD)/aps

.PHONY: all bootstrap build run run-watch test test-fast asan test-asan tsan test-tsan bench bench-quick clean deploy-up deploy-down

all: build

bootstrap:
	@scripts/bootstrap

# RelWithDebInfo (-O2 -g): a crash in production still has symbols; warnings are errors here.
build: bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPS_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@[ -f web/dist/api-docs/index.html ] || bash web/build-api-docs.sh
	@bash web/build-dashboard.sh

# Ends by serving: migrate, ingest, train, then `aps serve` on http://127.0.0.1:8000 (scripts/run;
# the mock providers stand in when no ODDS_API_KEY is configured).
run: build
	@BUILD=$(BUILD) scripts/run

# Development hot reload: as `make run`, then a source change rebuilds and restarts, and a
# change under config/ reloads the configuration (SIGHUP) without a restart (scripts/run-watch).
run-watch: build
	@BUILD=$(BUILD) JOBS=$(JOBS) scripts/run-watch

test: build
	@BUILD=$(BUILD) scripts/test

# The tests labelled `fast` (unit tests and the source checks, under a minute), no servers needed
# beyond what they start themselves.
test-fast: build
	@BUILD=$(BUILD) scripts/test -L fast

# AddressSanitizer + UndefinedBehaviorSanitizer build and test run.
asan: bootstrap
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAPS_SANITIZE=ON -DAPS_WERROR=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

test-asan: asan
	@BUILD=$(ASAN_BUILD) scripts/test

# ThreadSanitizer build and the tests labelled `tsan`: the worker pool, the queue backends, the
# cache, the HTTP server and the model search (the code that shares memory between threads).
tsan: bootstrap
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPS_TSAN=ON -DAPS_WERROR=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS) --target tsan_tests

test-tsan: tsan
	@BUILD=$(TSAN_BUILD) scripts/test -L tsan

# The distributed deployment on this machine's container engine (deploy/compose/aps-deploy):
# images built when missing, secrets made when missing, every healthcheck waited for, a real
# data slice loaded and one sport trained. APS_ENV=development|staging|production (default).
deploy-up: bootstrap
	@deploy/compose/aps-deploy secrets
	@deploy/compose/aps-deploy up --data

deploy-down: bootstrap
	@deploy/compose/aps-deploy down

# Every benchmark next to its reference, appended to bench/results/*.md (bench/all); the quick
# mode is a smoke run of a few minutes.
bench: build
	@bench/all

bench-quick: build
	@BENCH_QUICK=1 bench/all

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
