-- search_path: a caller's search_path cannot change what our functions do.
-- A role puts look-alike objects in its own schema, first on its path --
-- a "tasks" table, a now() that lies, an "=" operator for text that says
-- yes to everything -- then calls our functions and still gets exactly our
-- behaviour, while none of its objects is ever used.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550002', 'inbound_call');

CREATE ROLE regress_attacker;
GRANT USAGE ON SCHEMA task_cancel TO regress_attacker;
GRANT EXECUTE ON FUNCTION
    task_cancel.cancel_tasks(text, text, text, bigint),
    task_cancel.cancel_tasks(text[], text, text, bigint),
    task_cancel.register_journey(bigint, text),
    task_cancel.create_task(text, text, bigint, bigint, text),
    task_cancel.reserve_task(bigint, text),
    task_cancel.accept_task(bigint, text)
    TO regress_attacker;
CREATE SCHEMA regress_attacker AUTHORIZATION regress_attacker;

SET ROLE regress_attacker;
CREATE TABLE regress_attacker.used (what text);
CREATE TABLE regress_attacker.tasks (id bigint, customer text, task_type text,
    status text, campaign_id bigint);
INSERT INTO regress_attacker.tasks VALUES (1, '+15550001', 'inbound_call', 'pending', NULL);
CREATE TABLE regress_attacker.journeys (id bigint, name text);
INSERT INTO regress_attacker.journeys VALUES (1, 'forged name');
CREATE TABLE regress_attacker.task_types (name text, label text, cancelable boolean);
INSERT INTO regress_attacker.task_types VALUES ('automated_sms', 'forged', true);
CREATE FUNCTION regress_attacker.now() RETURNS timestamptz LANGUAGE sql AS
    $$ INSERT INTO regress_attacker.used VALUES ('now()') RETURNING '2000-01-01'::timestamptz $$;
CREATE FUNCTION regress_attacker.text_eq(text, text) RETURNS boolean LANGUAGE sql AS
    $$ INSERT INTO regress_attacker.used VALUES ('=') RETURNING true $$;
CREATE OPERATOR regress_attacker.= (
    LEFTARG = text, RIGHTARG = text, FUNCTION = regress_attacker.text_eq);
SET search_path = regress_attacker, pg_catalog;

-- Our functions still do exactly their job: only +15550001 is canceled,
-- with the real journey name and the real time.
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550003'], 'task_type', 'inbound_call', 1);
SELECT task_cancel.create_task('+15550003', 'voicemail');
SELECT task_cancel.reserve_task(3, 'agent_ann');
SELECT task_cancel.accept_task(3, 'agent_ann');
SELECT task_cancel.register_journey(2, 'Attacker journey');
COMMIT;

-- None of the look-alikes was ever called.
SELECT count(*) AS lookalikes_used FROM regress_attacker.used;
SELECT id, status FROM regress_attacker.tasks;
RESET search_path;
RESET ROLE;

SELECT id, customer, status, agent, canceled_by_journey_name,
       canceled_at > '2000-01-02' AS real_time
  FROM task_cancel.tasks ORDER BY id;

-- A temporary table named like ours does not capture our statements either.
CREATE TEMP TABLE tasks (LIKE task_cancel.tasks);
SET search_path = pg_temp, public;
SELECT * FROM task_cancel.cancel_tasks('+15550002', 'all', NULL, 1);
SELECT count(*) AS rows_in_temp_tasks FROM pg_temp.tasks;
RESET search_path;

DROP EXTENSION task_cancel;
SET client_min_messages = warning;
DROP SCHEMA regress_attacker CASCADE;
DROP ROLE regress_attacker;
