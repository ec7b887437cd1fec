# AI PRO SPORTS — the two commands of the README, and a few helpers.
#   make run    install what is missing, build, migrate var/aps.db, ingest every data set, train,
#               and serve the API, workers and scheduler on http://127.0.0.1:8000
#   make run-watch  `make run` that rebuilds and restarts on source changes, and reloads the
#               configuration on config/ changes (scripts/run-watch, inotify-tools)
#   make test   install what is missing, build, and run every test
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
APS := $(BUILD)/aps

.PHONY: all bootstrap build run run-watch test asan test-asan bench clean deploy-up deploy-down

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

# Development hot reload: as `make run`, then a source change rebuilds and restarts, and a
# change under config/ reloads the configuration (SIGHUP) without a restart (scripts/run-watch).
run-watch: build
	@BUILD=$(BUILD) JOBS=$(JOBS) scripts/run-watch

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

bench: build
	@bench/ingest
	@bench/api-db

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
