-- bench/deep_gen.sql: customers with a deep history, for W9
-- (bench/deep_history) and bench/instructions.  Needs journey 1 and
-- campaign 42 (bench/setup.sql).  Customers are 'h' || n:
--
--   h0    .. h(k-1)        shallow: 5 past tasks
--   h1000 .. h(1000+k-1)   10,000 past tasks
--   h2000 .. h(2000+k-1)   100,000 past tasks
--
-- each with two waiting tasks: an outbound call of campaign 42 (id
-- 900000000 + 2n, so a pgbench script can name it) and a voicemail (id
-- 900000000 + 2n + 1).  Of the past tasks 9 in 10 are completed and 1 in 10
-- canceled, of the same types as the waiting ones, half from campaign 42:
-- every mode's condition matches thousands of them, only the open-task
-- condition tells them apart.  Beside them, o0 .. o9999 (5 past tasks, one
-- waiting inbound call) are the other customers of W9's array form.  No
-- random(): the same :k gives the same rows.
\set ON_ERROR_STOP 1
INSERT INTO task_cancel.tasks
       (customer, task_type, campaign_id, status, agent, created_at,
        completed_at, canceled_at, canceled_by_journey_id,
        canceled_by_journey_name, cancel_reason)
SELECT 'h' || d.n,
       (ARRAY['outbound_call', 'voicemail', 'inbound_call'])[1 + i % 3],
       CASE WHEN i % 2 = 0 THEN 42 END,
       s.status,
       CASE WHEN s.status = 'completed' THEN 'agent' || i % 50 END,
       timestamptz '2025-01-01' + i * interval '1 minute',
       CASE WHEN s.status = 'completed' THEN timestamptz '2025-01-01' + i * interval '1 minute' END,
       CASE WHEN s.status = 'canceled' THEN timestamptz '2025-01-01' + i * interval '1 minute' END,
       CASE WHEN s.status = 'canceled' THEN 2 END,
       CASE WHEN s.status = 'canceled' THEN 'Old journey' END,
       CASE WHEN s.status = 'canceled' THEN 'Cancel Task block: all of the customer''s waiting tasks' END
  FROM (SELECT n, 5 AS depth FROM generate_series(0, :k - 1) AS n
        UNION ALL SELECT 1000 + n, 10000 FROM generate_series(0, :k - 1) AS n
        UNION ALL SELECT 2000 + n, 100000 FROM generate_series(0, :k - 1) AS n) AS d,
       LATERAL generate_series(1, d.depth) AS i,
       LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'canceled' ELSE 'completed' END AS status) AS s;
INSERT INTO task_cancel.tasks (id, customer, task_type, campaign_id)
SELECT 900000000 + 2 * d.n + w.k, 'h' || d.n, w.task_type, w.campaign_id
  FROM (SELECT n FROM generate_series(0, :k - 1) AS n
        UNION ALL SELECT 1000 + n FROM generate_series(0, :k - 1) AS n
        UNION ALL SELECT 2000 + n FROM generate_series(0, :k - 1) AS n) AS d,
       (VALUES (0, 'outbound_call', 42), (1, 'voicemail', NULL)) AS w(k, task_type, campaign_id);
INSERT INTO task_cancel.tasks (customer, task_type, status, agent, completed_at)
SELECT 'o' || n, 'inbound_call', 'completed', 'agent1', timestamptz '2025-01-01'
  FROM generate_series(0, 9999) AS n, generate_series(1, 5);
INSERT INTO task_cancel.tasks (customer, task_type)
SELECT 'o' || n, 'inbound_call' FROM generate_series(0, 9999) AS n;
