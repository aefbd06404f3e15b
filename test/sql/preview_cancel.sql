-- preview_cancel: what cancel_tasks would cancel right now -- the same rows,
-- in the same order -- with the same validation errors, and no change.
-- (It takes no locks: spec race_preview.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Lost lead cleanup');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42);
SELECT task_cancel.create_task('+15550001', 'automated_sms', 42);
SELECT task_cancel.create_task('+15550001', 'voicemail');
SELECT task_cancel.reserve_task(4, 'agent_ann');
SELECT task_cancel.create_task('+15550001', 'inbound_sms', agent => 'agent_bob');
SELECT task_cancel.create_task('+15550002', 'inbound_call');

-- Each mode, then the cancel itself: the same rows.
SELECT * FROM task_cancel.preview_cancel('+15550001', 'campaign', '42');
SELECT * FROM task_cancel.preview_cancel('+15550001', 'task_type', 'voicemail');
SELECT * FROM task_cancel.preview_cancel('+15550001', 'all', NULL);
SELECT count(*) AS events FROM task_cancel.cancel_events;
SELECT id, status FROM task_cancel.tasks ORDER BY id;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
SELECT * FROM task_cancel.preview_cancel('+15550001', 'all', NULL);

-- The same validation as cancel_tasks (there is no journey to check).
SELECT * FROM task_cancel.preview_cancel(NULL, 'all', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('', 'all', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550002', 'everything', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550002', 'all', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550002', 'task_type', 'fax');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550002', 'task_type', 'automated_sms');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550002', 'campaign', 'spring');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550002', 'campaign', '77');
\echo :LAST_ERROR_SQLSTATE

DROP EXTENSION task_cancel;
