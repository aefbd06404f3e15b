/* sql/task_cancel--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION task_cancel UPDATE TO '1.2'" to load this file. \quit

/*
 * Version 1.2: the promises of 1.0 and 1.1 made to hold at the edges
 * (two-phase commit, replication, hash collisions, disjoint customers,
 * crashes, long customers, upgrades).  Most of it is in the library, which
 * serves databases of every version; this script changes what only the
 * catalog can.  A fresh CREATE EXTENSION of 1.2 runs the 1.0 and 1.1
 * scripts and then this one, so an upgraded database and a new one hold
 * the same objects (test/upgrade checks it).
 */

-------------------------------------------------------------------------------
-- The lookup cache hears of every change (src/lookup_cache.c)
-------------------------------------------------------------------------------

/*
 * A logical-replication apply worker fires row triggers, not statement
 * triggers, for the rows it applies, and both only if they are enabled
 * ALWAYS (or REPLICA): it runs with session_replication_role = replica,
 * as do data-only loads.  So the invalidation trigger becomes a row
 * trigger for INSERT, UPDATE and DELETE plus a statement trigger for
 * TRUNCATE, both ENABLE ALWAYS.
 */
DROP TRIGGER lookup_changed ON task_cancel.journeys;
DROP TRIGGER lookup_changed ON task_cancel.task_types;
DROP TRIGGER lookup_changed ON task_cancel.campaigns;

CREATE TRIGGER lookup_changed
    AFTER INSERT OR UPDATE OR DELETE ON task_cancel.journeys
    FOR EACH ROW EXECUTE FUNCTION task_cancel.lookup_changed();
CREATE TRIGGER lookup_truncated
    AFTER TRUNCATE ON task_cancel.journeys
    FOR EACH STATEMENT EXECUTE FUNCTION task_cancel.lookup_changed();
ALTER TABLE task_cancel.journeys ENABLE ALWAYS TRIGGER lookup_changed;
ALTER TABLE task_cancel.journeys ENABLE ALWAYS TRIGGER lookup_truncated;

CREATE TRIGGER lookup_changed
    AFTER INSERT OR UPDATE OR DELETE ON task_cancel.task_types
    FOR EACH ROW EXECUTE FUNCTION task_cancel.lookup_changed();
CREATE TRIGGER lookup_truncated
    AFTER TRUNCATE ON task_cancel.task_types
    FOR EACH STATEMENT EXECUTE FUNCTION task_cancel.lookup_changed();
ALTER TABLE task_cancel.task_types ENABLE ALWAYS TRIGGER lookup_changed;
ALTER TABLE task_cancel.task_types ENABLE ALWAYS TRIGGER lookup_truncated;

CREATE TRIGGER lookup_changed
    AFTER INSERT OR UPDATE OR DELETE ON task_cancel.campaigns
    FOR EACH ROW EXECUTE FUNCTION task_cancel.lookup_changed();
CREATE TRIGGER lookup_truncated
    AFTER TRUNCATE ON task_cancel.campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION task_cancel.lookup_changed();
ALTER TABLE task_cancel.campaigns ENABLE ALWAYS TRIGGER lookup_changed;
ALTER TABLE task_cancel.campaigns ENABLE ALWAYS TRIGGER lookup_truncated;

COMMENT ON FUNCTION task_cancel.lookup_changed() IS
    'Trigger: tell every backend''s lookup cache that journeys, task_types or campaigns changed (fires also under session_replication_role = replica)';

-------------------------------------------------------------------------------
-- Every event is stamped with the transaction that wrote it here
-------------------------------------------------------------------------------

/*
 * Events that arrive by logical replication or a replica-role load are
 * written by a transaction of this server and must carry its id, or
 * cancel_events_since() would order them by another server's ids.
 */
ALTER TABLE task_cancel.cancel_events ENABLE ALWAYS TRIGGER stamp_cancel_event;

-------------------------------------------------------------------------------
-- The rules of a valid task row move from a CHECK into the triggers
-- (src/task_row_check.c)
-------------------------------------------------------------------------------

/*
 * A CHECK constraint runs with the rights of the role that writes the row,
 * so since 1.1 every role writing tasks directly needed EXECUTE on
 * task_row_check() -- and lost its writes on upgrade.  A trigger needs no
 * privilege of the writer.  check_new_task() checks every INSERT (COPY of
 * a restore included) and releases the block list's lock of the insert
 * (src/block_list.c), status_guard() checks every UPDATE; both hold a
 * customer that a row takes on now to 1,000 bytes.  Dropping the CHECK
 * validates nothing, so the upgrade takes its ACCESS EXCLUSIVE lock only
 * for a moment.
 */
