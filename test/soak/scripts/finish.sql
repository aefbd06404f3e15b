-- an agent wraps up and completes a task
\set c random(1, 50)
BEGIN;
SELECT coalesce(min(id), -1) AS tid FROM task_cancel.tasks
 WHERE customer = 's' || :c AND status IN ('assigned', 'wrapping') \gset
SELECT task_cancel.wrap_task(:tid);
SELECT task_cancel.complete_task(:tid);
COMMIT;
