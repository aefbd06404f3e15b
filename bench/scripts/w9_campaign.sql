-- W9: mode campaign (the waiting outbound call of campaign 42)
\set c :base + random(0, :k - 1)
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('h' || :c::text, 'campaign', '42', 1);
ROLLBACK;
