-- W9: mode task_type (the waiting voicemail; bench/deep_gen.sql)
\set c :base + random(0, :k - 1)
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('h' || :c::text, 'task_type', 'voicemail', 1);
ROLLBACK;
