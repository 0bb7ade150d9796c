#!/usr/bin/env bash
# make load: seed a data set, serve it, drive it, stop the server (docs/performance.md,
# "Load harness"). Settings (environment, with defaults):
#
#   LOAD_ENGINE=sqlite|postgres   stores of the data set (sqlite)
#   LOAD_DIR=data-load            SQLite data directory
#   LOAD_PG_URL=$PG_URL           PostgreSQL server; the data set lives in schema LOAD_PG_SCHEMA (chronicle_load)
#   LOAD_LEADS=100000 LOAD_CUSTOMERS=(a tenth) LOAD_SALES=200   what to seed
#   LOAD_SEED=1                   0 skips seeding (a data set seeded before; a re-seed adds nothing but costs time)
#   LOAD_FRESH=0                  1 deletes the data set first
#   LOAD_AS=admin LOAD_SESSIONS=10 LOAD_VUS=32 LOAD_DURATION=30s LOAD_MIX=(default mix)   the drive
#   LOAD_JSON=0                   1 prints the report as JSON
#   LOAD_ADDR=127.0.0.1:18080     where the server listens
#   CHRONICLE_ADMIN_PASSWORD      the administrator's password (default Chronicle-load-2026!, for load data sets only)
set -euo pipefail

engine=${LOAD_ENGINE:-sqlite}
dir=${LOAD_DIR:-data-load}
pg_url=${LOAD_PG_URL:-${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
schema=${LOAD_PG_SCHEMA:-chronicle_load}
leads=${LOAD_LEADS:-100000}
addr=${LOAD_ADDR:-127.0.0.1:18080}
export CHRONICLE_ADMIN_PASSWORD=${CHRONICLE_ADMIN_PASSWORD:-Chronicle-load-2026!}
export CHRONICLE_DATA_DIR=$dir CHRONICLE_HTTP_ADDR=$addr CHRONICLE_LOG_LEVEL=${CHRONICLE_LOG_LEVEL:-warn}

go build -o bin/chronicle ./cmd/chronicle

case $engine in
sqlite)
	[ "${LOAD_FRESH:-0}" = 1 ] && rm -rf "$dir"
	;;
postgres)
	[ "${LOAD_FRESH:-0}" = 1 ] && psql -X -q -v ON_ERROR_STOP=1 "$pg_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE"
	psql -X -q -v ON_ERROR_STOP=1 "$pg_url" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" -c "CREATE SCHEMA IF NOT EXISTS $schema"
	sep='?'
	case $pg_url in *\?*) sep='&' ;; esac
	export CHRONICLE_EVENTSTORE=postgres CHRONICLE_READMODELS=postgres CHRONICLE_POSTGRES_URL="${pg_url}${sep}search_path=${schema}%2Cpublic"
	;;
*)
	echo "LOAD_ENGINE=$engine: use sqlite or postgres" >&2
	exit 1
	;;
esac

if [ "${LOAD_SEED:-1}" != 0 ]; then
	seed_args=(-leads "$leads" -sales "${LOAD_SALES:-200}")
	[ -n "${LOAD_CUSTOMERS:-}" ] && seed_args+=(-customers "$LOAD_CUSTOMERS")
	bin/chronicle loadgen seed "${seed_args[@]}"
fi

bin/chronicle serve >"${TMPDIR:-/tmp}/chronicle-load-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
	curl -fsS -o /dev/null "http://$addr/readyz" 2>/dev/null && break
	kill -0 $server 2>/dev/null || { cat "${TMPDIR:-/tmp}/chronicle-load-serve.log" >&2; exit 1; }
	sleep 0.5
done

drive_args=(-url "http://$addr" -as "${LOAD_AS:-admin}" -sessions "${LOAD_SESSIONS:-10}" -vus "${LOAD_VUS:-32}" -duration "${LOAD_DURATION:-30s}")
[ -n "${LOAD_MIX:-}" ] && drive_args+=(-mix "$LOAD_MIX")
[ "${LOAD_JSON:-0}" = 1 ] && drive_args+=(-json)
bin/chronicle loadgen drive "${drive_args[@]}"
