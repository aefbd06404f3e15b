-- W9: block_customer, rolled back
\set c :base + random(0, :k - 1)
BEGIN;
SELECT task_cancel.block_customer('h' || :c::text, 'bench', 1);
ROLLBACK;
