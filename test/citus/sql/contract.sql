-- contract: the promises of doc/reference.md on a 3-node cluster, as the README's
-- roles (only their GRANTs).  Customers are spread over both workers.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT task_cancel.register_journey(101, 'Winback');
SELECT task_cancel.register_campaign(7, 'Spring promo', 'voice');

-- Which worker each customer lives on: both are used.
SELECT count(DISTINCT nodeport) AS workers_used
  FROM unnest(ARRAY['ann', 'bob', 'cy', 'dee', 'eve', 'fay']) AS c,
       LATERAL (SELECT get_shard_id_for_distribution_column('task_cancel.tasks', c) AS shardid) s
  JOIN pg_dist_placement USING (shardid) JOIN pg_dist_node USING (groupid);

CREATE TEMP TABLE t AS
SELECT c AS customer, ty AS task_type, task_cancel.create_task(c, ty) AS id
  FROM unnest(ARRAY['ann', 'bob', 'cy', 'dee', 'eve', 'fay']) AS c,
       unnest(ARRAY['inbound_call', 'voicemail', 'automated_sms']) AS ty;
GRANT SELECT ON t TO journey_engine, task_router;
SET ROLE journey_engine;
SELECT task_cancel.create_task('ann', 'outbound_call', 7) IS NOT NULL AS campaign_task;

-- One customer: delegated, its waiting cancelable tasks, never automated_sms.
SELECT tt.task_type, c.previous_status
  FROM task_cancel.cancel_tasks('ann', 'task_type', 'voicemail', 101) AS c
  JOIN t AS tt ON tt.id = c.task_id;
SELECT count(*) AS again FROM task_cancel.cancel_tasks('ann', 'task_type', 'voicemail', 101);
SELECT task_type FROM task_cancel.cancel_tasks('ann', 'campaign', '7', 101);

-- Many customers: sorted, duplicates harmless, one event per customer.
SELECT customer, task_type, previous_status
  FROM task_cancel.cancel_tasks(ARRAY['eve', 'bob', 'eve', 'cy'], 'task_type', 'inbound_call', 101);
SELECT count(*) AS empty_array FROM task_cancel.cancel_tasks(ARRAY[]::text[], 'all', NULL, 101);

