-- router: the task router's functions move a task along its lifecycle and
-- answer true only when they did; a call that finds the task in the wrong
-- status (or missing) returns false and changes nothing.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

-- create_task: pending, or assigned when an agent is given.
BEGIN;
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42, NULL);
SELECT task_cancel.create_task('+15550001', 'outbound_sms', agent => 'agent_ann');
SELECT id, customer, task_type, campaign_id, status, agent,
       created_at = now() AS created_now
  FROM task_cancel.tasks ORDER BY id;
COMMIT;

-- reserve -> release -> reserve for someone else -> accept.
SELECT task_cancel.reserve_task(1, 'agent_bob');
SELECT task_cancel.reserve_task(1, 'agent_cy');      -- already reserved
SELECT status, agent FROM task_cancel.tasks WHERE id = 1;
SELECT task_cancel.release_task(1);
SELECT task_cancel.release_task(1);                  -- not reserved any more
SELECT status, agent FROM task_cancel.tasks WHERE id = 1;
SELECT task_cancel.reserve_task(1, 'agent_cy');
SELECT task_cancel.accept_task(1, 'agent_bob');      -- reserved for agent_cy
SELECT task_cancel.accept_task(1, 'agent_cy');
SELECT task_cancel.accept_task(1, 'agent_cy');       -- already assigned
SELECT status, agent FROM task_cancel.tasks WHERE id = 1;

-- A pending task can be accepted directly.
SELECT task_cancel.accept_task(2, 'agent_bob');
SELECT status, agent FROM task_cancel.tasks WHERE id = 2;

-- wrap and complete.
BEGIN;
SELECT task_cancel.complete_task(1);                 -- assigned -> completed
SELECT task_cancel.wrap_task(2);
SELECT task_cancel.wrap_task(2);                     -- already wrapping
SELECT task_cancel.complete_task(2);                 -- wrapping -> completed
SELECT task_cancel.complete_task(2);                 -- already completed
SELECT id, status, agent, completed_at = now() AS completed_now
  FROM task_cancel.tasks ORDER BY id;
COMMIT;

-- Final tasks cannot be reserved, accepted or wrapped.
SELECT task_cancel.reserve_task(1, 'agent_bob'),
       task_cancel.accept_task(1, 'agent_bob'),
       task_cancel.wrap_task(1),
       task_cancel.release_task(1);

-- A canceled task cannot be accepted: the agent's accept returns false.
SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.create_task('+15550002', 'inbound_call') AS task;
SELECT task_cancel.reserve_task(4, 'agent_ann');
SELECT * FROM task_cancel.cancel_tasks('+15550002', 'all', NULL, 1);
SELECT task_cancel.accept_task(4, 'agent_ann');
SELECT status, agent FROM task_cancel.tasks WHERE id = 4;

-- Missing tasks: false, not an error.
SELECT task_cancel.reserve_task(999, 'agent_ann'),
       task_cancel.release_task(999),
       task_cancel.accept_task(999, 'agent_ann'),
       task_cancel.wrap_task(999),
       task_cancel.complete_task(999);

-- Arguments that are required.
SELECT task_cancel.create_task(NULL, 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('', 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', 'fax');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', 'outbound_call', 77);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', 'inbound_call', agent => '');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.reserve_task(NULL, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.reserve_task(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.accept_task(1, '');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.complete_task(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tasks FROM task_cancel.tasks;

DROP EXTENSION task_cancel;
