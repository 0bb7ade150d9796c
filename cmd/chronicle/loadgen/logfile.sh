#!/usr/bin/env bash
# export-log / import-log of a generated log on SQLite and PostgreSQL, with references measured in
# the same run (docs/performance.md, "Export and import of the event log"):
#
#   - a SQLite data directory seeded with N generated lead events (BenchmarkSeedLogForMeasurement), sealed
#     and anchored; export-log from it; gzip -1 of the same JSON lines; sqlite3 reading every row;
#   - import-log into a fresh SQLite directory without and with the read models;
#   - import-log of that file into a fresh PostgreSQL schema (a new chain: jsonb), export-log from
#     it, import-log of that file into another fresh schema (the same chain), audit verify;
#   - COPY of the same rows out of and into a copy of the events table.
#
# Usage: cmd/chronicle/loadgen/logfile.sh [WORK_DIR]   (default ./data-logfile; N from LOGFILE_EVENTS,
# default 1000000; PostgreSQL from PG_URL, else the local test database). Each command runs under
# /usr/bin/time (elapsed seconds and the largest resident size); the scratch schemas are dropped.
set -euo pipefail

work=$(realpath -m "${1:-./data-logfile}")
n=${LOGFILE_EVENTS:-1000000}
url=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
bin="$work/chronicle"
export CHRONICLE_LOG_LEVEL=warn CHRONICLE_BACKUP_SCHEDULE=off CHRONICLE_ADMIN_PASSWORD='Logfile-measure-2026!'
T=(/usr/bin/time -f 'elapsed=%es maxrss=%MKB')
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
# pg SCHEMA ARGS…: chronicle ARGS… with both stores in SCHEMA (and its key and anchors in WORK_DIR/SCHEMA)
pg() {
  local s=$1; shift
  (export CHRONICLE_DATA_DIR="$work/$s" CHRONICLE_EVENTSTORE=postgres CHRONICLE_READMODELS=postgres \
     CHRONICLE_POSTGRES_URL="$url&search_path=$s,public"; "${T[@]}" "$bin" "$@")
}

rm -rf "$work" && mkdir -p "$work"
(cd "$repo" && go build -o "$bin" ./cmd/chronicle)
(cd "$repo" && CHRONICLE_LOGFILE_SEED_DIR="$work/src" CHRONICLE_LOGFILE_SEED_EVENTS="$n" \
  go test ./cmd/chronicle/ -run '^$' -bench BenchmarkSeedLogForMeasurement -benchtime 1x -count=1 -v -timeout 60m | grep 'generated')
sqlite3 "$work/src/readmodels.db" 'select 1' > /dev/null   # an empty read-model file: the data directory exists
cd "$work"
CHRONICLE_DATA_DIR=src "${T[@]}" "$bin" audit anchor
CHRONICLE_DATA_DIR=src "${T[@]}" "$bin" export-log --to sqlite.jsonl.gz
zcat sqlite.jsonl.gz > raw.jsonl && ls -l sqlite.jsonl.gz raw.jsonl
echo "reference: gzip -1 of the same JSON lines"; "${T[@]}" gzip -1 -c raw.jsonl > /dev/null
echo "reference: sqlite3 reading every row";      "${T[@]}" sqlite3 src/events.db 'select * from events' | wc -c
rm raw.jsonl
CHRONICLE_DATA_DIR=dst-nr "${T[@]}" "$bin" import-log --from sqlite.jsonl.gz --no-read-models
CHRONICLE_DATA_DIR=dst "${T[@]}" "$bin" import-log --from sqlite.jsonl.gz

psql_q -c 'DROP SCHEMA IF EXISTS logfile_pg1 CASCADE' -c 'DROP SCHEMA IF EXISTS logfile_pg2 CASCADE' \
  -c 'CREATE SCHEMA logfile_pg1' -c 'CREATE SCHEMA logfile_pg2' -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
trap "psql_q -c 'DROP SCHEMA IF EXISTS logfile_pg1 CASCADE' -c 'DROP SCHEMA IF EXISTS logfile_pg2 CASCADE' 2>/dev/null" EXIT
mkdir -p logfile_pg1 logfile_pg2
pg logfile_pg1 import-log --from sqlite.jsonl.gz --no-read-models
pg logfile_pg1 export-log --to pg.jsonl.gz
echo "reference: COPY out";  "${T[@]}" psql -X -q "$url" -c "\\copy (SELECT * FROM logfile_pg1.events ORDER BY position) TO '$work/events.copy'"
psql_q -c 'CREATE TABLE logfile_pg1.events_copy (LIKE logfile_pg1.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)'
echo "reference: COPY in";   "${T[@]}" psql -X -q "$url" -c "\\copy logfile_pg1.events_copy FROM '$work/events.copy'"
rm events.copy
pg logfile_pg2 import-log --from pg.jsonl.gz
pg logfile_pg2 audit verify || true   # the anchor the log records has no file here
