-- deep_history: a cancel reads the customer's open tasks, never their past.
-- A frequent caller piles up completed and canceled tasks; from 1.2 every
-- cancel form finds the waiting ones through tasks_open_idx (the tasks that
-- are neither completed nor canceled), so its cost follows the open tasks,
-- not the history.  Each case below runs one form against a customer with
-- 10,000 past tasks and 2 waiting ones, and counts the rows it read from
-- task_cancel.tasks and its indexes with this transaction's statistics
-- counters (pg_stat_get_xact_tuples_returned / _fetched: index entries read,
-- heap rows fetched, rows a sequential scan returned).  The counters are the
-- backend's own and are sent to the statistics system only between
-- transactions, so a difference taken inside one transaction is exactly
-- what the statements in between read.  "fewer than 50" rather than an
-- exact number: dead index entries left by the rolled-back cases before
-- (and autovacuum removing them) change the exact count, never by
-- thousands.  Every case rolls back, so each sees the same data; each runs
-- with task_cancel.fast_path on (the C path) and off (the SPI path).
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Deep history');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

-- 1000 shallow customers: 5 past tasks and one waiting task each.
INSERT INTO task_cancel.tasks (customer, task_type, status, agent, completed_at)
SELECT '+1555' || lpad(c::text, 7, '0'), 'inbound_call', 'completed', 'agent_ann', now()
  FROM generate_series(1, 1000) AS c, generate_series(1, 5) AS k;
INSERT INTO task_cancel.tasks (customer, task_type)
SELECT '+1555' || lpad(c::text, 7, '0'), 'inbound_call'
  FROM generate_series(1, 1000) AS c;

-- The deep customer: 9000 completed and 1000 canceled tasks, half of them
-- from campaign 42 and of the same types as the waiting ones ...
INSERT INTO task_cancel.tasks
       (customer, task_type, campaign_id, status, agent, completed_at,
        canceled_at, canceled_by_journey_id, canceled_by_journey_name, cancel_reason)
SELECT '+15559999999', CASE WHEN i % 2 = 0 THEN 'outbound_call' ELSE 'voicemail' END,
       CASE WHEN i % 2 = 0 THEN 42 END,
       s, CASE WHEN s = 'completed' THEN 'agent_ann' END,
       CASE WHEN s = 'completed' THEN now() END,
       CASE WHEN s = 'canceled' THEN now() END,
       CASE WHEN s = 'canceled' THEN 1 END,
       CASE WHEN s = 'canceled' THEN 'Deep history' END,
       CASE WHEN s = 'canceled' THEN 'an earlier cancel' END
  FROM generate_series(1, 10000) AS i,
       LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'canceled' ELSE 'completed' END AS s) AS st;
-- ... and two waiting: a campaign call and a voicemail.
SELECT task_cancel.create_task('+15559999999', 'outbound_call', 42) AS campaign_task \gset
SELECT task_cancel.create_task('+15559999999', 'voicemail') AS voicemail_task \gset
ANALYZE task_cancel.tasks;

SELECT status, count(*) FROM task_cancel.tasks
 WHERE customer = '+15559999999' GROUP BY status ORDER BY status;

-- Rows read from tasks and its indexes so far in this transaction.  Shown
-- as the difference since "before": "fewer than 50", or the number.
CREATE FUNCTION rows_read() RETURNS bigint LANGUAGE sql AS $$
    SELECT sum(pg_stat_get_xact_tuples_returned(r) + pg_stat_get_xact_tuples_fetched(r))::bigint
      FROM (SELECT 'task_cancel.tasks'::regclass::oid
            UNION ALL
            SELECT indexrelid FROM pg_index
             WHERE indrelid = 'task_cancel.tasks'::regclass) AS rel(r)
$$;
CREATE FUNCTION read_since(before bigint) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN rows_read() - before < 50 THEN 'fewer than 50'
                ELSE (rows_read() - before)::text END
$$;

-- With the fast path (the default).
SET task_cancel.fast_path = on;

-- cancel_tasks, each mode: both waiting tasks, one type, one campaign.
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'all', NULL, 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'task_type', 'voicemail', 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'campaign', '42', 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;

-- The array form, the deep customer among shallow ones.
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks(
    ARRAY['+15550000001', '+15559999999', '+15550000002', '+15550000003'], 'all', NULL, 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;

-- preview_cancel reads what the cancel would.
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.preview_cancel('+15559999999', 'all', NULL);
SELECT read_since(:before) AS rows_read;
ROLLBACK;

-- "Cancel this Task & End Campaigns": the named task, then the customer's
-- other waiting campaign tasks -- not the 5000 past ones of campaign 42.
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_task(:campaign_task, 'agent_ann', 'customer asked',
                                      end_campaigns => true);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_task(:voicemail_task, 'agent_ann', 'customer asked',
                                      end_campaigns => true);
SELECT read_since(:before) AS rows_read;
ROLLBACK;

-- block_customer cancels the waiting tasks, and waits for creators of new
-- ones by reading the open tasks too.
BEGIN;
SELECT rows_read() AS before \gset
SELECT task_cancel.block_customer('+15559999999', 'asked to be left alone', 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;

-- The same, on the SPI path.
SET task_cancel.fast_path = off;

BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'all', NULL, 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'task_type', 'voicemail', 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'campaign', '42', 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks(
    ARRAY['+15550000001', '+15559999999', '+15550000002', '+15550000003'], 'all', NULL, 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.preview_cancel('+15559999999', 'all', NULL);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_task(:campaign_task, 'agent_ann', 'customer asked',
                                      end_campaigns => true);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_task(:voicemail_task, 'agent_ann', 'customer asked',
                                      end_campaigns => true);
SELECT read_since(:before) AS rows_read;
ROLLBACK;
BEGIN;
SELECT rows_read() AS before \gset
SELECT task_cancel.block_customer('+15559999999', 'asked to be left alone', 1);
SELECT read_since(:before) AS rows_read;
ROLLBACK;

-- The contrast, proving the counter sees the history when a cancel reads
-- it: without tasks_open_idx (as in a 1.0 or 1.1 database) the same cancel
-- reads all 10,002 of the customer's rows, on either path (without the
-- index the fast path steps aside for the statements).  The index comes
-- back with the rollback.
BEGIN;
DROP INDEX task_cancel.tasks_open_idx;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'all', NULL, 1);
SELECT rows_read() - :before >= 10000 AS read_the_history;
ROLLBACK;
RESET task_cancel.fast_path;
BEGIN;
DROP INDEX task_cancel.tasks_open_idx;
SELECT rows_read() AS before \gset
SELECT * FROM task_cancel.cancel_tasks('+15559999999', 'all', NULL, 1);
SELECT rows_read() - :before >= 10000 AS read_the_history;
ROLLBACK;

-- Nothing changed: the two tasks still wait, no event, no block.
SELECT status, count(*) FROM task_cancel.tasks
 WHERE customer = '+15559999999' GROUP BY status ORDER BY status;
SELECT count(*) AS events FROM task_cancel.cancel_events;
SELECT count(*) AS blocked FROM task_cancel.blocked_customers;

DROP FUNCTION read_since(bigint);
DROP FUNCTION rows_read();
DROP EXTENSION task_cancel;
