-- open_tasks: "why is this task still waiting?"  One row per task not yet
-- completed or canceled, with its state in words and what decides whether
-- a journey may still cancel it: the type's cancelable flag, the block
-- list, the deadline.  A role with SELECT on the view alone reads it.
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.create_task('+15550001', 'inbound_call');            -- 1 pending
SELECT task_cancel.create_task('+15550001', 'voicemail');               -- 2 reserved
SELECT task_cancel.create_task('+15550001', 'automated_sms');           -- 3 never cancelable
SELECT task_cancel.create_task('+15550002', 'inbound_sms', agent => 'agent_ann'); -- 4 assigned
SELECT task_cancel.create_task('+15550003', 'outbound_call');           -- 5 wrapping
SELECT task_cancel.create_task('+15550004', 'asap_callback');           -- 6 past its deadline
SELECT task_cancel.create_task('+15550005', 'inbound_call');            -- 7 canceled: not open
SELECT task_cancel.reserve_task(2, 'agent_bob');
SELECT task_cancel.accept_task(5, 'agent_cy');
SELECT task_cancel.wrap_task(5);
SELECT task_cancel.set_task_deadline(6, '-infinity');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550005', 'all', NULL, 1);
-- blocked after the task was accepted: the block leaves accepted work alone
SELECT task_cancel.block_customer('+15550002', 'Replied STOP');

SELECT task_id, customer, task_type, agent, status, state, cancelable,
       customer_blocked, past_deadline
  FROM task_cancel.open_tasks ORDER BY task_id;

-- Support staff read it without any right on tasks.
CREATE ROLE tc_support_reader;
GRANT USAGE ON SCHEMA task_cancel TO tc_support_reader;
GRANT SELECT ON task_cancel.open_tasks TO tc_support_reader;
SET ROLE tc_support_reader;
SELECT count(*) AS open_for_support FROM task_cancel.open_tasks;
SELECT count(*) FROM task_cancel.tasks;
RESET ROLE;
DROP OWNED BY tc_support_reader;
DROP ROLE tc_support_reader;
DROP EXTENSION task_cancel;
