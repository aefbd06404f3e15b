-- router: the task router's functions move a task along its lifecycle and
-- answer true only when they did; a call that finds the task in the wrong
-- status (or missing) returns false and changes nothing.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

-- create_task: pending, or assigned when an agent is given.
BEGIN;
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42, NULL);
SELECT task_cancel.create_task('+15550001', 'outbound_sms', agent => 'agent_ann');
SELECT id, customer, task_type, campaign_id, status, agent,
       created_at = now() AS created_now
  FROM task_cancel.tasks ORDER BY id;
COMMIT;

-- reserve -> release -> reserve for someone else -> accept.
SELECT task_cancel.reserve_task(1, 'agent_bob');
SELECT task_cancel.reserve_task(1, 'agent_cy');      -- already reserved
SELECT status, agent FROM task_cancel.tasks WHERE id = 1;
SELECT task_cancel.release_task(1);
SELECT task_cancel.release_task(1);                  -- not reserved any more
SELECT status, agent FROM task_cancel.tasks WHERE id = 1;
SELECT task_cancel.reserve_task(1, 'agent_cy');
SELECT task_cancel.accept_task(1, 'agent_bob');      -- reserved for agent_cy
SELECT task_cancel.accept_task(1, 'agent_cy');
SELECT task_cancel.accept_task(1, 'agent_cy');       -- already assigned
SELECT status, agent FROM task_cancel.tasks WHERE id = 1;

-- A pending task can be accepted directly.
SELECT task_cancel.accept_task(2, 'agent_bob');
SELECT status, agent FROM task_cancel.tasks WHERE id = 2;

-- wrap and complete.
BEGIN;
SELECT task_cancel.complete_task(1);                 -- assigned -> completed
SELECT task_cancel.wrap_task(2);
SELECT task_cancel.wrap_task(2);                     -- already wrapping
SELECT task_cancel.complete_task(2);                 -- wrapping -> completed
SELECT task_cancel.complete_task(2);                 -- already completed
SELECT id, status, agent, completed_at = now() AS completed_now
  FROM task_cancel.tasks ORDER BY id;
COMMIT;

-- Final tasks cannot be reserved, accepted or wrapped.
SELECT task_cancel.reserve_task(1, 'agent_bob'),
       task_cancel.accept_task(1, 'agent_bob'),
       task_cancel.wrap_task(1),
       task_cancel.release_task(1);

-- A canceled task cannot be accepted: the agent's accept returns false.
SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.create_task('+15550002', 'inbound_call') AS task;
SELECT task_cancel.reserve_task(4, 'agent_ann');
SELECT * FROM task_cancel.cancel_tasks('+15550002', 'all', NULL, 1);
SELECT task_cancel.accept_task(4, 'agent_ann');
SELECT status, agent FROM task_cancel.tasks WHERE id = 4;

-- Missing tasks: false, not an error.
SELECT task_cancel.reserve_task(999, 'agent_ann'),
       task_cancel.release_task(999),
       task_cancel.accept_task(999, 'agent_ann'),
       task_cancel.wrap_task(999),
       task_cancel.complete_task(999);

-- Arguments that are required.
SELECT task_cancel.create_task(NULL, 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('', 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', 'fax');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', 'outbound_call', 77);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('+15550001', 'inbound_call', agent => '');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.reserve_task(NULL, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.reserve_task(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.accept_task(1, '');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.complete_task(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tasks FROM task_cancel.tasks;

-- A customer is at most 1,000 bytes: every cancel notifies listeners with
-- the customer, and a notification carries at most 8,000 bytes.  Longer
-- ones are refused when created (22001, naming the limit), by create_task
-- and by a direct INSERT, and nothing is created.
SELECT task_cancel.create_task(repeat('4', 1000), 'inbound_call') IS NOT NULL AS at_the_limit;
SELECT task_cancel.create_task(repeat('4', 1001), 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task(repeat('4', 8000), 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.tasks (customer, task_type) VALUES (repeat('5', 1001), 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET customer = repeat('6', 1001) WHERE customer = repeat('4', 1000);
\echo :LAST_ERROR_SQLSTATE
SELECT length(customer), count(*) FROM task_cancel.tasks
 WHERE length(customer) > 20 GROUP BY 1;
-- Tasks with longer customers made before 1.2 (here: rows of the past,
-- as pg_dump restores them) are kept.  Since 1.3 no function takes such a
-- customer (22001, see customer_argument), so they are canceled by id,
-- with cancel_task(task_id, agent), which takes none; the notification
-- carries an empty payload (read cancel_events_since()).
INSERT INTO task_cancel.tasks (customer, task_type, created_at)
VALUES (repeat('7', 8000), 'inbound_call', now() - interval '1 day')
RETURNING id AS old_call \gset
SELECT task_cancel.register_journey(1, 'Cleanup');
SELECT task_type, previous_status FROM task_cancel.cancel_tasks(repeat('7', 8000), 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_type, previous_status FROM task_cancel.cancel_task(:old_call, 'agent_cleanup');
SELECT task_type FROM task_cancel.cancel_tasks(ARRAY[repeat('4', 1000)], 'all', NULL, 1);
SELECT task_cancel.block_customer(repeat('8', 9000), 'Too long to notify');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.tasks (customer, task_type, created_at)
VALUES (repeat('9', 9000), 'voicemail', now() - interval '1 day')
RETURNING id AS old_voicemail \gset
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY[repeat('9', 9000)], 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM task_cancel.cancel_task(:old_voicemail, 'agent_cleanup');
SELECT length(customer), status FROM task_cancel.tasks
 WHERE length(customer) > 20 ORDER BY 1;

-- The rules of a valid row hold for the row as stored, whatever a BEFORE
-- trigger of the operator's did to it, and for rows applied under
-- session_replication_role = replica (logical replication, data loads),
-- as a CHECK constraint would hold them.
CREATE FUNCTION spoil() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.status := 'bogus';
    RETURN NEW;
END $$;
CREATE TRIGGER zzz_spoil BEFORE INSERT ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION spoil();
SELECT task_cancel.create_task('+15550077', 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER zzz_spoil ON task_cancel.tasks;
DROP FUNCTION spoil();
SET session_replication_role = replica;
INSERT INTO task_cancel.tasks (customer, task_type, status) VALUES ('', 'inbound_call', 'nonsense');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.tasks (customer, task_type) VALUES (repeat('x', 5000), 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET status = 'pending' WHERE status = 'canceled';
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
SELECT count(*) AS tasks_of_the_tests FROM task_cancel.tasks
 WHERE customer IN ('+15550077', '') OR length(customer) = 5000;

DROP EXTENSION task_cancel;
