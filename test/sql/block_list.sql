-- block_list: block_customer records the customer and cancels their
-- waiting, cancelable tasks now; while they are blocked, a cancelable task
-- created for them is created canceled, with the audit and an event, so no
-- agent ever sees it.  Tasks that are not cancelable (automated SMS, a
-- manual task created assigned) are created as asked.  Rows inserted with
-- an earlier created_at -- restores, imports of history -- are stored as
-- given.  unblock_customer lifts the block.  (Race with create: spec
-- race_block_create.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Opt-out handler');

SELECT task_cancel.create_task('+15550001', 'inbound_call');      -- 1
SELECT task_cancel.create_task('+15550001', 'voicemail');         -- 2
SELECT task_cancel.reserve_task(2, 'agent_ann');
SELECT task_cancel.create_task('+15550001', 'automated_sms');     -- 3
SELECT task_cancel.create_task('+15550001', 'inbound_sms', agent => 'agent_bob'); -- 4
SELECT task_cancel.create_task('+15550002', 'inbound_call');      -- 5

CREATE VIEW board AS
SELECT id, customer, task_type, status, agent, canceled_by_journey_id,
       canceled_by_journey_name, cancel_reason,
       canceled_at = created_at AS born_canceled
  FROM task_cancel.tasks ORDER BY id;

-- Blocking cancels the waiting tasks now and says how many.
SELECT task_cancel.block_customer('+15550001', 'Asked not to be contacted', 1);
SELECT customer, reason, blocked_by_journey_id,
       blocked_at = (SELECT canceled_at FROM task_cancel.tasks WHERE id = 1) AS same_time
  FROM task_cancel.blocked_customers;
-- Blocking twice is harmless: the first record stays, nothing more to cancel.
SELECT task_cancel.block_customer('+15550001', 'Duplicate request');
SELECT customer, reason, blocked_by_journey_id FROM task_cancel.blocked_customers;
-- A block without a journey.
SELECT task_cancel.block_customer('+15550003', 'Number reported as fraud');

-- New tasks of blocked customers: cancelable ones are born canceled.
SELECT task_cancel.create_task('+15550001', 'inbound_call') AS t6 \gset
SELECT task_cancel.create_task('+15550001', 'automated_sms') AS t7 \gset
SELECT task_cancel.create_task('+15550001', 'outbound_sms', agent => 'agent_bob') AS t8 \gset
SELECT task_cancel.create_task('+15550003', 'scheduled_callback') AS t9 \gset
SELECT task_cancel.create_task('+15550002', 'inbound_call') AS t10 \gset
-- A direct INSERT is held to the same rule.
INSERT INTO task_cancel.tasks (customer, task_type) VALUES ('+15550003', 'voicemail');
-- History with its own created_at is stored as given.
INSERT INTO task_cancel.tasks (customer, task_type, created_at)
VALUES ('+15550003', 'voicemail', now() - interval '1 day');
SELECT * FROM board;

-- Each cancel has its event: one for the block's cancel, one per task born
-- canceled.
SELECT id, customer, canceled_by_journey_id, canceled_by_journey_name, mode, arg, task_ids
  FROM task_cancel.cancel_events ORDER BY id;
SELECT count(*) AS without_event FROM task_cancel.tasks
 WHERE status = 'canceled' AND cancel_event_id IS NULL;

-- A born-canceled task stays canceled; the router cannot offer it.
SELECT task_cancel.reserve_task(:t6, 'agent_ann') AS reserved;
SELECT task_cancel.accept_task(:t6, 'agent_ann') AS accepted;

-- Unblocking lifts it for new tasks; canceled ones stay canceled.
SELECT task_cancel.unblock_customer('+15550001');
SELECT task_cancel.unblock_customer('+15550001');
SELECT task_cancel.create_task('+15550001', 'inbound_call') AS t13 \gset
SELECT status FROM task_cancel.tasks WHERE id = :t13;
SELECT status FROM task_cancel.tasks WHERE id = :t6;
SELECT customer FROM task_cancel.blocked_customers ORDER BY customer;

-- In one transaction: block, then create -- born canceled; roll back --
-- no block, no canceled task, no event.
BEGIN;
SELECT task_cancel.block_customer('+15550004', 'Test');
SELECT task_cancel.create_task('+15550004', 'inbound_call') AS t14 \gset
SELECT status FROM task_cancel.tasks WHERE id = :t14;
ROLLBACK;
SELECT count(*) AS blocks FROM task_cancel.blocked_customers WHERE customer = '+15550004';
SELECT count(*) AS tasks FROM task_cancel.tasks WHERE customer = '+15550004';
SELECT count(*) AS events FROM task_cancel.cancel_events WHERE customer = '+15550004';

-- The block list is exact: only the blocked customer itself is affected,
-- even when another customer's number has the same hash code (the probe
-- goes through a hash index, which stores only the code).
SELECT hashtext('+15550001563') = hashtext('+15550196304') AS pair_1_collides,
       hashtext('+14440010817') = hashtext('+14440065624') AS pair_2_collides;
SELECT task_cancel.block_customer('+15550001563', 'Replied STOP');
SELECT task_cancel.block_customer('+14440065624', 'Replied STOP');
SELECT task_cancel.create_task('+15550196304', 'inbound_call') AS c1 \gset
SELECT task_cancel.create_task('+14440010817', 'inbound_sms') AS c2 \gset
SELECT task_cancel.create_task('+15550001563', 'inbound_call') AS c3 \gset
SELECT customer, status, cancel_reason FROM task_cancel.tasks
 WHERE id IN (:c1, :c2, :c3) ORDER BY id;
SELECT customer, mode FROM task_cancel.cancel_events
 WHERE customer IN ('+15550196304', '+14440010817', '+15550001563')
 ORDER BY id;

-- One transaction may create tasks for 100,000 customers: while a
-- statement inserts, it holds one lock per bucket of customers (at most
-- 256), not one per customer, so the shared lock table does not run out;
-- once the rows are in the table it holds none, so blocks of other
-- customers never wait for the rest of its transaction.
BEGIN;
INSERT INTO task_cancel.tasks (customer, task_type)
SELECT 'bulk' || g, 'inbound_call' FROM generate_series(1, 100000) AS g;
SELECT count(*) AS bucket_locks_after_insert
  FROM pg_locks
 WHERE locktype = 'advisory' AND objsubid = 29763 AND pid = pg_backend_pid();
COMMIT;
SELECT count(*) AS bulk_tasks FROM task_cancel.tasks WHERE customer LIKE 'bulk%';
DELETE FROM task_cancel.tasks WHERE customer LIKE 'bulk%';

-- Bad input: a clear error, nothing changed.
SELECT task_cancel.block_customer(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer('', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer('+15550005', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer('+15550005', '');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer('+15550005', 'x', 404);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.unblock_customer(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.unblock_customer('');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS blocks FROM task_cancel.blocked_customers WHERE customer = '+15550005';

DROP VIEW board;
DROP EXTENSION task_cancel;
