# Switchboard: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
VENV := .venv
PY := $(VENV)/bin/python
RELEASE_BIN := .build/release/switchboard

.PHONY: run test build release release-server deps test-deps unit integration autobahn browser fuzz bench tsan clean conformance
.PHONY: integration-postgres

# Only the server: the benchmark tool would add a fifth to a first start.
run: release-server
	mkdir -p data
	$(RELEASE_BIN) serve --host 127.0.0.1 --port 8080 --data-dir ./data

test: test-deps unit release integration browser autobahn
	@echo "make test: all suites passed"

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@bash scripts/install-deps.sh test
	@bash scripts/python-env.sh $(VENV)

build: deps
	$(SWIFT) build

release-server: deps
	$(SWIFT) build -c release --product switchboard

release: release-server
	$(SWIFT) build -c release --product switchboard-bench

unit: deps test-deps
	$(SWIFT) build --build-tests
	bash scripts/with-postgres.sh $(SWIFT) test --skip-build --disable-swift-testing

integration: release test-deps
	SWITCHBOARD_BIN=$(abspath $(RELEASE_BIN)) bash scripts/with-postgres.sh $(PY) -m pytest -q Tests/integration clients/python/tests
	$(MAKE) integration-postgres

browser: release test-deps
	SWITCHBOARD_BIN=$(abspath $(RELEASE_BIN)) $(PY) -m pytest -q Tests/browser

autobahn: release test-deps
	bash scripts/autobahn-run.sh $(abspath $(RELEASE_BIN))

# The store-touching integration tests again, every server on PostgreSQL (a schema per data dir
# on a throwaway server). Deselected: the two tests that reach into the SQLite file itself
# (test_postgres.py covers the PostgreSQL outage instead).
PG_IT_FILES := Tests/integration/test_webhooks.py Tests/integration/test_outbound.py Tests/integration/test_observability.py
PG_IT_SQLITE_ONLY := --deselect Tests/integration/test_observability.py::test_health_503_when_database_unwritable_and_back \
	--deselect Tests/integration/test_observability.py::test_alert_resolves_when_dead_letters_are_gone
integration-postgres: release test-deps
	SWITCHBOARD_BIN=$(abspath $(RELEASE_BIN)) SWITCHBOARD_IT_BACKEND=postgres bash scripts/with-postgres.sh \
		$(PY) -m pytest -q $(PG_IT_FILES) $(PG_IT_SQLITE_ONLY)

# ThreadSanitizer build of the server, integration tests against it; fails on any report.
tsan: deps test-deps
	bash scripts/tsan.sh

fuzz: deps
	bash scripts/fuzz.sh

bench: release
	@bash scripts/install-deps.sh bench
	bash scripts/bench-http.sh
	bash scripts/bench-compare.sh
	bash scripts/bench-inbound.sh
	bash scripts/bench-cluster.sh

clean:
	rm -rf .build .build-fuzz .build-tsan $(VENV)

# Autobahn in full: 1.* to 13.* (permessage-deflate included), about an hour with CPython 2.7 wstest.
conformance: release test-deps
	bash scripts/autobahn-run.sh $(abspath $(RELEASE_BIN)) all
