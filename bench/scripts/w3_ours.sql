\set c random(0, :ncust - 1)
\set camp :c % 100 + 1
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('c' || lpad(:c::text, 8, '0'), 'campaign', :camp::text, 1);
ROLLBACK;
