\set c random(0, :ncust - 1)
-- a type none of this customer's waiting tasks has (see bench/gen.sql)
\set t (8 * :c + 1) % 11
\set t 1 + case when :t = 10 then (8 * :c + 2) % 11 else :t end
BEGIN;
WITH tt AS (
    SELECT name, label FROM task_cancel.task_types
     WHERE name = (ARRAY['inbound_call', 'transfer_call', 'inbound_sms', 'outbound_call', 'manual_outbound_call', 'asap_callback', 'scheduled_callback', 'outbound_sms', 'voicemail', 'custom_task', 'automated_sms'])[:t]
       AND cancelable
), locked AS (
    SELECT t.id, t.status FROM task_cancel.tasks AS t
     WHERE t.customer = 'c' || lpad(:c::text, 8, '0')
       AND t.status IN ('pending', 'reserved')
       AND t.task_type = (SELECT name FROM tt)
     ORDER BY t.id
       FOR NO KEY UPDATE
), canceled AS (
    UPDATE task_cancel.tasks AS t
       SET status = 'canceled', canceled_at = now(), canceled_by_journey_id = 1,
           canceled_by_journey_name = (SELECT name FROM task_cancel.journeys WHERE id = 1),
           cancel_reason = 'Cancel Task block: waiting tasks of type ' || (SELECT label FROM tt) || ' (' || (SELECT name FROM tt) || ')'
      FROM locked
     WHERE t.customer = 'c' || lpad(:c::text, 8, '0') AND t.id = locked.id
    RETURNING t.id, t.task_type, locked.status
)
SELECT id AS task_id, task_type, status AS previous_status FROM canceled ORDER BY id;
ROLLBACK;