ALTER TABLE task_cancel.tasks DROP CONSTRAINT tasks_row_check;
DROP FUNCTION task_cancel.task_row_check(bigint, text, text, text, timestamptz,
                                         timestamptz, bigint, text, text, text,
                                         bigint);

CREATE FUNCTION task_cancel.check_new_task()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'tc_check_new_task';
COMMENT ON FUNCTION task_cancel.check_new_task() IS
    'Trigger: a new task row must be valid (customer, status, agent, completed_at, cancel audit), and a task created now has a customer of at most 1,000 bytes; releases the block-list lock of the insert';

/*
 * AFTER, so that it judges the row as stored, whatever BEFORE triggers
 * (block_list_guard, or an operator's) did to it; ALWAYS, so that rows
 * applied by logical replication or loaded under
 * session_replication_role = replica are held to the rules too, as a
 * CHECK would hold them.  The status guard likewise.
 */
CREATE TRIGGER zz_check_new_task
    AFTER INSERT ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION task_cancel.check_new_task();
ALTER TABLE task_cancel.tasks ENABLE ALWAYS TRIGGER zz_check_new_task;
ALTER TABLE task_cancel.tasks ENABLE ALWAYS TRIGGER zz_status_guard;

COMMENT ON FUNCTION task_cancel.status_guard() IS
    'Trigger: allow only the task status transitions of the lifecycle, keep cancel audit columns immutable, and keep every updated row valid';

-------------------------------------------------------------------------------
-- Queue timeouts (src/router.c, src/cancel_expired_tasks.c)
-------------------------------------------------------------------------------

/*
 * A timeout only makes sense for a type the sweep may cancel: a task of a
 * type that is never canceled would stay in the queue past its deadline,
 * refused to every agent, for good (so automated_sms never has one).
 *
 * A waiting task times out when no agent accepted it within its type's
 * queue_timeout of its creation (after TaskRouter's task TTL).  Its
 * deadline is tasks.expires_at, set by create_task() from the type, or by
 * set_task_deadline(); the status trigger clears it when the task stops
 * waiting, so the index below holds the waiting tasks with a deadline
 * only, and a sweep reads what it cancels, not the history.  The index
 * names expires_at alone (no status): status changes of tasks without a
 * deadline stay HOT updates.
 */
ALTER TABLE task_cancel.task_types
    ADD COLUMN queue_timeout interval,
    ADD CONSTRAINT task_types_queue_timeout_positive
        CHECK (queue_timeout > interval '0'),
    ADD CONSTRAINT task_types_queue_timeout_cancelable
        CHECK (queue_timeout IS NULL OR cancelable);
COMMENT ON COLUMN task_cancel.task_types.queue_timeout IS 'A waiting task of this type times out when not accepted within this time of its creation; null: never';

ALTER TABLE task_cancel.tasks ADD COLUMN expires_at timestamptz;
COMMENT ON COLUMN task_cancel.tasks.expires_at IS 'Deadline of a waiting task (null: none); cleared when the task stops waiting';

CREATE INDEX tasks_expires_at_idx ON task_cancel.tasks (expires_at)
    WHERE expires_at IS NOT NULL;

