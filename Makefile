# Chronicle CRM. `make run` starts it on embedded SQLite; `make test` runs every test.
GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
# The PostgreSQL of `make up` (docker-compose.yml: user, password and database chronicle, published
# on 5433 so that it never clashes with a local server on 5432).
COMPOSE_PG_URL ?= postgres://chronicle:chronicle@127.0.0.1:5433/chronicle?sslmode=disable
# PostgreSQL tests run against CHRONICLE_TEST_POSTGRES_URL when it is set, else a server answering
# on 127.0.0.1:5432 (PG_URL), else the one `make up` started (COMPOSE_PG_URL); CI sets
# CHRONICLE_REQUIRE_POSTGRES=1 so they can never be skipped there.
pg_answers = $(shell (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p $(1)) || bash -c 'exec 3<>/dev/tcp/127.0.0.1/$(1)' 2>/dev/null && echo yes)
CHRONICLE_TEST_POSTGRES_URL ?= $(if $(call pg_answers,5432),$(PG_URL),$(if $(call pg_answers,5433),$(COMPOSE_PG_URL)))
export CHRONICLE_TEST_POSTGRES_URL

.PHONY: run web test lint bench bench-ref load load-targets fuzz build up down clean

# The web UI (web/, React + Vite) is embedded into the binary from web/dist. `make run` rebuilds it
# only when web/package.json exists and a source is newer than web/dist/index.html. Vite empties
# web/dist, so the committed placeholder is put back after a build.
WEB_SOURCES := $(shell find web/src web/index.html web/package.json web/package-lock.json -type f 2>/dev/null)
WEB_BUILD := $(if $(wildcard web/package.json),web/dist/index.html)
WEB_PLACEHOLDER := test -f web/dist/.placeholder || git checkout -q -- web/dist/.placeholder 2>/dev/null || true

run: $(WEB_BUILD)
	$(GO) run ./cmd/chronicle serve

# Build the web UI now (needs Node 20 and npm); without web/package.json there is nothing to build.
web:
	@test -f web/package.json || echo "no web/package.json: no web UI to build"
	test ! -f web/package.json || (cd web && npm ci && npm run build)
	@$(WEB_PLACEHOLDER)

web/dist/index.html: $(WEB_SOURCES)
	test -f web/package.json
	cd web && npm ci && npm run build
	@$(WEB_PLACEHOLDER)

# Every Go test under the race detector, the application's (API) tests on PostgreSQL; then every Go
# test without it, the application's tests on SQLite (CHRONICLE_TEST_ENGINES: under the race
# detector the SQLite engine, C translated to Go, is instrumented access by access and ran the API
# suites three to four times slower than PostgreSQL; the SQLite stores' own packages and every other
# test still run under it in the first pass); then, alone so that its timings mean something, the sign-in
# flood test (memory and /healthz latency of a real server under 200 simultaneous sign-ins); then,
# without the race detector (which would make its 5,000 commands per engine take minutes), the disk
# footprint test and the 100,000-row import error report (bounded memory); then the UI's component and end-to-end tests (web/run-tests.sh:
# npm ci, build, Vitest, playwright-core driving Debian's Chromium against a real chronicle serve;
# it installs chromium with apt-get when it is missing and it runs as root). A test of one engine
# runs only in that engine's pass (pgtest.Engine), and a few CPU-bound tests without concurrency
# worth watching (XLSX bombs, large files, seeding) skip under the race detector and run in the
# second pass (pgtest.NotUnderRace).
test:
	CHRONICLE_TEST_ENGINES=postgres $(GO) test -race -count=1 -timeout 60m -skip '^(TestSignInFloodKeepsMemoryAndHealth|TestDiskFootprint|TestImportErrorReportOf100000Rows)$$' ./...
	CHRONICLE_TEST_ENGINES=sqlite $(GO) test -count=1 -timeout 30m -skip '^(TestSignInFloodKeepsMemoryAndHealth|TestDiskFootprint|TestImportErrorReportOf100000Rows)$$' ./...
	$(GO) test -count=1 -timeout 5m -run '^TestSignInFloodKeepsMemoryAndHealth$$' -v ./cmd/chronicle
	$(GO) test -count=1 -timeout 10m -run '^TestDiskFootprint$$' -v ./adapters/app
	$(GO) test -count=1 -timeout 10m -run '^TestImportErrorReportOf100000Rows$$' ./adapters/httpapi/importapi
	@if [ -f web/package.json ]; then bash web/run-tests.sh; fi

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...
	$(GO) test -count=1 -run 'TestDomainImportsOnlyStandardLibraryAndUUID|TestModuleImportRules|TestImportRuleRefusesSiblings' ./domain/
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt would change the files above" && exit 1)

bench:
	$(GO) test -run '^$$' -bench Append -benchtime 2000x ./adapters/eventstore/...
	$(GO) test -run '^$$' -bench CatchUp -benchtime 1x -timeout 30m ./projections/engine/
	$(GO) test -run '^$$' -bench Rebuild -benchtime 1x -timeout 30m ./projections/engine/
	$(GO) test -run '^$$' -bench LeadSearch -benchtime 200x -timeout 30m ./projections/leadproj/
	$(GO) test -run '^$$' -bench OperationLog -benchtime 50x -timeout 30m ./projections/auditproj/
	$(GO) test -run '^$$' -bench 'OpportunityBoard/postgres' -benchtime 1x -timeout 40m ./projections/opportunityproj/
	$(GO) test -run '^$$' -bench FinanceStatistics -benchtime 1x -timeout 40m ./projections/financeproj/
	$(GO) test -run '^$$' -bench Inbox -benchtime 1x -timeout 30m ./projections/notifyproj/

# The load harness (docs/performance.md, "Load harness"): seed a data set through the fast import
# path, serve it and drive it with virtual users; settings such as LOAD_ENGINE=postgres,
# LOAD_LEADS, LOAD_VUS, LOAD_AS=sales are read by cmd/chronicle/loadgen/load.sh. bench-ref measures the
# PostgreSQL references to quote beside it: pgbench single-row INSERTs at 1 and 16 clients and a
# COPY of event rows. load-targets runs the drives of the issue's targets against a PostgreSQL data
# set seeded by make load, then bench-ref (cmd/chronicle/loadgen/targets.sh).
load:
	PG_URL='$(PG_URL)' bash cmd/chronicle/loadgen/load.sh

load-targets:
	PG_URL='$(PG_URL)' bash cmd/chronicle/loadgen/targets.sh

bench-ref:
	bash cmd/chronicle/loadgen/bench-ref.sh '$(or $(CHRONICLE_TEST_POSTGRES_URL),$(PG_URL))'

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLeadCommandDecoding -fuzztime 60s ./adapters/httpapi/leadapi/
	$(GO) test -run '^$$' -fuzz FuzzDecodePage -fuzztime 30s ./projections/engine/

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.Version=$$(git describe --always --dirty 2>/dev/null || echo dev)" -o bin/chronicle ./cmd/chronicle

up:
	docker compose up -d --build

down:
	docker compose down

clean:
	rm -rf bin data data-load
