-- privileges: nothing is granted to PUBLIC.  Each role gets exactly what
-- the README's GRANTs give it: the journey engine cancels through
-- cancel_tasks and blocks through block_customer but cannot touch tasks or
-- the block list directly, the router moves tasks through its functions,
-- cancels for agents, sets deadlines and reads cancel events, the webhook
-- sender only reads events, support staff read past_tasks and the block
-- list, preview, and change nothing; the maintenance role (the pg_cron
-- job's owner) sweeps timed-out tasks and purges old events, nothing else.
-- The roles that can meet an unknown task type or campaign read the
-- lookup tables that those errors' hints point to.
CREATE EXTENSION task_cancel;

-- PUBLIC can execute no function (the trigger function included), read no
-- table or view, and has no USAGE on the schema.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute,
       p.prosecdef AS security_definer,
       p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'task_cancel'::regnamespace
 ORDER BY p.oid::regprocedure::text;
SELECT c.relname,
       has_table_privilege('public', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER') AS public_any
  FROM pg_class c
 WHERE c.relnamespace = 'task_cancel'::regnamespace AND c.relkind IN ('r', 'v', 'S')
 ORDER BY 1;
SELECT has_schema_privilege('public', 'task_cancel', 'USAGE') AS public_usage,
       has_schema_privilege('public', 'task_cancel', 'CREATE') AS public_create;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.create_task('+15550001', t)
  FROM unnest(ARRAY['inbound_call', 'voicemail', 'asap_callback', 'inbound_sms']) AS t;

CREATE ROLE regress_journey_engine;
CREATE ROLE regress_router;
CREATE ROLE regress_support;
CREATE ROLE regress_webhooks;
CREATE ROLE regress_maintenance;
CREATE ROLE regress_nobody;

-- The README's GRANTs.
GRANT USAGE ON SCHEMA task_cancel
    TO regress_journey_engine, regress_router, regress_support, regress_webhooks,
       regress_maintenance;
GRANT EXECUTE ON FUNCTION
    task_cancel.cancel_tasks(text, text, text, bigint),
    task_cancel.cancel_tasks(text[], text, text, bigint),
    task_cancel.block_customer(text, text, bigint),
    task_cancel.unblock_customer(text),
    task_cancel.preview_cancel(text, text, text),
    task_cancel.register_journey(bigint, text),
    task_cancel.register_campaign(bigint, text, text),
    task_cancel.create_task(text, text, bigint, bigint, text)
    TO regress_journey_engine;
GRANT EXECUTE ON FUNCTION
    task_cancel.create_task(text, text, bigint, bigint, text),
    task_cancel.reserve_task(bigint, text),
    task_cancel.release_task(bigint),
    task_cancel.accept_task(bigint, text),
    task_cancel.wrap_task(bigint),
    task_cancel.complete_task(bigint),
    task_cancel.cancel_task(bigint, text, text, boolean),
    task_cancel.set_task_deadline(bigint, timestamptz),
    task_cancel.cancel_events_since(text),
    task_cancel.cancel_events_since(text, integer)
    TO regress_router;
GRANT EXECUTE ON FUNCTION
    task_cancel.reserve_task(text, bigint, text),
    task_cancel.release_task(text, bigint),
    task_cancel.accept_task(text, bigint, text),
    task_cancel.wrap_task(text, bigint),
    task_cancel.complete_task(text, bigint),
    task_cancel.cancel_task(text, bigint, text, text, boolean),
    task_cancel.set_task_deadline(text, bigint, timestamptz)
    TO regress_router;
GRANT EXECUTE ON FUNCTION
    task_cancel.cancel_events_since(text),
    task_cancel.cancel_events_since(text, integer)
    TO regress_webhooks;
GRANT EXECUTE ON FUNCTION
    task_cancel.cancel_expired_tasks(integer),
    task_cancel.purge_cancel_events(interval)
    TO regress_maintenance;
GRANT EXECUTE ON FUNCTION task_cancel.preview_cancel(text, text, text) TO regress_support;
GRANT SELECT ON task_cancel.past_tasks, task_cancel.open_tasks, task_cancel.blocked_customers TO regress_support;
-- the lookup tables, which error hints point to
GRANT SELECT ON task_cancel.task_types, task_cancel.campaigns
    TO regress_journey_engine, regress_router, regress_support;

-- A role with no grants can do nothing at all.
SET ROLE regress_nobody;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM task_cancel.past_tasks;
SELECT count(*) FROM task_cancel.open_tasks;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The journey engine cancels through the function ...
SET ROLE regress_journey_engine;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001'], 'task_type', 'voicemail', 1);
-- ... but cannot change, delete, insert or even read tasks directly,
UPDATE task_cancel.tasks SET status = 'canceled' WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM task_cancel.tasks WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.tasks (customer, task_type) VALUES ('+15550001', 'voicemail');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM task_cancel.tasks;
\echo :LAST_ERROR_SQLSTATE
-- nor accept tasks, which is the router's job.
SELECT task_cancel.accept_task(3, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
-- It blocks through the function, and cannot write the block list or
-- the events directly.
SELECT task_cancel.block_customer('+15550009', 'Opt-out', 1);
SELECT task_cancel.unblock_customer('+15550009');
INSERT INTO task_cancel.blocked_customers (customer, reason) VALUES ('+15550009', 'x');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM task_cancel.cancel_events;
\echo :LAST_ERROR_SQLSTATE
-- It cannot silence the notifications other consumers rely on (only a
-- superuser, or ALTER ROLE ... SET by one, can), and may take the slower
-- SQL path for itself.
SET task_cancel.notify = off;
\echo :LAST_ERROR_SQLSTATE
SET task_cancel.fast_path = off;
RESET task_cancel.fast_path;
-- An unknown task type or campaign: each hint names a table, and following
-- it works.  The lookup tables are read-only for it.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'callback', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT name, cancelable FROM task_cancel.task_types ORDER BY name;
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001'], 'campaign', '999', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.register_campaign(7, 'Winter sale', 'voice');
SELECT id, name FROM task_cancel.campaigns ORDER BY id;
UPDATE task_cancel.task_types SET cancelable = true WHERE name = 'automated_sms';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM task_cancel.campaigns;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The router reserves and accepts, and cannot cancel.
SET ROLE regress_router;
SELECT task_cancel.reserve_task(3, 'agent_ann');
SELECT task_cancel.accept_task(3, 'agent_ann');
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET status = 'completed' WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
-- It cancels for agents and follows the events, which it cannot change.
SELECT task_id, previous_status FROM task_cancel.cancel_task(4, 'agent_ann');
SELECT customer, mode, task_ids FROM task_cancel.cancel_events_since(NULL);
UPDATE task_cancel.cancel_events SET arg = 'x';
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer('+15550001', 'x');
\echo :LAST_ERROR_SQLSTATE
-- A task of an unknown type fails its foreign key, which names
-- task_types: the router can read that table.
SELECT task_cancel.create_task('+15550004', 'callback');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS task_types FROM task_cancel.task_types;
-- It moves deadlines, and cannot sweep or purge.
SELECT task_cancel.create_task('+15550004', 'voicemail') AS t_due \gset
SELECT task_cancel.set_task_deadline(:t_due, now() - interval '1 minute') AS deadline_set;
SELECT task_cancel.cancel_expired_tasks();
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.purge_cancel_events(interval '30 days');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The maintenance role sweeps and purges, and can do nothing else.
SET ROLE regress_maintenance;
SELECT task_cancel.cancel_expired_tasks() AS swept;
SELECT task_cancel.purge_cancel_events(interval '30 days') AS purged;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM task_cancel.cancel_events_since(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM task_cancel.tasks;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The webhook sender reads events, and nothing else.
SET ROLE regress_webhooks;
SELECT count(*) FROM task_cancel.cancel_events_since(NULL);
SELECT count(*) FROM task_cancel.cancel_events_since(NULL, 1);
SELECT count(*) FROM task_cancel.cancel_events;
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.purge_cancel_events(interval '30 days');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task(1, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

SELECT task_cancel.create_task('+15550002', 'voicemail') AS t5 \gset
SELECT task_cancel.block_customer('+15550003', 'Fraud');

-- Support staff read the audit and change nothing.
SET ROLE regress_support;
SELECT task_id, task_type, status, canceled_by_journey_name
  FROM task_cancel.past_tasks ORDER BY task_id;
SELECT task_id, task_type, status, state FROM task_cancel.open_tasks ORDER BY task_id;
UPDATE task_cancel.open_tasks SET agent = 'x' WHERE task_id = :t5;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.past_tasks SET cancel_reason = 'edited' WHERE task_id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM task_cancel.past_tasks WHERE task_id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM task_cancel.tasks;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
-- It previews and reads the block list, and cannot block.
SELECT task_id = :t5 AS new_task, task_type, status
  FROM task_cancel.preview_cancel('+15550002', 'all', NULL);
-- Previewing with a wrong task type, it can read the list the hint names.
SELECT * FROM task_cancel.preview_cancel('+15550002', 'task_type', 'callback');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS task_types FROM task_cancel.task_types;
SELECT customer, reason FROM task_cancel.blocked_customers;
SELECT task_cancel.block_customer('+15550001', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

SELECT id, task_type, status, agent FROM task_cancel.tasks ORDER BY id;

DROP EXTENSION task_cancel;
DROP ROLE regress_journey_engine, regress_router, regress_support, regress_webhooks,
          regress_maintenance, regress_nobody;