-- A NULL customer: 22004, as on one server (Citus itself would crash the
-- backend; task_cancel's planner hook answers first), and the session
-- goes on.
SELECT * FROM task_cancel.cancel_tasks(NULL, 'all', NULL, 101);
SELECT task_cancel.create_task(NULL, 'inbound_call');
SELECT task_cancel.accept_task(NULL::text, 1, 'agent_ann');
PREPARE cancel_one(text) AS SELECT * FROM task_cancel.cancel_tasks($1, 'all', NULL, 101);
EXECUTE cancel_one(NULL);
DEALLOCATE cancel_one;
PREPARE cancel_varchar(varchar) AS SELECT * FROM task_cancel.cancel_tasks($1, 'all', NULL, 101);
EXECUTE cancel_varchar(NULL);
DEALLOCATE cancel_varchar;
SELECT task_cancel.create_task(lower(NULL::text), 'inbound_call');
SELECT task_cancel.unblock_customer(customer => NULL);
RESET ROLE;
CREATE FUNCTION unblock_wrapper(c text) RETURNS boolean
    LANGUAGE sql AS 'SELECT task_cancel.unblock_customer(c)';
SELECT unblock_wrapper(NULL);
DROP FUNCTION unblock_wrapper(text);
-- ... however the wrapper names the function, and with a SQL-standard
-- body too: what counts is the call the planner inlines.
CREATE FUNCTION atomic_wrapper(c text) RETURNS boolean LANGUAGE sql
    BEGIN ATOMIC SELECT task_cancel.unblock_customer(c); END;
SELECT atomic_wrapper(NULL);
SELECT atomic_wrapper('nobody');
SET search_path = public, task_cancel;
CREATE FUNCTION unqualified_wrapper(c text) RETURNS boolean LANGUAGE sql
    AS 'SELECT unblock_customer(c)';
SELECT unqualified_wrapper(NULL);
RESET search_path;
CREATE FUNCTION escaped_wrapper(c text) RETURNS boolean LANGUAGE sql
    AS 'SELECT U&"task\005fcancel".unblock_customer(c)';
SELECT escaped_wrapper(NULL);
CREATE FUNCTION preview_wrapper(c text) RETURNS SETOF text LANGUAGE sql
    AS $$SELECT task_type FROM task_cancel.preview_cancel(c, 'all', NULL)$$;
SELECT * FROM preview_wrapper(NULL);
SELECT count(*) FROM preview_wrapper('nobody');
DROP FUNCTION atomic_wrapper(text), unqualified_wrapper(text), escaped_wrapper(text),
              preview_wrapper(text);
SET ROLE journey_engine;
-- Citus also crashes delegating a call from a query with a subquery,
-- VALUES or WITH (once the planner has pulled it up), whatever the
-- arguments: such queries are kept from being delegated, and run on the
-- coordinator with the same results.
SELECT task_cancel.unblock_customer(x) FROM (SELECT 'nobody'::text AS x) AS s;
SELECT task_cancel.unblock_customer(x) FROM (VALUES ('nobody'::text)) AS v(x);
SELECT c.* FROM (SELECT 'nobody'::text AS x) AS s,
       LATERAL task_cancel.cancel_tasks(s.x, 'all', NULL, 101) AS c;
SELECT * FROM (SELECT * FROM task_cancel.preview_cancel('nobody', 'all', NULL)) AS s;
WITH s AS (SELECT 'nobody'::text AS x) SELECT task_cancel.unblock_customer(x) FROM s;
SELECT task_cancel.unblock_customer(x) FROM (SELECT NULL::text AS x) AS s;
RESET ROLE;
CREATE FUNCTION one_customer() RETURNS SETOF text LANGUAGE sql IMMUTABLE
    AS $$SELECT 'nobody'::text$$;
SELECT task_cancel.unblock_customer(c) FROM one_customer() AS c;
SELECT task_cancel.unblock_customer(NULL) FROM one_customer();
DROP FUNCTION one_customer();
SET ROLE journey_engine;
-- WHERE true is no WHERE to the planner, so Citus would delegate.
SELECT task_cancel.unblock_customer(NULL) WHERE true;
SELECT task_cancel.block_customer('nobody-b', 'Replied STOP', 101) WHERE true;
SELECT task_cancel.unblock_customer('nobody-b');
-- A table or view anywhere in the query does not stop Citus either.
WITH x AS (SELECT FROM pg_class) SELECT task_cancel.preview_cancel(NULL::text, 'all', NULL);
SELECT task_cancel.preview_cancel(NULL::text, 'all', NULL) LIMIT (SELECT 1 FROM pg_class LIMIT 1);
SELECT * FROM task_cancel.preview_cancel(NULL, 'all', NULL) ORDER BY (SELECT 1 FROM pg_class LIMIT 1);
SELECT count(*) FROM task_cancel.preview_cancel('nobody', 'all', NULL) LIMIT 5;
RESET ROLE;
CREATE VIEW one_customer_view AS SELECT 'nobody'::text AS c;
SELECT task_cancel.preview_cancel(c, 'all', NULL) FROM one_customer_view;
DROP VIEW one_customer_view;
SET ROLE journey_engine;
-- What Citus does not delegate is left alone, and so is every other query.
SELECT task_cancel.unblock_customer(NULL) FROM task_cancel.journeys WHERE false;
SELECT count(*) AS several_customers
  FROM (VALUES ('nobody-1'), ('nobody-2')) AS v(c), task_cancel.preview_cancel(v.c, 'all', NULL);
SELECT CASE WHEN false THEN round(current_setting('app.no_such_setting')::numeric) ELSE 0 END
       AS untouched;
SELECT count(*) AS still_here FROM task_cancel.preview_cancel('ann', 'all', NULL);
-- Set-returning SQL functions that cannot reach task_cancel keep their
-- plans (no condition added), and finding that out evaluates nothing: an
-- immutable function in a SQL function, or in a customer, runs once.
RESET ROLE;
EXPLAIN (COSTS OFF) SELECT x FROM information_schema._pg_expandarray(ARRAY['a', 'b']) AS e;
CREATE FUNCTION numbers(n int) RETURNS SETOF int LANGUAGE sql STABLE
    AS 'SELECT generate_series(1, n)';
EXPLAIN (COSTS OFF) SELECT * FROM numbers(3) AS s WHERE s > 1;
CREATE FUNCTION noisy(c text) RETURNS text IMMUTABLE LANGUAGE plpgsql
    AS $$BEGIN RAISE NOTICE 'noisy(%) evaluated', c; RETURN c; END$$;
CREATE FUNCTION noisy_wrapper() RETURNS text LANGUAGE sql AS $$SELECT noisy('x')$$;
SET client_min_messages = notice;
SELECT noisy_wrapper();
SELECT count(*) FROM task_cancel.preview_cancel(noisy('nobody'), 'all', NULL);
SET client_min_messages = warning;
DROP FUNCTION numbers(int), noisy_wrapper(), noisy(text);
SET ROLE journey_engine;

-- An unknown journey, a type never canceled: the errors of one server.
SELECT * FROM task_cancel.cancel_tasks('ann', 'all', NULL, 999);
SELECT * FROM task_cancel.cancel_tasks('ann', 'task_type', 'automated_sms', 101);
SELECT * FROM task_cancel.cancel_tasks(ARRAY['ann'], 'task_type', 'automated_sms', 101);

-- A transaction that cancels on both workers commits (two-phase).
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('dee', 'task_type', 'voicemail', 101);
SELECT count(*) FROM task_cancel.cancel_tasks('fay', 'task_type', 'voicemail', 101);
SELECT count(*) FROM task_cancel.cancel_tasks('bob', 'task_type', 'voicemail', 101);
COMMIT;
RESET ROLE;
SELECT customer, status, canceled_by_journey_id, canceled_by_journey_name,
       cancel_event_id IS NOT NULL AS has_event
  FROM task_cancel.tasks WHERE customer IN ('dee', 'fay', 'bob') AND task_type = 'voicemail'
 ORDER BY customer;

-- The router by customer: one node.  Another customer's id is missing.
RESET ROLE;
SELECT id AS cy_vm FROM t WHERE customer = 'cy' AND task_type = 'voicemail' \gset
SELECT id AS eve_vm FROM t WHERE customer = 'eve' AND task_type = 'voicemail' \gset
SET ROLE task_router;
SELECT task_cancel.reserve_task('ann', :cy_vm, 'agent_ann') AS wrong_customer,
       task_cancel.reserve_task('cy', :cy_vm, 'agent_ann') AS reserved;
SELECT task_cancel.accept_task('cy', :cy_vm, 'agent_bob') AS other_agent,
       task_cancel.accept_task('cy', :cy_vm, 'agent_ann') AS accepted;
SELECT task_cancel.wrap_task('cy', :cy_vm), task_cancel.complete_task('cy', :cy_vm);
SELECT task_cancel.reserve_task('eve', :eve_vm, 'agent_ann'),
       task_cancel.release_task('eve', :eve_vm),
       task_cancel.set_task_deadline('eve', :eve_vm, now() + interval '1 hour');
-- The id-only forms keep working (ids are unique in the cluster).
SELECT task_cancel.reserve_task(:eve_vm, 'agent_ann');
-- The agent's cancel by customer: reserved for this agent.
SELECT task_type, previous_status FROM task_cancel.cancel_task('eve', :eve_vm, 'agent_ann', NULL, false);
SELECT count(*) AS wrong_customer FROM task_cancel.cancel_task('ann', :eve_vm, 'agent_ann', NULL, false);
RESET ROLE;

-- An accepted task is never canceled.
SET ROLE journey_engine;
SELECT count(*) AS cy_canceled FROM task_cancel.cancel_tasks('cy', 'all', NULL, 101);
RESET ROLE;
SELECT status FROM task_cancel.tasks WHERE id = :cy_vm;

-- The block list: on the customer's node; new tasks are born canceled.
SET ROLE journey_engine;
SELECT task_cancel.create_task('gus', 'inbound_call') IS NOT NULL AS created;
SELECT task_cancel.block_customer('gus', 'Replied STOP', 101) AS canceled_by_block;
SELECT task_cancel.create_task('gus', 'voicemail') AS born \gset
SELECT task_cancel.block_customer('gus', 'again', 101) AS second_block;
RESET ROLE;
SELECT status, cancel_reason FROM task_cancel.tasks WHERE id = :born;
-- ... also when the coordinator runs create_task itself (many calls in
-- one statement, a call in a subquery) and for a direct INSERT: the
-- coordinator's now() is older than the worker's transaction, so the
-- node that stores the row sets created_at.  A row with an older
-- created_at (a restore, an import) is history and stored as given.
SET ROLE journey_engine;
SELECT task_cancel.create_task(c, ty) IS NOT NULL AS created
  FROM unnest(ARRAY['gus']) AS c, unnest(ARRAY['inbound_sms', 'outbound_call']) AS ty;
SELECT (SELECT task_cancel.create_task('gus', 'asap_callback')) IS NOT NULL AS created;
RESET ROLE;
INSERT INTO task_cancel.tasks (customer, task_type) VALUES ('gus', 'transfer_call');
INSERT INTO task_cancel.tasks (customer, task_type, created_at)
VALUES ('gus', 'scheduled_callback', now() - interval '1 day');
SELECT task_type, status, canceled_at = created_at AS canceled_when_created,
       cancel_reason, cancel_event_id IS NOT NULL AS has_event
  FROM task_cancel.tasks
 WHERE customer = 'gus'
   AND task_type IN ('inbound_sms', 'outbound_call', 'asap_callback',
                     'transfer_call', 'scheduled_callback')
 ORDER BY task_type;
SET ROLE support_staff;
SELECT customer, reason FROM task_cancel.blocked_customers WHERE customer = 'gus';
RESET ROLE;
SET ROLE journey_engine;
SELECT task_cancel.unblock_customer('gus'), task_cancel.unblock_customer('gus');
SELECT task_cancel.create_task('gus', 'voicemail') AS after_unblock \gset
RESET ROLE;
SELECT status FROM task_cancel.tasks WHERE id = :after_unblock;

-- The lookup cache on every node: a rename and a type made
-- non-cancelable are seen by the next cancel of the same session.
SET ROLE journey_engine;
SELECT count(*) FROM task_cancel.cancel_tasks('hal', 'all', NULL, 101);
SELECT task_cancel.create_task('hal', 'voicemail') IS NOT NULL AS created;
RESET ROLE;
UPDATE task_cancel.journeys SET name = 'Winback v2' WHERE id = 101;
UPDATE task_cancel.task_types SET cancelable = false WHERE name = 'voicemail';
SET ROLE journey_engine;
SELECT * FROM task_cancel.cancel_tasks('hal', 'task_type', 'voicemail', 101);
SELECT count(*) FROM task_cancel.cancel_tasks('hal', 'all', NULL, 101);
SELECT task_cancel.create_task('hal', 'inbound_call') IS NOT NULL AS created;
SELECT task_type FROM task_cancel.cancel_tasks('hal', 'all', NULL, 101);
RESET ROLE;
SELECT DISTINCT canceled_by_journey_name FROM task_cancel.tasks
 WHERE customer = 'hal' AND status = 'canceled';
UPDATE task_cancel.task_types SET cancelable = true WHERE name = 'voicemail';

-- A journey registered in the same transaction as the cancel that uses it
-- (delegated to a worker): the register functions write as their caller
-- on Citus, over the connections the delegated cancel uses.
SET ROLE journey_engine;
BEGIN;
SELECT task_cancel.register_journey(102, 'Welcome');
SELECT task_cancel.register_campaign(8, 'Autumn promo', 'sms');
-- (a plain call, so that Citus delegates it)
SELECT task_cancel.create_task('ivy', 'outbound_sms', 8) AS ivy_task \gset
SELECT task_type FROM task_cancel.cancel_tasks('ivy', 'campaign', '8', 102);
COMMIT;
-- ... which may write only what the register functions write.
UPDATE task_cancel.journeys SET id = 103 WHERE id = 102;
DELETE FROM task_cancel.journeys WHERE id = 102;
RESET ROLE;
SELECT canceled_by_journey_name, cancel_reason FROM task_cancel.tasks WHERE customer = 'ivy';

-- Queue timeouts: the sweep (on the coordinator, as pg_cron runs it)
-- cancels tasks past their deadline on every worker, one event per
-- customer; an accepted task keeps its deadline out of the way.
-- (A deadline of -infinity is past for any created_at: the reason reads
-- "by its deadline" however long the file took to get here.)
SET ROLE task_router;
SELECT task_cancel.set_task_deadline(customer, id, '-infinity')
  FROM t WHERE customer IN ('dee', 'fay') AND task_type = 'inbound_call';
RESET ROLE;
SET ROLE maintenance;
SELECT task_cancel.cancel_expired_tasks() AS timed_out;
SELECT task_cancel.cancel_expired_tasks() AS again;
RESET ROLE;
SELECT customer, status, cancel_reason FROM task_cancel.tasks
 WHERE customer IN ('dee', 'fay') AND task_type = 'inbound_call' ORDER BY customer;
SELECT customer, mode FROM task_cancel.cancel_events
 WHERE customer IN ('dee', 'fay') AND mode = 'timeout' ORDER BY customer;

-- preview_cancel and past_tasks for support staff (shards are read as
-- the caller on Citus).
SET ROLE support_staff;
SELECT task_type, status FROM task_cancel.preview_cancel('hal', 'all', NULL);
SELECT customer, task_type, status, canceled_by_journey_name
  FROM task_cancel.past_tasks WHERE customer IN ('ann', 'cy') ORDER BY customer, task_type;
SELECT count(*) FROM task_cancel.tasks;
RESET ROLE;

-- Connecting to a worker directly, support staff read on a shard of tasks
-- only what past_tasks shows: the final tasks (row-level security on the
-- shards; the functions run as the owner, whom it does not restrict).
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT s.shardid, shard_name('task_cancel.tasks', s.shardid) AS shard,
       format('host=%s port=%s dbname=postgres user=support_staff', n.nodename, n.nodeport) AS conn
  FROM pg_dist_shard AS s JOIN pg_dist_placement USING (shardid) JOIN pg_dist_node AS n USING (groupid)
 WHERE s.logicalrelid = 'task_cancel.tasks'::regclass
   AND s.shardid = get_shard_id_for_distribution_column('task_cancel.tasks', 'hal') \gset
SELECT count(*) FILTER (WHERE status IN ('pending', 'reserved')) > 0 AS shard_has_waiting_tasks
  FROM task_cancel.tasks
 WHERE get_shard_id_for_distribution_column('task_cancel.tasks', customer) = :shardid;
SELECT * FROM dblink(:'conn', format('SELECT count(*) FILTER (WHERE status IN (%L, %L)), count(*) > 0 FROM %s',
                                     'pending', 'reserved', :'shard'))
    AS r(waiting_seen bigint, final_seen boolean);
-- A role that may insert tasks directly and read past_tasks still reads
-- only final tasks there; one granted SELECT on tasks itself reads all.
CREATE ROLE feeder LOGIN;
CREATE ROLE auditor LOGIN;
GRANT USAGE ON SCHEMA task_cancel TO feeder, auditor;
GRANT INSERT ON task_cancel.tasks TO feeder;
GRANT SELECT ON task_cancel.past_tasks TO feeder, auditor;
GRANT SELECT ON task_cancel.tasks TO auditor;
SELECT task_cancel.distribute();
SET ROLE feeder;
INSERT INTO task_cancel.tasks (customer, task_type) VALUES ('hal', 'inbound_call');
RESET ROLE;
SELECT r.who, r.waiting_seen, r.final_seen
  FROM unnest(ARRAY['feeder', 'auditor']) AS who,
       LATERAL dblink(replace(:'conn', 'user=support_staff', 'user=' || who),
                      format('SELECT %L, count(*) FILTER (WHERE status IN (%L, %L)) > 0, count(*) > 0 FROM %s',
                             who, 'pending', 'reserved', :'shard'))
       AS r(who text, waiting_seen boolean, final_seen boolean);

-- REVOKEs reach the workers too when distribute() runs again: the
-- coordinator's privileges are copied, not only added to.
CREATE ROLE registrar LOGIN;
GRANT EXECUTE ON FUNCTION task_cancel.register_journey(bigint, text) TO registrar;
SELECT task_cancel.distribute();
SELECT result AS registrar_may_write_journeys, count(*)
  FROM run_command_on_all_nodes($$SELECT has_column_privilege('registrar', 'task_cancel.journeys', 'name', 'UPDATE')$$)
 GROUP BY 1;
REVOKE EXECUTE ON FUNCTION task_cancel.register_journey(bigint, text) FROM registrar;
REVOKE SELECT ON task_cancel.past_tasks FROM feeder;
REVOKE INSERT ON task_cancel.tasks FROM feeder;
SELECT task_cancel.distribute();
SELECT result AS registrar_may_write_journeys, count(*)
  FROM run_command_on_all_nodes($$SELECT has_column_privilege('registrar', 'task_cancel.journeys', 'name', 'UPDATE')$$)
 GROUP BY 1;
SELECT result AS feeder_may_read_past_tasks, count(*)
  FROM run_command_on_all_nodes($$SELECT has_table_privilege('feeder', 'task_cancel.past_tasks', 'SELECT')$$)
 GROUP BY 1;
SELECT r.who, p.result AS may_read_the_shard
  FROM unnest(ARRAY['feeder', 'support_staff']) AS r(who),
       LATERAL run_command_on_placements('task_cancel.tasks',
                   format($$SELECT has_table_privilege(%L, '%%s', 'SELECT')$$, r.who)) AS p
 WHERE p.shardid = :shardid
 ORDER BY 1;

-- Column grants on tasks keep working through the coordinator, and so do
-- table grants once nobody reads past_tasks any more (then the shards
-- have no row-level security at all, and a former reader's role can be
-- dropped).
CREATE ROLE colreader LOGIN;
CREATE ROLE deadliner LOGIN;
GRANT USAGE ON SCHEMA task_cancel TO colreader, deadliner;
GRANT SELECT (id, customer, status) ON task_cancel.tasks TO colreader;
GRANT SELECT ON task_cancel.tasks TO deadliner;
GRANT UPDATE (expires_at) ON task_cancel.tasks TO deadliner;
SELECT task_cancel.distribute();
SET ROLE colreader;
SELECT count(id) FILTER (WHERE status = 'pending') > 0 AS sees_waiting FROM task_cancel.tasks;
SET ROLE deadliner;
WITH changed AS (
    UPDATE task_cancel.tasks SET expires_at = NULL
     WHERE customer = 'hal' AND status = 'pending' RETURNING id)
SELECT count(*) > 0 AS updated FROM changed;
RESET ROLE;
REVOKE SELECT ON task_cancel.past_tasks FROM support_staff, auditor;
SELECT task_cancel.distribute();
SELECT result AS shards_with_row_security, count(*)
  FROM run_command_on_placements('task_cancel.tasks',
           $$SELECT relrowsecurity FROM pg_class WHERE oid = '%s'::regclass$$)
 GROUP BY 1;
SET ROLE deadliner;
SELECT count(*) FILTER (WHERE status = 'pending') > 0 AS sees_waiting FROM task_cancel.tasks;
RESET ROLE;
DROP ROLE registrar;
GRANT SELECT ON task_cancel.past_tasks TO support_staff;
SELECT task_cancel.distribute();

-- PUBLIC too: granted, then revoked, on every node.  A role granted only
-- some columns of past_tasks reads them through the coordinator.
GRANT SELECT ON task_cancel.past_tasks TO PUBLIC;
SELECT task_cancel.distribute();
SELECT p.result AS anyone_may_read_the_shard
  FROM run_command_on_placements('task_cancel.tasks',
           $$SELECT has_table_privilege('webhook_sender', '%s', 'SELECT')$$) AS p
 WHERE p.shardid = :shardid;
REVOKE SELECT ON task_cancel.past_tasks FROM PUBLIC;
CREATE ROLE vcol LOGIN;
GRANT USAGE ON SCHEMA task_cancel TO vcol;
GRANT SELECT (task_id, status) ON task_cancel.past_tasks TO vcol;
SELECT task_cancel.distribute();
SELECT p.result AS anyone_may_read_the_shard
  FROM run_command_on_placements('task_cancel.tasks',
           $$SELECT has_table_privilege('webhook_sender', '%s', 'SELECT')$$) AS p
 WHERE p.shardid = :shardid;
SET ROLE vcol;
SELECT count(status) > 0 AS reads_its_columns FROM task_cancel.past_tasks;
SELECT count(customer) FROM task_cancel.past_tasks;
RESET ROLE;
-- A column grant to PUBLIC gives no reader every row of every column on
-- a worker: readers of past_tasks not granted SELECT on all of tasks stay
-- with the final tasks.
GRANT SELECT (id) ON task_cancel.tasks TO PUBLIC;
SELECT task_cancel.distribute();
SELECT * FROM dblink(:'conn', format('SELECT count(*) FILTER (WHERE status IN (%L, %L)), count(*) > 0 FROM %s',
                                     'pending', 'reserved', :'shard'))
    AS r(waiting_seen bigint, final_seen boolean);
SET ROLE webhook_sender;
SELECT count(id) > 0 AS public_column_grant_works FROM task_cancel.tasks;
RESET ROLE;
REVOKE SELECT (id) ON task_cancel.tasks FROM PUBLIC;

-- Nothing for PUBLIC on any node.
SELECT result AS public_functions, count(*)
  FROM run_command_on_all_nodes($$SELECT count(*) FROM pg_proc
        WHERE pronamespace = 'task_cancel'::regnamespace
          AND has_function_privilege('public', oid, 'EXECUTE')$$)
 GROUP BY 1;
