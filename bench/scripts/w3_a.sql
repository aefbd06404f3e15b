\set c random(0, :ncust - 1)
\set camp :c % 100 + 1
BEGIN;
WITH locked AS (
    SELECT t.id, t.status FROM task_cancel.tasks AS t
     WHERE t.customer = 'c' || lpad(:c::text, 8, '0')
       AND t.status IN ('pending', 'reserved')
       AND t.campaign_id = :camp
       AND t.task_type IN (SELECT name FROM task_cancel.task_types WHERE cancelable)
     ORDER BY t.id
       FOR NO KEY UPDATE
), canceled AS (
    UPDATE task_cancel.tasks AS t
       SET status = 'canceled', canceled_at = now(), canceled_by_journey_id = 1,
           canceled_by_journey_name = (SELECT name FROM task_cancel.journeys WHERE id = 1),
           cancel_reason = 'Cancel Task block: waiting tasks of campaign '
               || (SELECT name FROM task_cancel.campaigns WHERE id = :camp) || ' (id ' || :camp || ')'
      FROM locked
     WHERE t.customer = 'c' || lpad(:c::text, 8, '0') AND t.id = locked.id
    RETURNING t.id, t.task_type, locked.status
)
SELECT id AS task_id, task_type, status AS previous_status FROM canceled ORDER BY id;
ROLLBACK;
