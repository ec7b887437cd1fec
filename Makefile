# AI PRO SPORTS — the two commands of the README, and a few helpers.
#   make run    install what is missing, build, migrate var/aps.db, ingest every data set, train,
#               and serve the API, workers and scheduler on http://127.0.0.1:8000
#   make test   install what is missing, build, and run every test
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
APS := $(BUILD)/aps

.PHONY: all bootstrap build run test asan test-asan bench bench-quick clean deploy-up deploy-down

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@[ -f web/dist/api-docs/index.html ] || bash web/build-api-docs.sh
	@bash web/build-dashboard.sh

# Ends by serving: migrate, ingest, train, then `aps serve` on http://127.0.0.1:8000 (scripts/run;
# the mock providers stand in when no ODDS_API_KEY is configured).
run: build
	@BUILD=$(BUILD) scripts/run

test: build
	@BUILD=$(BUILD) scripts/test

# AddressSanitizer + UndefinedBehaviorSanitizer build and test run.
asan: bootstrap
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAPS_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

test-asan: asan
	@BUILD=$(ASAN_BUILD) scripts/test

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
	rm -rf $(BUILD) $(ASAN_BUILD)
