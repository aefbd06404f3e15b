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
