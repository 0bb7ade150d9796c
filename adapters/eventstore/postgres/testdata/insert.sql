-- One event as eventstoretest.BenchmarkAppend appends it (same body, metadata of the same shape),
-- inserted alone in its own transaction: the reference for benchref.sh.
INSERT INTO events (event_id, stream_id, version, type, occurred_at, data, metadata)
VALUES (gen_random_uuid(), 'lead-' || gen_random_uuid(), 1, 'lead.created.v1', now(),
	'{"name":"王小明","company":"北京星河科技有限公司","phone":"010-88886666"}',
	json_build_object('actorId', gen_random_uuid(), 'actorName', '张伟', 'correlationId', gen_random_uuid(),
		'causationId', gen_random_uuid(), 'command', 'test.command', 'requestId', 'req-1', 'clientAddr', '127.0.0.1')::jsonb);
