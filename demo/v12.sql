-- Version 1.2: queue timeouts (after TaskRouter's task TTL), and events
-- read in bounded batches and kept for a while.
\echo
\echo '== 1.2: an ASAP callback times out after 30 minutes in the queue'
-- (the command tags of the writes below are not part of the story)
\set QUIET on
UPDATE task_cancel.task_types SET queue_timeout = interval '30 minutes' WHERE name = 'asap_callback';
SELECT task_cancel.create_task('+15550007', 'asap_callback') AS callback \gset
\set QUIET off
SELECT id, task_type, status, expires_at - created_at AS waits_at_most
  FROM task_cancel.tasks WHERE id = :callback;

\echo '-- another callback was created 31 minutes ago and nobody has taken it:'
\set QUIET on
INSERT INTO task_cancel.tasks (customer, task_type, created_at, expires_at)
VALUES ('+15550008', 'asap_callback', now() - interval '31 minutes', now() - interval '1 minute')
RETURNING id AS callback \gset
\set QUIET off
\echo '-- the router never offers a task past its deadline, even before the sweep:'
SELECT task_cancel.reserve_task(:callback, 'agent_ann') AS offered;
\echo '-- the sweep pg_cron runs every minute (cron.schedule in doc/operations.md) cancels it:'
SELECT task_cancel.cancel_expired_tasks() AS timed_out;
SELECT task_id, task_type, status, cancel_reason FROM task_cancel.past_tasks WHERE task_id = :callback;

\echo
\echo '== 1.2: a webhook sender reads events two at a time; old events are purged'
SELECT id, customer, mode FROM task_cancel.cancel_events_since(NULL, 2);
SELECT task_cancel.purge_cancel_events(interval '30 days') AS purged_older_than_30_days;
