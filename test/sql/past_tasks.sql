-- past_tasks: the support view.  One row per completed or canceled task,
-- with ended_at and the cancel audit; "Past Tasks -> Canceled" is a filter
-- on status.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT task_cancel.create_task('+15550001', 'inbound_call');           -- 1 canceled
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42, 1);   -- 2 completed
SELECT task_cancel.create_task('+15550001', 'voicemail');              -- 3 stays pending
SELECT task_cancel.create_task('+15550002', 'inbound_sms', agent => 'agent_ann'); -- 4 assigned
SELECT task_cancel.accept_task(2, 'agent_bob');
SELECT task_cancel.complete_task(2);
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);

-- The columns, in the order support staff read them.
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute
 WHERE attrelid = 'task_cancel.past_tasks'::regclass AND attnum > 0
 ORDER BY attnum;

-- Only final tasks appear; ended_at is completed_at or canceled_at.
SELECT p.task_id, p.customer, p.task_type, p.campaign_id, p.journey_id,
       p.agent, p.status,
       p.ended_at = COALESCE(t.completed_at, t.canceled_at) AS ended_at_ok,
       p.canceled_by_journey_id, p.canceled_by_journey_name, p.cancel_reason
  FROM task_cancel.past_tasks p
  JOIN task_cancel.tasks t ON t.id = p.task_id
 ORDER BY task_id;

-- Past Tasks -> Canceled: which journey canceled this task?
SELECT task_id, customer, canceled_by_journey_name, cancel_reason
  FROM task_cancel.past_tasks WHERE status = 'canceled' ORDER BY task_id;

DROP EXTENSION task_cancel;
