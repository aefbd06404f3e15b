-- A journey creates a task, the router reserves it for the agent, and
-- 0-40 ms later a journey cancels the customer's waiting tasks.
\set n random(1, 6)
\set pause random(0, 40)
SELECT task_cancel.create_task('load-:n', 'inbound_call') AS tid \gset
SELECT task_cancel.reserve_task('load-:n', :tid, 'agent_load');
\sleep :pause ms
SELECT count(*) FROM task_cancel.cancel_tasks('load-:n', 'all', NULL, 401);
