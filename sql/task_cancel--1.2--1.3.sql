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
    lower     pg_snapshot NOT NULL,
    upper     pg_snapshot,
    after_id  bigint      NOT NULL DEFAULT 0
);
COMMENT ON TABLE task_cancel.notify_relay IS
    'Where the notification relay has got to (one row; internal, not dumped)';
COMMENT ON COLUMN task_cancel.notify_relay.lower IS 'Events of transactions ended in this snapshot are notified';
COMMENT ON COLUMN task_cancel.notify_relay.upper IS 'The batch being notified: transactions ended in it but not in lower';
COMMENT ON COLUMN task_cancel.notify_relay.after_id IS 'Of that batch, events up to this id are notified';
INSERT INTO task_cancel.notify_relay (lower) VALUES (pg_catalog.pg_current_snapshot());
REVOKE ALL ON TABLE task_cancel.notify_relay FROM PUBLIC;
