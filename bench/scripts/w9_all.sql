-- W9: mode all for customer h(:base + 0 .. :k - 1); bench/deep_gen.sql
\set c :base + random(0, :k - 1)
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('h' || :c::text, 'all', NULL, 1);
ROLLBACK;
