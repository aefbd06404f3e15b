-- two_phase: a transaction that cancels anything -- either form of
-- cancel_tasks, an agent's cancel_task, block_customer, a task born
-- canceled for a blocked customer -- can be prepared (PREPARE TRANSACTION)
-- as in 1.0, and COMMIT PREPARED or ROLLBACK PREPARED then settles it all
-- or nothing: tasks, audit and events.  (Notifications under two-phase
-- commit: listen_notify.spec.  Needs max_prepared_transactions > 0; make
-- test sets it.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Lost lead cleanup');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT count(task_cancel.create_task(c, t, CASE WHEN t = 'outbound_call' THEN 42 END))
  FROM unnest(ARRAY['+15550001', '+15550002', '+15550003', '+15550004',
                    '+15550005', '+15550006']) AS c,
       unnest(ARRAY['inbound_call', 'outbound_call']) AS t;

CREATE VIEW board AS
SELECT customer, task_type, status, canceled_by_journey_name,
       canceled_by_agent, cancel_event_id IS NOT NULL AS has_event
  FROM task_cancel.tasks ORDER BY customer, id;

-- cancel_tasks(customer, ...), every mode: prepared, nothing is visible
-- yet; committed, everything is.
BEGIN;
SELECT task_type, previous_status FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);
SELECT task_type, previous_status FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42', 1);
PREPARE TRANSACTION 'tc_single';
SELECT count(*) AS canceled_before_commit FROM task_cancel.tasks WHERE status = 'canceled';
SELECT count(*) AS events_before_commit FROM task_cancel.cancel_events;
COMMIT PREPARED 'tc_single';
SELECT * FROM board WHERE customer = '+15550001';

-- cancel_tasks(customers[], ...): rolled back after PREPARE, no trace.
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY['+15550002', '+15550003'], 'all', NULL, 1);
PREPARE TRANSACTION 'tc_array';
ROLLBACK PREPARED 'tc_array';
SELECT count(*) AS canceled, (SELECT count(*) FROM task_cancel.cancel_events) AS events
  FROM task_cancel.tasks WHERE status = 'canceled';
-- and committed.
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY['+15550002', '+15550003'], 'all', NULL, 1);
PREPARE TRANSACTION 'tc_array';
COMMIT PREPARED 'tc_array';
SELECT * FROM board WHERE customer IN ('+15550002', '+15550003');

-- An agent's cancel, with End Campaigns.
SELECT min(id) AS t4 FROM task_cancel.tasks WHERE customer = '+15550004' \gset
BEGIN;
SELECT task_type, previous_status FROM task_cancel.cancel_task(:t4, 'agent_ann', NULL, true);
PREPARE TRANSACTION 'tc_agent';
COMMIT PREPARED 'tc_agent';
SELECT * FROM board WHERE customer = '+15550004';

-- A block, and a task born canceled for a blocked customer.
BEGIN;
SELECT task_cancel.block_customer('+15550005', 'Replied STOP', 1);
PREPARE TRANSACTION 'tc_block';
COMMIT PREPARED 'tc_block';
BEGIN;
SELECT task_cancel.create_task('+15550005', 'inbound_call') > 0 AS created;
PREPARE TRANSACTION 'tc_born';
COMMIT PREPARED 'tc_born';
SELECT * FROM board WHERE customer = '+15550005';
-- Born canceled, rolled back after PREPARE: no task, no event.
BEGIN;
SELECT task_cancel.create_task('+15550005', 'voicemail') > 0 AS created;
PREPARE TRANSACTION 'tc_born';
ROLLBACK PREPARED 'tc_born';
SELECT count(*) AS voicemails FROM task_cancel.tasks WHERE customer = '+15550005' AND task_type = 'voicemail';

-- A cancel in a subtransaction that rolled back, then one that stays.
BEGIN;
SAVEPOINT s;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550006', 'task_type', 'inbound_call', 1);
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550006', 'campaign', '42', 1);
PREPARE TRANSACTION 'tc_sub';
COMMIT PREPARED 'tc_sub';
SELECT * FROM board WHERE customer = '+15550006';

-- Every event points at tasks it lists; nothing is left prepared.
SELECT e.customer, e.mode, e.task_ids = ARRAY(SELECT t.id FROM task_cancel.tasks AS t
                                             WHERE t.cancel_event_id = e.id ORDER BY t.id) AS lists_its_tasks
  FROM task_cancel.cancel_events AS e ORDER BY e.id;
SELECT count(*) AS still_prepared FROM pg_prepared_xacts;

-- The ordinary commit still works the same.
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550006', 'all', NULL, 1);
COMMIT;

DROP VIEW board;
DROP EXTENSION task_cancel;