-------------------------------------------------------------------------------
-- Cost that follows the open tasks, not the history (issue #12)
-------------------------------------------------------------------------------

/*
 * Every cancel looks for a customer's waiting tasks.  Through tasks_pkey
 * it read all of the customer's rows, so a frequent caller with 100,000
 * completed tasks paid for each of them on every cancel.  This index holds
 * only the open tasks -- neither completed nor canceled, which the row
 * rules tie to completed_at and canceled_at -- so a cancel, a preview, a
 * block and an agent's End Campaigns read the customer's open tasks and
 * nothing else.  The cancel queries repeat its predicate (it follows from
 * their status condition by the row rules, but the planner does not know
 * those rules).
 *
 * Why not WHERE status IN ('pending', 'reserved'): a column named by an
 * index (or its predicate) takes part in deciding whether an UPDATE can
 * be a HOT update, and every router step changes status.  With this
 * predicate, reserve and accept stay HOT updates; complete and cancel are
 * not (they set completed_at or canceled_at), as the task must leave the
 * index somewhere.  That costs the router's create-reserve-accept-complete
 * about 7 % more instructions (bench/instructions, W7; README).
 */
CREATE INDEX tasks_open_idx ON task_cancel.tasks (customer, id)
    WHERE completed_at IS NULL AND canceled_at IS NULL;

/* The router functions that know of deadlines (the 1.0 entry points stay). */
CREATE OR REPLACE FUNCTION task_cancel.create_task(customer text, task_type text,
                                                   campaign_id bigint DEFAULT NULL,
                                                   journey_id bigint DEFAULT NULL,
                                                   agent text DEFAULT NULL)
RETURNS bigint
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_create_task_1_2';

CREATE OR REPLACE FUNCTION task_cancel.reserve_task(task_id bigint, agent text)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_reserve_task_1_2';

CREATE OR REPLACE FUNCTION task_cancel.accept_task(task_id bigint, agent text)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_accept_task_1_2';

COMMENT ON FUNCTION task_cancel.create_task(text, text, bigint, bigint, text) IS
    'Create a task: pending (with its type''s queue timeout as deadline), or already assigned when an agent is given; returns its id';
COMMENT ON FUNCTION task_cancel.reserve_task(bigint, text) IS
    'Offer a pending task to an agent (pending -> reserved); true if it did; never a task past its deadline';
COMMENT ON FUNCTION task_cancel.accept_task(bigint, text) IS
    'Agent accepts a pending task or one reserved for them; true only if this call assigned it; never a task past its deadline';

CREATE FUNCTION task_cancel.set_task_deadline(task_id bigint, expires_at timestamptz)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_set_task_deadline';
COMMENT ON FUNCTION task_cancel.set_task_deadline(bigint, timestamptz) IS
    'Give a waiting task a new deadline (null: none); true if the task is waiting and got it';

CREATE FUNCTION task_cancel.cancel_expired_tasks(max_tasks integer DEFAULT 10000)
RETURNS integer
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_cancel_expired_tasks';
COMMENT ON FUNCTION task_cancel.cancel_expired_tasks(integer) IS
    'Cancel up to max_tasks waiting tasks past their deadline, oldest deadline first; returns how many (run it with pg_cron)';

-------------------------------------------------------------------------------
-- Reading and keeping events (src/cancel_events_since.c,
-- src/purge_cancel_events.c)
-------------------------------------------------------------------------------

CREATE FUNCTION task_cancel.cancel_events_since(cursor text, max_events integer)
RETURNS TABLE (id bigint, at timestamptz, customer text,
               canceled_by_journey_id bigint, canceled_by_journey_name text,
               canceled_by_agent text, mode text, arg text, task_ids bigint[],
               next_cursor text)
LANGUAGE c
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
ROWS 100
AS 'MODULE_PATHNAME', 'tc_cancel_events_since';
COMMENT ON FUNCTION task_cancel.cancel_events_since(text, integer) IS
    'At most max_events cancel events committed since cursor (null: from the oldest kept), each with the cursor that resumes after it';

/*
 * One row per purge_cancel_events() call that deleted events: the largest
 * transaction id and the largest event id among them.  Every cursor
 * records the last purge its reading saw (generation); a later purge that
 * deleted events the cursor may not have read makes cancel_events_since()
 * refuse it (src/purge_cancel_events.c).  Not dumped, like the origin: a
 * restored database refuses every old cursor anyway.
 */
CREATE TABLE task_cancel.event_purges (
    generation   bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    purged_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    purged       bigint      NOT NULL,
    max_txid     xid8        NOT NULL,
    max_id       bigint      NOT NULL,
    CONSTRAINT event_purges_pkey PRIMARY KEY (generation)
);
COMMENT ON TABLE task_cancel.event_purges IS
    'Purges of cancel events, for cancel_events_since() to refuse cursors that had not read what was purged; not dumped';
COMMENT ON COLUMN task_cancel.event_purges.generation IS 'Purge number; cursors name the last one their reading saw';
COMMENT ON COLUMN task_cancel.event_purges.purged_at IS 'When the purge ran';
COMMENT ON COLUMN task_cancel.event_purges.purged IS 'How many events it deleted';
COMMENT ON COLUMN task_cancel.event_purges.max_txid IS 'Largest transaction id among them';
COMMENT ON COLUMN task_cancel.event_purges.max_id IS 'Largest event id among them';

CREATE FUNCTION task_cancel.purge_cancel_events(older_than interval)
RETURNS bigint
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_purge_cancel_events';
COMMENT ON FUNCTION task_cancel.purge_cancel_events(interval) IS
    'Delete cancel events older than older_than; returns how many.  Cursors that had not read them are refused afterwards';

-------------------------------------------------------------------------------
-- The router and the agent by customer and task id (src/router.c,
-- src/cancel_task.c): what Citus runs on the node that owns the customer
-------------------------------------------------------------------------------

CREATE FUNCTION task_cancel.reserve_task(customer text, task_id bigint, agent text)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_reserve_task_of';
CREATE FUNCTION task_cancel.release_task(customer text, task_id bigint)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_release_task_of';
CREATE FUNCTION task_cancel.accept_task(customer text, task_id bigint, agent text)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_accept_task_of';
CREATE FUNCTION task_cancel.wrap_task(customer text, task_id bigint)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_wrap_task_of';
CREATE FUNCTION task_cancel.complete_task(customer text, task_id bigint)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_complete_task_of';
CREATE FUNCTION task_cancel.set_task_deadline(customer text, task_id bigint,
                                              expires_at timestamptz)
RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_set_task_deadline_of';
CREATE FUNCTION task_cancel.cancel_task(customer text, task_id bigint, agent text,
                                        reason text DEFAULT NULL,
                                        end_campaigns boolean DEFAULT false)
RETURNS TABLE (task_id bigint, task_type text, previous_status text)
LANGUAGE c
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
ROWS 1
AS 'MODULE_PATHNAME', 'tc_cancel_task_of';

COMMENT ON FUNCTION task_cancel.reserve_task(text, bigint, text) IS
    'reserve_task(task_id, agent) for the customer''s task of that id only (one node on Citus)';
COMMENT ON FUNCTION task_cancel.release_task(text, bigint) IS
    'release_task(task_id) for the customer''s task of that id only (one node on Citus)';
COMMENT ON FUNCTION task_cancel.accept_task(text, bigint, text) IS
    'accept_task(task_id, agent) for the customer''s task of that id only (one node on Citus)';
COMMENT ON FUNCTION task_cancel.wrap_task(text, bigint) IS
    'wrap_task(task_id) for the customer''s task of that id only (one node on Citus)';
COMMENT ON FUNCTION task_cancel.complete_task(text, bigint) IS
    'complete_task(task_id) for the customer''s task of that id only (one node on Citus)';
COMMENT ON FUNCTION task_cancel.set_task_deadline(text, bigint, timestamptz) IS
    'set_task_deadline(task_id, expires_at) for the customer''s task of that id only (one node on Citus)';
COMMENT ON FUNCTION task_cancel.cancel_task(text, bigint, text, text, boolean) IS
    'cancel_task(task_id, agent, ...) for the customer''s task of that id only (one node on Citus)';

-------------------------------------------------------------------------------
-- Scale-out on Citus (src/citus.c; README "Scale-out on Citus")
-------------------------------------------------------------------------------

CREATE FUNCTION task_cancel.prepare_node()
RETURNS void
LANGUAGE c
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tc_prepare_node';
COMMENT ON FUNCTION task_cancel.prepare_node() IS
    'Part of distribute() that each Citus node runs for itself: its own range of ids, and the grants Citus does not propagate';

/*
 * distribute() runs as its caller (a superuser or the extension's owner:
 * nothing is granted to PUBLIC).  What Citus itself changes --
 * distribute_objects() -- runs in a transaction of its own, on the
 * coordinator, through Citus's run_command_on_coordinator(): prepare_node()
 * then runs on every node over connections of its own, and must see the
 * shards and functions committed (and must not wait for locks that this
 * transaction would hold).  So a distribute() that fails half-way may leave
 * the tables distributed; run it again, which finishes the rest.
 */
CREATE FUNCTION task_cancel.distribute_objects()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- the row triggers (status guard, lookup triggers) run on every shard
SET citus.enable_unsafe_triggers = on
-- tasks references the lookup tables: without this, making them reference
-- tables first would turn tasks into a Citus local table
SET citus.enable_local_reference_table_foreign_keys = off
AS $body$
DECLARE
    t regclass;
    f regprocedure;
BEGIN
    -- lookup tables: small, read by every cancel on every node
    FOREACH t IN ARRAY ARRAY['task_cancel.task_types', 'task_cancel.journeys',
                             'task_cancel.campaigns']::regclass[] LOOP
        IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = t) THEN
            PERFORM create_reference_table(t);
        END IF;
    END LOOP;
    -- per-customer tables, each customer's rows on one node
    IF NOT EXISTS (SELECT FROM pg_dist_partition
                    WHERE logicalrelid = 'task_cancel.tasks'::regclass) THEN
        PERFORM create_distributed_table('task_cancel.tasks', 'customer');
    END IF;
    FOREACH t IN ARRAY ARRAY['task_cancel.cancel_events',
                             'task_cancel.blocked_customers']::regclass[] LOOP
        IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = t) THEN
            PERFORM create_distributed_table(t, 'customer',
                                             colocate_with => 'task_cancel.tasks');
        END IF;
    END LOOP;
    -- The register functions run on the coordinator and write reference
    -- tables.  As SECURITY DEFINER they would write over the owner's
    -- connections to the workers, which a delegated cancel of the same
    -- transaction (on the caller's connection) cannot see.  As their
    -- caller, they need write rights on exactly the columns they write,
    -- which prepare_node() gives every role that may call them.  (Here,
    -- not in distribute(): prepare_node() grants on these functions over
    -- another connection, which would wait for this change to commit.)
    ALTER FUNCTION task_cancel.register_journey(bigint, text) SECURITY INVOKER;
    ALTER FUNCTION task_cancel.register_campaign(bigint, text, text) SECURITY INVOKER;

    -- the per-customer functions run on the node that owns the customer
    FOREACH f IN ARRAY ARRAY[
        'task_cancel.cancel_tasks(text, text, text, bigint)',
        'task_cancel.preview_cancel(text, text, text)',
        'task_cancel.block_customer(text, text, bigint)',
        'task_cancel.unblock_customer(text)',
        'task_cancel.create_task(text, text, bigint, bigint, text)',
        'task_cancel.reserve_task(text, bigint, text)',
        'task_cancel.release_task(text, bigint)',
        'task_cancel.accept_task(text, bigint, text)',
        'task_cancel.wrap_task(text, bigint)',
        'task_cancel.complete_task(text, bigint)',
        'task_cancel.set_task_deadline(text, bigint, timestamptz)',
        'task_cancel.cancel_task(text, bigint, text, text, boolean)'
    ]::regprocedure[] LOOP
        PERFORM create_distributed_function(f, 'customer',
                                            colocate_with => 'task_cancel.tasks',
                                            force_delegation => true);
    END LOOP;
END
$body$;
COMMENT ON FUNCTION task_cancel.distribute_objects() IS
    'Part of distribute(), committed on its own: tables distributed by customer, lookup tables as reference tables, per-customer functions delegated';

CREATE FUNCTION task_cancel.distribute()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'task_cancel.distribute() needs Citus'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Run it on a Citus coordinator, after CREATE EXTENSION citus and CREATE EXTENSION task_cancel; on one server there is nothing to distribute.';
    END IF;
    IF NOT citus_is_coordinator() THEN
        RAISE EXCEPTION 'task_cancel.distribute() must run on the coordinator'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Connect to the Citus coordinator and call it there.';
    END IF;

    FOR r IN SELECT * FROM run_command_on_coordinator(
                 'SELECT task_cancel.distribute_objects()') LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'task_cancel.distribute() could not distribute the tables'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = r.result;
        END IF;
    END LOOP;

    FOR r IN SELECT * FROM run_command_on_all_nodes('SELECT task_cancel.prepare_node()') LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'task_cancel.prepare_node() failed on node %', r.nodeid
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = r.result,
                      HINT = 'Fix the node, then run task_cancel.distribute() again.';
        END IF;
    END LOOP;
END
$body$;
COMMENT ON FUNCTION task_cancel.distribute() IS
    'On a Citus coordinator: distribute the tables by customer, delegate the per-customer functions, give every node its own ids and the grants it needs; again changes nothing';

-------------------------------------------------------------------------------
-- Comments that 1.1 left inexact
-------------------------------------------------------------------------------

COMMENT ON COLUMN task_cancel.cancel_events.mode IS 'all, task_type or campaign (Cancel Task block), task (agent), block (block list), timeout (queue timeout, 1.2)';
COMMENT ON TABLE task_cancel.event_cursor_origin IS
    'Identity of this database''s event history, written into every cursor of cancel_events_since(); not dumped (cursors also name the WAL timeline, so a fork of the history refuses them)';

-------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC
-------------------------------------------------------------------------------

REVOKE ALL ON FUNCTION task_cancel.check_new_task() FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.set_task_deadline(bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.cancel_expired_tasks(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.cancel_events_since(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.purge_cancel_events(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.reserve_task(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.release_task(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.accept_task(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.wrap_task(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.complete_task(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.set_task_deadline(text, bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.cancel_task(text, bigint, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.prepare_node() FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.distribute_objects() FROM PUBLIC;
REVOKE ALL ON FUNCTION task_cancel.distribute() FROM PUBLIC;
