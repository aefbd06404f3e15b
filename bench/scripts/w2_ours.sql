\set c random(0, :ncust - 1)
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('c' || lpad(:c::text, 8, '0'), 'all', NULL, 1);
ROLLBACK;
