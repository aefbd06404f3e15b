-- An agent accepts the newest waiting task of one of six customers (by
-- customer and id, as the router does on Citus); an accept that won is
-- logged.
\set n random(1, 6)
SELECT coalesce(max(id), 0) AS tid FROM task_cancel.tasks
 WHERE customer = 'load-:n' AND status IN ('pending', 'reserved') \gset
SELECT task_cancel.accept_task('load-:n', :tid, 'agent_load')::int AS won \gset
\if :won = 1
INSERT INTO load_accepted VALUES (:tid);
\endif
