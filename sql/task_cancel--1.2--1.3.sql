/* sql/task_cancel--1.2--1.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION task_cancel UPDATE TO '1.3'" to load this file. \quit

/*
 * Version 1.3: no silent wrong answer where callers meet the extension.
 * As in 1.2, most of it is in the library, which serves databases of
 * every version; this script changes what only the catalog can.  A fresh
 * CREATE EXTENSION of 1.3 runs the 1.0, 1.1 and 1.2 scripts and then this
 * one, so an upgraded database and a new one hold the same objects
 * (test/upgrade checks it).
 */

-------------------------------------------------------------------------------
-- Purges are told apart by their transaction (src/purge_cancel_events.c)
-------------------------------------------------------------------------------

/*
 * A purge's generation is drawn when it records itself, but purges become
 * visible when they commit, which may be in the other order.  So a purge
 * now also records its own transaction id, and a cursor counts as seen
 * only the purges whose transaction had ended in its snapshot.  Purges
 * recorded by 1.2 have none and are judged by generation, as before.
 */
ALTER TABLE task_cancel.event_purges ADD COLUMN purge_txid xid8;
COMMENT ON COLUMN task_cancel.event_purges.purge_txid IS
    'Transaction that purged (null for purges of 1.2, judged by generation)';
CREATE INDEX event_purges_purge_txid_idx ON task_cancel.event_purges (purge_txid);

-------------------------------------------------------------------------------
-- The notification relay (src/notify_relay.c)
-------------------------------------------------------------------------------

/*
 * Where the relay, a background worker, has got to: it notifies listeners
 * of the events that committed after this, a snapshot cursor like
 * cancel_events_since()'s, and moves it in the transaction that sends the
 * notifications.  One row, made here with the snapshot of the transaction
 * that installs or updates the extension: events committed before are not
 * notified again.  Not dumped, like event_cursor_origin: a restored
 * database starts a cursor of its own.  Canceling transactions take ROW
 * EXCLUSIVE on it at commit, so that a relay that stops waits for them.
 */
CREATE TABLE task_cancel.notify_relay (
    lower      pg_snapshot NOT NULL,
    upper      pg_snapshot,
    after_txid xid8        NOT NULL DEFAULT '0'
);
COMMENT ON TABLE task_cancel.notify_relay IS
    'Where the notification relay has got to (one row; internal, not dumped)';
COMMENT ON COLUMN task_cancel.notify_relay.lower IS 'Events of transactions ended in this snapshot are notified';
COMMENT ON COLUMN task_cancel.notify_relay.upper IS 'The batch being notified: transactions ended in it but not in lower';
COMMENT ON COLUMN task_cancel.notify_relay.after_txid IS 'Of that batch, the events of transactions up to this one are notified';
INSERT INTO task_cancel.notify_relay (lower) VALUES (pg_catalog.pg_current_snapshot());
REVOKE ALL ON TABLE task_cancel.notify_relay FROM PUBLIC;

-------------------------------------------------------------------------------
-- For support staff: the open tasks, and internal objects marked as such
-------------------------------------------------------------------------------

/*
 * "Why is this task still waiting?"  past_tasks shows what ended; this
 * shows what has not, with the answer in words and the three facts that
 * decide whether a journey's Cancel Task block may still cancel it.  Like
 * past_tasks it reads tasks with the rights of the extension's owner, so
 * a role granted SELECT on the view needs nothing on tasks.
 */
CREATE VIEW task_cancel.open_tasks AS
SELECT t.id AS task_id,
       t.customer,
       t.task_type,
       t.campaign_id,
       t.journey_id,
       t.agent,
       t.status,
       t.created_at,
       t.expires_at,
       CASE t.status
           WHEN 'pending'  THEN 'waiting in the queue for an agent'
           WHEN 'reserved' THEN 'offered to agent ' || t.agent || ', not yet accepted'
           WHEN 'assigned' THEN 'accepted by agent ' || t.agent || ': no journey cancels it now'
           WHEN 'wrapping' THEN 'agent ' || t.agent || ' is wrapping up: no journey cancels it now'
       END AS state,
       tt.cancelable,
       EXISTS (SELECT FROM task_cancel.blocked_customers AS b
                WHERE b.customer = t.customer) AS customer_blocked,
       COALESCE(t.expires_at < pg_catalog.now(), false) AS past_deadline
  FROM task_cancel.tasks AS t
  JOIN task_cancel.task_types AS tt ON tt.name = t.task_type
 WHERE t.completed_at IS NULL AND t.canceled_at IS NULL;
