-- W9: an agent's "Cancel this Task & End Campaigns" on the customer's
-- waiting campaign call (id 900000000 + 2c, bench/deep_gen.sql)
\set c :base + random(0, :k - 1)
\set t 900000000 + 2 * :c
BEGIN;
SELECT * FROM task_cancel.cancel_task(:t, 'agent1', 'bench', end_campaigns => true);
ROLLBACK;
