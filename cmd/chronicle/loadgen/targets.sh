#!/usr/bin/env bash
# The drives of docs/performance.md, "1,000,000 leads on PostgreSQL: the targets, measured", one
# after the other against a data set seeded before (make load with LOAD_ENGINE=postgres), then the
# references (make bench-ref). Settings (environment, with defaults):
#
#   LOAD_PG_URL=$PG_URL LOAD_PG_SCHEMA=chronicle_load   where the data set lives
#   LOAD_ADDR=127.0.0.1:18080                          where the server listens
#   TARGETS_SETTLE=60                                  seconds between start and the first drive
#                                                      (the start-up ANALYZE of a loaded data set)
#   CHRONICLE_ADMIN_PASSWORD                           as make load (default Chronicle-load-2026!)
set -euo pipefail

pg_url=${LOAD_PG_URL:-${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
schema=${LOAD_PG_SCHEMA:-chronicle_load}
addr=${LOAD_ADDR:-127.0.0.1:18080}
sep='?'
case $pg_url in *\?*) sep='&' ;; esac
export CHRONICLE_ADMIN_PASSWORD=${CHRONICLE_ADMIN_PASSWORD:-Chronicle-load-2026!}
export CHRONICLE_HTTP_ADDR=$addr CHRONICLE_LOG_LEVEL=${CHRONICLE_LOG_LEVEL:-warn}
export CHRONICLE_EVENTSTORE=postgres CHRONICLE_READMODELS=postgres CHRONICLE_POSTGRES_URL="${pg_url}${sep}search_path=${schema}%2Cpublic"

go build -o bin/chronicle ./cmd/chronicle
bin/chronicle serve >"${TMPDIR:-/tmp}/chronicle-targets-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
	curl -fsS -o /dev/null "http://$addr/readyz" 2>/dev/null && break
	kill -0 $server 2>/dev/null || { cat "${TMPDIR:-/tmp}/chronicle-targets-serve.log" >&2; exit 1; }
	sleep 0.5
done
sleep "${TARGETS_SETTLE:-60}"

drive() {
	echo "### $* ($(date -u +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg))"
	bin/chronicle loadgen drive -url "http://$addr" "$@" | sed -n '/^target/,$p'
}
drive -mix list=70,page=30 -vus 32 -duration 20s
drive -as sales -mix list=70,page=30 -vus 32 -duration 20s
drive -mix search2=100 -vus 32 -duration 20s
drive -mix search4=50,phone=50 -vus 32 -duration 20s
drive -mix detail=100 -vus 32 -duration 10s
drive -vus 32 -duration 30s
drive -vus 500 -duration 30s
drive -mix create=100 -vus 1 -duration 20s
drive -mix create=100 -vus 32 -duration 20s
kill $server
wait $server 2>/dev/null || true
echo "### references"
bash cmd/chronicle/loadgen/bench-ref.sh "$pg_url"
