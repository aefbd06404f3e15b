\set c random(0, :ncust - 1000)
BEGIN;
WITH locked AS (
    SELECT t.customer, t.id, t.status FROM task_cancel.tasks AS t
     WHERE t.customer = ANY (ARRAY(SELECT 'c' || lpad(g::text, 8, '0') FROM generate_series(:c, :c + 999) AS g))
       AND t.status IN ('pending', 'reserved')
       AND t.task_type IN (SELECT name FROM task_cancel.task_types WHERE cancelable)
     ORDER BY t.customer, t.id
       FOR NO KEY UPDATE
), canceled AS (
    UPDATE task_cancel.tasks AS t
       SET status = 'canceled', canceled_at = now(), canceled_by_journey_id = 1,
           canceled_by_journey_name = (SELECT name FROM task_cancel.journeys WHERE id = 1),
           cancel_reason = 'Cancel Task block: all of the customer''s waiting tasks'
      FROM locked
     WHERE t.customer = locked.customer AND t.id = locked.id
    RETURNING t.id, t.customer, t.task_type, locked.status
)
SELECT count(*) FROM canceled;
ROLLBACK;
