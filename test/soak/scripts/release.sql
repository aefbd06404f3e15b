-- an offer times out
\set c random(1, 50)
BEGIN;
SELECT coalesce(min(id), -1) AS tid FROM task_cancel.tasks
 WHERE customer = 's' || :c AND status = 'reserved' \gset
SELECT task_cancel.release_task(:tid);
COMMIT;
