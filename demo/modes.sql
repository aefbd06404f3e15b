-- demo/modes.sql: the Cancel Task block in each of its modes.
\set ON_ERROR_STOP 1
\pset footer off

\echo
\echo '== The queue before any journey runs'
SELECT id, customer, task_type, campaign_id, status, agent
  FROM task_cancel.tasks ORDER BY customer, id;

\echo
\echo '== Journey 102 "Appointment confirmed": cancel Alice''s callbacks (mode task_type)'
\echo '   The offer to agent Ann is withdrawn; previous_status tells the router so.'
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'asap_callback', 102);

\echo
\echo '== Journey 101 "Customer replied STOP": cancel the SMS campaign''s tasks (mode campaign)'
\echo '   The agent SMS task goes; the automated SMS is never canceled.'
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '8', 101);

\echo
\echo '== Journey 101 again: cancel everything of Alice''s still waiting (mode all)'
\echo '   Bob''s accepted transfer call stays on his screen.'
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 101);

\echo
\echo '== The same call once more cancels nothing'
SELECT count(*) AS canceled FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 101);

\echo
\echo '== Journey 103 "Block list sync": Bart and Carla in one call (array form)'
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550003', '+15550002'], 'campaign', '7', 103);

\echo
\echo '== Bad input is refused with a clear error and changes nothing'
\set ON_ERROR_STOP 0
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'automated_sms', 101);
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'everything', NULL, 101);
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 999);
\set ON_ERROR_STOP 1
