-- an agent accepts a waiting task (the one it was offered, if reserved);
-- a successful accept is logged in the same transaction
\set c random(1, 50)
BEGIN;
SELECT coalesce(max(id), -1) AS tid FROM task_cancel.tasks
 WHERE customer = 's' || :c AND status IN ('pending', 'reserved') \gset
SELECT coalesce((SELECT agent FROM task_cancel.tasks
                  WHERE customer = 's' || :c AND id = :tid AND status = 'reserved'),
                'agent' || :client_id) AS ag \gset
INSERT INTO soak.accepts (task_id, agent)
SELECT :tid::bigint, :ag::text WHERE task_cancel.accept_task(:tid, :ag);
COMMIT;
