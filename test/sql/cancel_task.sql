-- cancel_task: an agent's "Cancel this Task" cancels the task if it is
-- pending, or reserved for this agent, and its type is cancelable; it
-- returns nothing for a task assigned, reserved for someone else, final or
-- missing.  "Cancel this Task & End Campaigns" also cancels the customer's
-- other waiting campaign tasks -- only when the named task was canceled.
-- The audit names the agent; past_tasks shows it.  (Race with accept:
-- spec race_agent_cancel.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Lost lead cleanup');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT task_cancel.register_campaign(43, 'Renewal reminders', 'sms');

SELECT task_cancel.create_task('+15550001', 'inbound_call');          -- 1 pending
SELECT task_cancel.create_task('+15550001', 'voicemail');             -- 2 reserved by ann
SELECT task_cancel.reserve_task(2, 'agent_ann');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42);     -- 3 campaign, pending
SELECT task_cancel.create_task('+15550001', 'outbound_sms', 43);      -- 4 campaign, reserved by bob
SELECT task_cancel.reserve_task(4, 'agent_bob');
SELECT task_cancel.create_task('+15550001', 'automated_sms', 43);     -- 5 never cancelable
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42, agent => 'agent_cy'); -- 6 assigned
SELECT task_cancel.create_task('+15550001', 'asap_callback');         -- 7 pending, no campaign
SELECT task_cancel.create_task('+15550002', 'outbound_call', 42);     -- 8 other customer
SELECT task_cancel.create_task('+15550001', 'inbound_call');          -- 9 pending

CREATE VIEW board AS
SELECT id, status, agent, canceled_by_agent, canceled_by_journey_id,
       cancel_reason, cancel_event_id IS NOT NULL AS has_event
  FROM task_cancel.tasks ORDER BY id;

-- Reserved for someone else, assigned, never cancelable, missing: nothing.
SELECT * FROM task_cancel.cancel_task(2, 'agent_bob');
SELECT * FROM task_cancel.cancel_task(6, 'agent_cy');
SELECT * FROM task_cancel.cancel_task(5, 'agent_ann');
SELECT * FROM task_cancel.cancel_task(999, 'agent_ann');
-- ... and "End Campaigns" on a task that stays ends nothing either.
SELECT * FROM task_cancel.cancel_task(2, 'agent_bob', end_campaigns => true);
SELECT count(*) AS events FROM task_cancel.cancel_events;

-- Reserved for this agent: canceled, the default reason names the button.
SELECT * FROM task_cancel.cancel_task(2, 'agent_ann');
-- Pending, with the agent's own words.
SELECT * FROM task_cancel.cancel_task(1, 'agent_ann', 'Customer called back on another line');
-- Again: final now, nothing.
SELECT * FROM task_cancel.cancel_task(1, 'agent_ann');

-- End Campaigns: the task and every other waiting campaign task of the
-- customer (task 4 is reserved by bob: the offer is withdrawn), but not the
-- automated SMS, the assigned task, task 7 (no campaign) or the other
-- customer's.
SELECT * FROM task_cancel.cancel_task(9, 'agent_ann', end_campaigns => true);
SELECT * FROM board;

-- One event per call, naming the agent; mode "task", arg the task id.
SELECT id, customer, canceled_by_agent, canceled_by_journey_id, mode, arg, task_ids
  FROM task_cancel.cancel_events ORDER BY id;

-- Support staff see who canceled.
SELECT task_id, status, canceled_by_agent, canceled_by_journey_name, cancel_reason,
       ended_at IS NOT NULL AS ended
  FROM task_cancel.past_tasks WHERE status = 'canceled' ORDER BY task_id;

-- The agent columns are audit columns: written once, never changed.
UPDATE task_cancel.tasks SET canceled_by_agent = 'agent_eve' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET cancel_event_id = NULL WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- ... and only a canceled task has them.
UPDATE task_cancel.tasks SET canceled_by_agent = 'agent_eve' WHERE id = 7;
\echo :LAST_ERROR_SQLSTATE

-- Bad input: a clear error, nothing changed.
SELECT * FROM task_cancel.cancel_task(NULL, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task(7, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task(7, '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task(7, 'agent_ann', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task(7, 'agent_ann', NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM task_cancel.tasks WHERE id = 7;

DROP VIEW board;
DROP EXTENSION task_cancel;
