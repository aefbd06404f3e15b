-- demo/support.sql: what support staff see.
\set ON_ERROR_STOP 1
\pset footer off
\echo
\echo '== Past Tasks -> Canceled: which journey (or agent) canceled each task, and why'
SELECT task_id, customer, task_type, agent, canceled_by_journey_id AS journey,
       canceled_by_journey_name AS journey_name, canceled_by_agent AS by_agent,
       cancel_reason
  FROM task_cancel.past_tasks WHERE status = 'canceled' ORDER BY task_id;
\echo
\echo '== Still in the queue or with an agent'
SELECT id, customer, task_type, status, agent
  FROM task_cancel.tasks WHERE status NOT IN ('completed', 'canceled')
 ORDER BY customer, id;
