-- audit: every canceled task says which journey canceled it (id, and its
-- name at that moment), when, and why; renaming the journey later never
-- rewrites history, and no one can edit the audit afterwards.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.register_journey(2, 'Opt-out handler');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42, 1);
SELECT task_cancel.create_task('+15550001', 'voicemail');
SELECT task_cancel.reserve_task(3, 'agent_ann');

BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42', 2);
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 2);
-- canceled_at is the transaction's now().
SELECT id, canceled_at = now() AS canceled_now FROM task_cancel.tasks ORDER BY id;
COMMIT;

-- Who, and why, in words a support person reads.
SELECT id, task_type, status, agent, journey_id, canceled_by_journey_id,
       canceled_by_journey_name, cancel_reason
  FROM task_cancel.tasks ORDER BY id;

-- A renamed journey keeps its old name on the tasks it already canceled,
-- and its new name is used from now on.
SELECT task_cancel.register_journey(2, 'Opt-out handler v2');
SELECT name FROM task_cancel.journeys WHERE id = 2;
SELECT task_cancel.create_task('+15550001', 'custom_task');
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 2);
SELECT id, canceled_by_journey_name FROM task_cancel.tasks ORDER BY id;

-- The audit columns cannot be edited, not even by the table owner ...
UPDATE task_cancel.tasks SET canceled_by_journey_name = 'someone else' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET cancel_reason = NULL WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET canceled_at = canceled_at - interval '1 day' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET canceled_by_journey_id = 1 WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE

-- ... while an update that keeps them as they are, or touches other
-- columns, is allowed.
UPDATE task_cancel.tasks SET cancel_reason = cancel_reason, agent = 'agent_zed'
 WHERE id = 3;
SELECT id, status, agent, canceled_by_journey_name FROM task_cancel.tasks WHERE id = 3;

-- Audit columns cannot be written on a task that is not being canceled,
-- and cannot be smuggled in by an insert either.
SELECT task_cancel.create_task('+15550001', 'inbound_call');
UPDATE task_cancel.tasks SET cancel_reason = 'pre-filled' WHERE id = 5;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
INSERT INTO task_cancel.tasks (customer, task_type, cancel_reason)
VALUES ('+15550001', 'inbound_call', 'pre-filled');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- A hand-written cancel gets canceled_at = now() when it leaves it NULL,
-- and keeps the audit it was given.
BEGIN;
UPDATE task_cancel.tasks
   SET status = 'canceled', cancel_reason = 'duplicate task, removed by support'
 WHERE id = 5;
SELECT id, status, canceled_at = now() AS canceled_now, cancel_reason
  FROM task_cancel.tasks WHERE id = 5;
COMMIT;

DROP EXTENSION task_cancel;