COMMENT ON VIEW task_cancel.open_tasks IS
    'Open Tasks for support staff: tasks not yet completed or canceled, and why each is still there';
COMMENT ON COLUMN task_cancel.open_tasks.task_id IS 'Task id';
COMMENT ON COLUMN task_cancel.open_tasks.customer IS 'The contact: phone number in E.164 or a contact id';
COMMENT ON COLUMN task_cancel.open_tasks.task_type IS 'Kind of task, see task_types';
COMMENT ON COLUMN task_cancel.open_tasks.campaign_id IS 'Campaign that created the task, null when none';
COMMENT ON COLUMN task_cancel.open_tasks.journey_id IS 'Journey that created the task, null when none';
COMMENT ON COLUMN task_cancel.open_tasks.agent IS 'Agent the task is offered to or accepted by, null while queued';
COMMENT ON COLUMN task_cancel.open_tasks.status IS 'pending, reserved, assigned or wrapping';
COMMENT ON COLUMN task_cancel.open_tasks.created_at IS 'When the task was created';
COMMENT ON COLUMN task_cancel.open_tasks.expires_at IS 'Its queue deadline, null when none';
COMMENT ON COLUMN task_cancel.open_tasks.state IS 'Why it is still open, in words';
COMMENT ON COLUMN task_cancel.open_tasks.cancelable IS 'Whether its type may be canceled by a journey at all';
COMMENT ON COLUMN task_cancel.open_tasks.customer_blocked IS 'Whether the customer is on the block list';
COMMENT ON COLUMN task_cancel.open_tasks.past_deadline IS 'Past its deadline: never handed out again, canceled by the next sweep';
REVOKE ALL ON TABLE task_cancel.open_tasks FROM PUBLIC;

-------------------------------------------------------------------------------
-- The cancel stream (src/cancel_stream.c; doc/stream.md)
-------------------------------------------------------------------------------

/*
 * Every event row, as stored, also goes to the WAL as a transactional
 * logical decoding message (prefix task_cancel, JSON content) where
 * wal_level is logical and task_cancel.stream is on.  AFTER, so that it
 * follows every BEFORE trigger, stamp_cancel_event's id included.
 */
CREATE FUNCTION task_cancel.stream_cancel_event()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'tc_stream_cancel_event';
REVOKE ALL ON FUNCTION task_cancel.stream_cancel_event() FROM PUBLIC;

/*
 * On a Citus cluster distributed with 1.2, Citus would refuse a new
 * trigger on the distributed table, and could not put it on the shards
 * from here: the workers run this script only after the coordinator.  So
 * where Citus is loaded the trigger is made without Citus's propagation
 * (the setting put back before the block ends), and distribute(), run once
 * more after the update, puts it on every shard (below).
 */
DO $citus$
DECLARE
    propagate text := pg_catalog.current_setting('citus.enable_ddl_propagation', true);
BEGIN
    IF propagate IS NOT NULL THEN
        PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    END IF;
    CREATE TRIGGER stream_cancel_event
        AFTER INSERT ON task_cancel.cancel_events
        FOR EACH ROW EXECUTE FUNCTION task_cancel.stream_cancel_event();
    IF propagate IS NOT NULL THEN
        PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', propagate, true);
    END IF;
END
$citus$;

/*
 * distribute() as in 1.2, and then the cancel stream's trigger on every
 * shard of cancel_events that lacks it: the shards of a cluster
 * distributed before 1.3.  (Citus copies the table's triggers to shards
 * it makes later, named with the shard id.)
 */
CREATE OR REPLACE FUNCTION task_cancel.distribute()
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

    FOR r IN SELECT * FROM run_command_on_shards('task_cancel.cancel_events', $cmd$
DO $do$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                    WHERE tgrelid = %1$L::pg_catalog.regclass
                      AND tgname LIKE 'stream\_cancel\_event%%') THEN
        CREATE TRIGGER stream_cancel_event
            AFTER INSERT ON %1$s
            FOR EACH ROW EXECUTE FUNCTION task_cancel.stream_cancel_event();
    END IF;
