-- W9: preview_cancel, mode all
\set c :base + random(0, :k - 1)
BEGIN;
SELECT * FROM task_cancel.preview_cancel('h' || :c::text, 'all', NULL);
ROLLBACK;
