-- W9: the array form, the measured customer among 9 shallow others
\set c :base + random(0, :k - 1)
\set o random(0, 9990)
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY['h' || :c::text] || ARRAY(SELECT 'o' || g FROM generate_series(:o, :o + 8) AS g), 'all', NULL, 1);
ROLLBACK;
