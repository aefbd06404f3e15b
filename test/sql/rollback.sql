-- rollback: cancel_tasks works inside the caller's transaction.  What a
-- rolled-back transaction canceled is back as it was, audit included;
-- a savepoint undoes just its part.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.create_task('+15550001', t)
  FROM unnest(ARRAY['inbound_call', 'voicemail', 'asap_callback']) AS t;
SELECT task_cancel.reserve_task(2, 'agent_ann');

CREATE VIEW board AS
SELECT id, task_type, status, agent, canceled_at, canceled_by_journey_id,
       canceled_by_journey_name, cancel_reason
  FROM task_cancel.tasks ORDER BY id;

-- Canceled inside the transaction, visible there ...
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
SELECT id, status FROM task_cancel.tasks ORDER BY id;
ROLLBACK;
-- ... and gone without a trace after ROLLBACK: the reservation is intact.
SELECT * FROM board;

-- The array form, too.
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY['+15550001'], 'all', NULL, 1);
ROLLBACK;
SELECT * FROM board;

-- A savepoint rolls back only the cancels after it.
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);
SAVEPOINT before_rest;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
ROLLBACK TO SAVEPOINT before_rest;
COMMIT;
SELECT id, task_type, status, agent FROM task_cancel.tasks ORDER BY id;

-- Once committed, a cancel is for good: the router cannot revive it.
SELECT task_cancel.accept_task(1, 'agent_ann');
SELECT task_cancel.release_task(1);

DROP VIEW board;
DROP EXTENSION task_cancel;