END
$do$
$cmd$) LOOP
        IF NOT r.success THEN
            RAISE EXCEPTION 'task_cancel.distribute() could not add the cancel stream''s trigger to shard %', r.shardid
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = r.result,
                      HINT = 'Fix the node, then run task_cancel.distribute() again.';
        END IF;
    END LOOP;
END
$body$;

/*
 * psql's describe commands show comments; those of the objects nobody
 * calls or reads directly now say so first.
 */
COMMENT ON FUNCTION task_cancel.status_guard() IS
    'Internal trigger: allow only the task status transitions of the lifecycle, keep cancel audit columns immutable, and keep every updated row valid';
COMMENT ON FUNCTION task_cancel.lookup_changed() IS
    'Internal trigger: tell every backend''s lookup cache that journeys, task_types or campaigns changed (fires also under session_replication_role = replica)';
COMMENT ON FUNCTION task_cancel.block_list_guard() IS
    'Internal trigger: a new cancelable task of a blocked customer is created canceled';
COMMENT ON FUNCTION task_cancel.stamp_cancel_event() IS
    'Internal trigger: record the writing transaction in cancel_events.txid, draw ids in commit order per customer; events never change';
COMMENT ON FUNCTION task_cancel.stream_cancel_event() IS
    'Internal trigger: write each cancel event as a logical decoding message with prefix task_cancel (wal_level logical, task_cancel.stream on)';
COMMENT ON FUNCTION task_cancel.check_new_task() IS
    'Internal trigger: a new task row must be valid (customer, status, agent, completed_at, cancel audit), and a task created now has a customer of at most 1,000 bytes; releases the block-list lock of the insert';
COMMENT ON FUNCTION task_cancel.prepare_node() IS
    'Internal, part of distribute() that each Citus node runs for itself: its own range of ids, and the grants Citus does not propagate';
COMMENT ON FUNCTION task_cancel.distribute_objects() IS
    'Internal, part of distribute(), committed on its own: tables distributed by customer, lookup tables as reference tables, per-customer functions delegated';
COMMENT ON TABLE task_cancel.event_cursor_origin IS
    'Internal: identity of this database''s event history, written into every cursor of cancel_events_since(); not dumped (cursors also name the WAL timeline, so a fork of the history refuses them)';
COMMENT ON TABLE task_cancel.event_purges IS
    'Internal: purges of cancel events, for cancel_events_since() to refuse cursors that had not read what was purged; not dumped';
COMMENT ON TABLE task_cancel.notify_relay IS
    'Internal: where the notification relay has got to (one row; not dumped)';


-------------------------------------------------------------------------------
-- Untyped parameters resolve to one cancel_task (src/cancel_task.c;
-- test/sql/untyped_params.sql)
-------------------------------------------------------------------------------

/*
 * Drivers such as node-pg send every parameter untyped.  With both of
 * cancel_task(task_id, agent, reason DEFAULT NULL, end_campaigns DEFAULT
 * false) and the customer-first cancel_task(customer, task_id, agent,
 * reason DEFAULT NULL, end_campaigns DEFAULT false) of 1.2, three or four
 * untyped arguments fit both, and PostgreSQL refuses the call (42725,
 * "function ... is not unique").  The customer-first form loses its
 * defaults: it now takes exactly five arguments, the id-only form two to
 * four, and no call fits both.
 *
 * CREATE OR REPLACE cannot remove a default, and DROP + CREATE would give
 * the function a new oid: the GRANTs on it would have to be made again
 * inside this script, where PostgreSQL records every GRANT as the
 * extension's own initial privilege (pg_init_privs), which pg_dump then
 * leaves out: the role's grant would be lost at the next dump and
 * restore.  On Citus the function would also have to be delegated again.
 * So the defaults are removed from the catalog row itself, the way
 * PostgreSQL's own contrib upgrade scripts change what ALTER FUNCTION
 * cannot ("update procedure signatures the hard way", hstore--1.5--1.6):
 * same oid, owner, ACL, COMMENT and dependencies.  The defaults were
 * constants, which record no dependency, so none is left behind.  An
 * updated database and a fresh one dump the same definition
 * (test/upgrade/run).
 */
UPDATE pg_catalog.pg_proc
   SET pronargdefaults = 0,
       proargdefaults = NULL
 WHERE oid = 'task_cancel.cancel_task(text, bigint, text, text, boolean)'::pg_catalog.regprocedure;
