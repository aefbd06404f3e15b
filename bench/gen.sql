-- bench/gen.sql: deterministic data for the benchmark.  Adds tasks with
-- ids :from .. :to - 1, 20 per customer ("c00000000", "c00000001", ...),
-- so customers have the same shape whatever the table size: of every 20
-- tasks 12 are completed, 3 canceled, 1 assigned, 1 wrapping, 2 pending and
-- 1 reserved, of mixed types; half belong to one of 100 campaigns
-- (customer n's is campaign n % 100 + 1).  No random(): the same
-- parameters give the same rows.
\set ON_ERROR_STOP 1
INSERT INTO task_cancel.tasks
       (id, customer, task_type, campaign_id, journey_id, status, agent,
        created_at, completed_at, canceled_at, canceled_by_journey_id,
        canceled_by_journey_name, cancel_reason)
SELECT i,
       'c' || lpad((i / 20)::text, 8, '0'),
       (ARRAY['inbound_call', 'transfer_call', 'inbound_sms', 'outbound_call',
              'manual_outbound_call', 'asap_callback', 'scheduled_callback',
              'outbound_sms', 'voicemail', 'custom_task', 'automated_sms'])[1 + (i * 7) % 11],
       CASE WHEN i % 2 = 1 THEN (i / 20) % 100 + 1 END,
       CASE WHEN i % 3 = 0 THEN 1 END,
       s.status,
       CASE WHEN s.status IN ('reserved', 'assigned', 'wrapping', 'completed') THEN 'agent' || i % 50 END,
       timestamptz '2026-01-01' + i * interval '1 second',
       CASE WHEN s.status = 'completed' THEN timestamptz '2026-01-01' + i * interval '1 second' END,
       CASE WHEN s.status = 'canceled' THEN timestamptz '2026-01-01' + i * interval '1 second' END,
       CASE WHEN s.status = 'canceled' THEN 2 END,
       CASE WHEN s.status = 'canceled' THEN 'Old journey' END,
       CASE WHEN s.status = 'canceled' THEN 'Cancel Task block: all of the customer''s waiting tasks' END
  FROM generate_series(:from, :to - 1) AS i,
       LATERAL (SELECT (ARRAY['completed', 'completed', 'completed', 'completed',
                              'completed', 'completed', 'completed', 'completed',
                              'completed', 'completed', 'completed', 'completed',
                              'canceled', 'canceled', 'canceled', 'assigned',
                              'wrapping', 'pending', 'pending', 'reserved'])[1 + (i * 13) % 20]
               AS status) AS s;
SELECT setval(pg_get_serial_sequence('task_cancel.tasks', 'id'), :to);
ANALYZE task_cancel.tasks;
