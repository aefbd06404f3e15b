\set c random(0, :ncust - 1000)
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY(SELECT 'c' || lpad(g::text, 8, '0') FROM generate_series(:c, :c + 999) AS g), 'all', NULL, 1);
ROLLBACK;
