#!/usr/bin/env bash
# Reference figures of the PostgreSQL server a load run uses, measured in the same run so that the
# application's figures can be quoted as ratios of them (docs/performance.md, "Load harness"):
#
#   - pgbench, single-row INSERTs of event-shaped rows (one transaction, one commit each) into a
#     scratch copy of the event table, with 1 and with 16 clients: what the server commits;
#   - COPY of N event-shaped rows from a generated CSV into that table: what it ingests in bulk.
#
# Usage: cmd/chronicle/loadgen/bench-ref.sh [POSTGRES_URL]   (default: $PG_URL, else the local test database)
# BENCH_REF_ROWS (default 100000) rows are copied; each pgbench run lasts BENCH_REF_SECONDS
# (default 10). Everything happens in a scratch schema that is dropped at the end.
set -euo pipefail

url=${1:-${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
rows=${BENCH_REF_ROWS:-100000}
secs=${BENCH_REF_SECONDS:-10}
schema="bench_ref_$$"
work=$(mktemp -d)

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
cleanup() {
	psql_q -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# 1234567 -> 1,234,567
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[,.]\)/\1,\2\3/' -e 'ta' <<<"$1"; }

# The event table of the PostgreSQL event store (adapters/eventstore/postgres), indexes included.
psql_q <<SQL
CREATE SCHEMA $schema;
CREATE TABLE $schema.events (
	position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id    uuid        NOT NULL UNIQUE,
	stream_id   text        NOT NULL,
	version     bigint      NOT NULL,
	type        text        NOT NULL,
	occurred_at timestamptz NOT NULL,
	recorded_at timestamptz NOT NULL DEFAULT now(),
	data        jsonb       NOT NULL,
	metadata    jsonb       NOT NULL,
	UNIQUE (stream_id, version)
);
CREATE INDEX ON $schema.events (occurred_at);
CREATE INDEX ON $schema.events (type, occurred_at);
CREATE INDEX ON $schema.events ((metadata->>'actorId'), occurred_at);
SQL

# A lead.created.v1 event as the commands encode it (about 500 bytes of JSON).
data='{"leadId":"0190b000-0000-7000-8000-000000000001","fields":{"name":"王伟华","company":"北京星河智能科技有限公司","phone":"010-8765 4321","mobile":"138 1234 5678","source":"展会","industry":"制造业","level":"B","address":"北京市朝阳区建设路88号","remark":"已发送产品资料"},"ownerId":"0190b000-0000-7000-8000-000000000002","by":"0190b000-0000-7000-8000-000000000003","at":"2026-01-05T08:30:00Z"}'
meta='{"actorId":"0190b000-0000-7000-8000-000000000003","actorName":"admin","correlationId":"5b8e6c1a-3f47-4d2b-9e0c-7a1d2f3b4c5d","command":"lead.import","requestId":"bench-ref"}'

cat >"$work/insert.sql" <<SQL
INSERT INTO events (event_id, stream_id, version, type, occurred_at, data, metadata)
VALUES (gen_random_uuid(), 'lead-' || gen_random_uuid(), 1, 'lead.created.v1', now(), '$data', '$meta');
SQL

pgbench_tps() { # clients
	local threads=$(( $1 < 2 ? 1 : 2 ))
	PGOPTIONS="-c search_path=$schema" pgbench -n -T "$secs" -c "$1" -j "$threads" -f "$work/insert.sql" "$url" 2>&1 |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1
}
tps1=$(pgbench_tps 1)
tps16=$(pgbench_tps 16)

# N event rows as CSV (quotes doubled), each its own stream, then one COPY.
awk -v n="$rows" -v data="$data" -v meta="$meta" 'BEGIN {
	gsub(/"/, "\"\"", data); gsub(/"/, "\"\"", meta)
	for (i = 1; i <= n; i++)
		printf "%08x-0000-4000-8000-%012x,lead-%08x-0000-4000-8000-%012x,1,lead.created.v1,2026-01-05 08:30:00+00,\"%s\",\"%s\"\n", i, i, i, i, data, meta
}' >"$work/events.csv"
bytes=$(stat -c %s "$work/events.csv")
copy_ms=$(psql -X -v ON_ERROR_STOP=1 "$url" 2>&1 <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
SET search_path = $schema;
\timing on
\copy events (event_id, stream_id, version, type, occurred_at, data, metadata) FROM '$work/events.csv' WITH (FORMAT csv)
SQL
)
copied=$(psql_q -At -c "SELECT count(*) FROM $schema.events WHERE stream_id LIKE 'lead-%-0000-4000-8000-%'")
if [ "$copied" != "$rows" ]; then
	echo "bench-ref: COPY wrote $copied rows, expected $rows" >&2
	exit 1
fi

version=$(psql_q -At -c "SHOW server_version")
settings=$(psql_q -At -c "SELECT 'synchronous_commit ' || current_setting('synchronous_commit') || ', shared_buffers ' || current_setting('shared_buffers')")
copy_rate=$(awk -v n="$rows" -v ms="$copy_ms" 'BEGIN { printf "%d", n / (ms / 1000) }')
copy_s=$(awk -v ms="$copy_ms" 'BEGIN { printf "%.2f", ms / 1000 }')
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')

echo "bench-ref $(date -u +%Y-%m-%dT%H:%MZ): PostgreSQL $version ($settings), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| Reference (event-shaped rows, the event table's indexes) | Figure |"
echo "|---|---|"
echo "| pgbench single-row INSERT, 1 client, ${secs} s | $(commas "$(printf '%.0f' "$tps1")") rows/s |"
echo "| pgbench single-row INSERT, 16 clients, ${secs} s | $(commas "$(printf '%.0f' "$tps16")") rows/s |"
echo "| COPY of $(commas "$rows") rows (CSV, $mib MiB) | ${copy_s} s, $(commas "$copy_rate") rows/s |"
