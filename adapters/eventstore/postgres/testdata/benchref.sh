#!/usr/bin/env bash
# Append throughput of the PostgreSQL event store against a same-run reference: pgbench inserting
# one event per transaction (insert.sql) into a copy of the events table (schema.sql), with 1 and
# with 16 clients; then BenchmarkAppend/parallel with 1 and with 16 writers. Prints each figure and
# the ratio store/pgbench for three alternating rounds, and the median ratio. Each step runs for
# about 3 s (the store's benchmark 2 s, up to twice that as go test finds its iteration count).
#
# Both run in a scratch database created for the run (and dropped after it): the append lock is an
# advisory lock per database, so tests of other people in the same database would otherwise hold
# it too.
#
#   CHRONICLE_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
#     adapters/eventstore/postgres/testdata/benchref.sh
set -euo pipefail
base=${CHRONICLE_TEST_POSTGRES_URL:?set CHRONICLE_TEST_POSTGRES_URL}
dir=$(cd "$(dirname "$0")" && pwd)
pkg=$(cd "$dir/.." && pwd)
db=chronicle_benchref_$$
url=$(sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\1$db#" <<<"$base")
psql "$base" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
psql "$url" -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA ref" -c "SET search_path = ref" -f "$dir/schema.sql"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql "$base" -q -c "DROP DATABASE $db WITH (FORCE)"' EXIT
# BENCHREF_TEST_BINARY: a test binary of this package built from another version
# (go test -c), to compare versions against the same reference.
bin=${BENCHREF_TEST_BINARY:-$tmp/postgres.test}
[ -n "${BENCHREF_TEST_BINARY:-}" ] || go test -c -o "$bin" "$pkg"

pgbench_tps() { # clients
	PGOPTIONS="-c search_path=ref" pgbench -n -c "$1" -j "$(( $1 < 2 ? 1 : 2 ))" -T 3 -f "$dir/insert.sql" "$url" 2>/dev/null |
		awk '/^tps = / { printf "%.0f", $3 }'
}
store_eps() { # writers
	CHRONICLE_TEST_POSTGRES_URL=$url "$bin" -test.run '^$' -test.bench 'Append/parallel$' \
		-test.cpu "$1" -test.benchtime 2s |
		awk '/events\/s/ { for (i = 1; i < NF; i++) if ($(i+1) == "events/s") printf "%.0f", $i }'
}

# Rounds alternate the reference and the store, so that a change of the machine's load between
# them shows in one round, not in the result.
for round in 1 2 3; do
	for c in 1 16; do
		echo "$round $c $(pgbench_tps "$c") $(store_eps "$c")"
	done
done | awk '
	{ r = $4 / $3; n[$2]++; sum[$2] += r
	  if (n[$2] == 1 || r < lo[$2]) lo[$2] = r
	  if (n[$2] == 1 || r > hi[$2]) hi[$2] = r
	  printf "round %d, %2d writers: pgbench %6d inserts/s, event store %6d events/s, ratio %.2f\n", $1, $2, $3, $4, r }
	END { for (c in n) printf "%2d writers: median ratio %.2f\n", c, sum[c] - lo[c] - hi[c] }'
