# Chronicle CRM. `make run` starts it on embedded SQLite; `make test` runs every test.
GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
# PostgreSQL tests run when a server answers on 127.0.0.1:5432 (or CHRONICLE_TEST_POSTGRES_URL is
# set); CI sets CHRONICLE_REQUIRE_POSTGRES=1 so they can never be skipped there.
CHRONICLE_TEST_POSTGRES_URL ?= $(shell (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432) && echo '$(PG_URL)')
export CHRONICLE_TEST_POSTGRES_URL

.PHONY: run test lint bench fuzz build up down clean

run:
	$(GO) run ./cmd/chronicle serve

test:
	$(GO) test -race -count=1 -timeout 60m ./...

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...
	$(GO) test -count=1 -run TestDomainImportsOnlyStandardLibraryAndUUID ./domain/
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt would change the files above" && exit 1)

bench:
	$(GO) test -run '^$$' -bench Append -benchtime 2000x ./adapters/eventstore/...
	$(GO) test -run '^$$' -bench CatchUp -benchtime 1x -timeout 30m ./projections/engine/
	$(GO) test -run '^$$' -bench LeadSearch -benchtime 200x -timeout 30m ./projections/leadproj/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLeadCommandDecoding -fuzztime 60s ./adapters/httpapi/
	$(GO) test -run '^$$' -fuzz FuzzDecodePage -fuzztime 30s ./projections/engine/

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.Version=$$(git describe --always --dirty 2>/dev/null || echo dev)" -o bin/chronicle ./cmd/chronicle

up:
	docker compose up -d --build

down:
	docker compose down

clean:
	rm -rf bin data
