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
