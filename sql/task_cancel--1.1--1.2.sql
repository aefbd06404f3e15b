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
-- Comments that 1.1 left inexact
-------------------------------------------------------------------------------

COMMENT ON TABLE task_cancel.event_cursor_origin IS
    'Identity of this database''s event history, written into every cursor of cancel_events_since(); not dumped (cursors also name the WAL timeline, so a fork of the history refuses them)';

-------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC
-------------------------------------------------------------------------------

REVOKE ALL ON FUNCTION task_cancel.check_new_task() FROM PUBLIC;
