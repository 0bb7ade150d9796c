-- The events table as adapters/eventstore/postgres creates it (schemaSQL in store.go), for the
-- pgbench reference of benchref.sh.
CREATE TABLE events (
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
CREATE INDEX events_occurred_at_idx ON events (occurred_at);
CREATE INDEX events_type_idx ON events (type, occurred_at);
CREATE INDEX events_actor_id_idx ON events ((metadata->>'actorId'), occurred_at);
