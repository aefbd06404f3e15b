-- the router offers a customer's oldest pending task to an agent
\set c random(1, 50)
BEGIN;
SELECT coalesce(min(id), -1) AS tid FROM task_cancel.tasks
 WHERE customer = 's' || :c AND status = 'pending' \gset
SELECT task_cancel.reserve_task(:tid, 'agent' || :client_id);
COMMIT;
