-- cancel_modes: the three modes of the Cancel Task block.  Each cancels only
-- the customer's waiting tasks (pending or reserved) of cancelable types
-- that match the mode, returns them ordered by task_id, and leaves every
-- other row alone.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Lost lead cleanup');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT task_cancel.register_campaign(43, 'Renewal reminders', 'sms');

-- Fixtures: customer +15550001 has one task of every kind and status that
-- matters; +15550002 has the same waiting tasks and must never be touched.
CREATE FUNCTION make_tasks(who text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t bigint;
BEGIN
    PERFORM task_cancel.create_task(who, 'inbound_call');
    PERFORM task_cancel.create_task(who, 'inbound_sms');
    t := task_cancel.create_task(who, 'asap_callback');
    PERFORM task_cancel.reserve_task(t, 'agent_ann');
    PERFORM task_cancel.create_task(who, 'outbound_call', 42);
    PERFORM task_cancel.create_task(who, 'outbound_sms', 43);
    PERFORM task_cancel.create_task(who, 'automated_sms', 43);
    PERFORM task_cancel.create_task(who, 'outbound_sms', agent => 'agent_bob');
    t := task_cancel.create_task(who, 'inbound_call');
    PERFORM task_cancel.accept_task(t, 'agent_cy');
    t := task_cancel.create_task(who, 'voicemail');
    PERFORM task_cancel.accept_task(t, 'agent_cy');
    PERFORM task_cancel.wrap_task(t);
    t := task_cancel.create_task(who, 'scheduled_callback');
    PERFORM task_cancel.accept_task(t, 'agent_cy');
    PERFORM task_cancel.complete_task(t);
END $$;
SELECT make_tasks('+15550001');
SELECT make_tasks('+15550002');

CREATE VIEW board AS
SELECT id, customer, task_type, campaign_id, status, agent
  FROM task_cancel.tasks ORDER BY customer, id;

SELECT * FROM board WHERE customer = '+15550001';

-- mode task_type: only the customer's waiting tasks of that type.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'asap_callback', 1);

-- The assigned inbound call (agent_cy) stays; the pending one goes.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);

-- mode campaign, SMS campaign: the agent SMS task it created is canceled,
-- its automated SMS never is.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '43', 1);

-- mode campaign, voice campaign.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42', 1);

-- mode all: what is left waiting and cancelable (the inbound SMS).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);

-- Running any mode again cancels nothing more and returns no rows.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);

-- Final state: assigned, wrapping, completed and automated SMS untouched,
-- including the manual outbound SMS created assigned to agent_bob.
SELECT * FROM board;

-- mode all on a fresh customer cancels pending and reserved tasks of every
-- cancelable type at once; the count is count(*) over the call.
SELECT make_tasks('+15550003');
SELECT count(*) AS canceled FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
SELECT status, count(*) FROM task_cancel.tasks
 WHERE customer = '+15550003' GROUP BY status ORDER BY status;

-- A type the operator marks not cancelable is left alone by mode all ...
SELECT make_tasks('+15550004');
UPDATE task_cancel.task_types SET cancelable = false WHERE name = 'inbound_sms';
SELECT * FROM task_cancel.cancel_tasks('+15550004', 'all', NULL, 1);
-- ... and named directly it is refused like automated_sms.
SELECT * FROM task_cancel.cancel_tasks('+15550004', 'task_type', 'inbound_sms', 1);
\echo :LAST_ERROR_SQLSTATE

-- A customer with no tasks at all: no rows, no error.
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'all', NULL, 1);

DROP VIEW board;
DROP FUNCTION make_tasks(text);
DROP EXTENSION task_cancel;
