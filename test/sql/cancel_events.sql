-- cancel_events: every call that cancels something writes one event per
-- customer, and the canceled tasks point at it; a call that cancels
-- nothing, or rolls back, leaves no event.  cancel_events_since() hands
-- out each committed event once, resumes right after any row's
-- next_cursor, never shows a transaction its own uncommitted events, and
-- refuses cursors it did not make.  (Notifications: specs listen_notify;
-- out-of-order commits: race_event_cursor.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Lost lead cleanup');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

SELECT task_cancel.create_task(c, t, CASE WHEN t = 'outbound_call' THEN 42 END)
  FROM unnest(ARRAY['+15550001', '+15550002', '+15550003']) AS c,
       unnest(ARRAY['inbound_call', 'outbound_call', 'voicemail']) AS t
 ORDER BY c, t;

-- Cursors hold the database's identity, the WAL timeline and position
-- they count on, the last purge they saw, and transaction ids; show them
-- without the numbers.
CREATE FUNCTION shape(cursor text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(regexp_replace($1, '^2/[0-9a-f]{32}/[0-9]+/[0-9]+/[0-9]+/',
                                         '2/<origin>/<timeline>/<wal>/<purges>/'),
                          '[0-9]+:[0-9]+:[0-9,]*', '<snapshot>', 'g')
$$;

-- Each mode writes its event; the array form one per customer.
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42', 1);
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'voicemail', 1);
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550002', '+15550003', '+15550001'], 'all', NULL, 1);
SELECT id, customer, canceled_by_journey_id, canceled_by_journey_name,
       canceled_by_agent, mode, arg, task_ids
  FROM task_cancel.cancel_events ORDER BY id;

-- Every canceled task points at the event of its customer that lists it.
SELECT t.id, t.customer, t.cancel_event_id, t.id = ANY (e.task_ids) AS listed,
       e.at = t.canceled_at AS same_time
  FROM task_cancel.tasks AS t
  LEFT JOIN task_cancel.cancel_events AS e
         ON e.customer = t.customer AND e.id = t.cancel_event_id
 ORDER BY t.id;

-- Nothing to cancel: no event.  Rolled back: no event either.
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
SELECT task_cancel.create_task('+15550004', 'inbound_call') AS t4 \gset
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550004', 'all', NULL, 1);
ROLLBACK;
SELECT count(*) AS events FROM task_cancel.cancel_events;

-- Reading from the beginning: every committed event, oldest first.
SELECT id, customer, mode, task_ids, shape(next_cursor)
  FROM task_cancel.cancel_events_since(NULL);

-- Resuming after a row returns exactly the rows after it (mid-batch).
SELECT next_cursor AS after_second
  FROM task_cancel.cancel_events_since(NULL) WHERE id = 2 \gset
SELECT id, customer FROM task_cancel.cancel_events_since(:'after_second');

-- Resuming after the last row returns nothing, until a new cancel commits.
SELECT next_cursor AS after_last
  FROM task_cancel.cancel_events_since(NULL) ORDER BY id DESC LIMIT 1 \gset
SELECT count(*) FROM task_cancel.cancel_events_since(:'after_last');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550004', 'all', NULL, 1);
SELECT id, customer, task_ids = ARRAY[:t4::bigint] AS right_task
  FROM task_cancel.cancel_events_since(:'after_last');

-- A transaction never reads its own uncommitted events; it reads them
-- after the commit, from a cursor it took before.
SELECT next_cursor AS before_own
  FROM task_cancel.cancel_events_since(NULL) ORDER BY id DESC LIMIT 1 \gset
BEGIN;
SELECT task_cancel.create_task('+15550005', 'inbound_call') IS NOT NULL AS created;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550005', 'all', NULL, 1);
SELECT count(*) AS own_events_seen FROM task_cancel.cancel_events_since(NULL)
 WHERE customer = '+15550005';
SELECT next_cursor AS inside_own
  FROM task_cancel.cancel_events_since(NULL) ORDER BY id DESC LIMIT 1 \gset
COMMIT;
SELECT customer FROM task_cancel.cancel_events_since(:'before_own');
-- The cursor taken inside the transaction did not count its own event.
SELECT customer FROM task_cancel.cancel_events_since(:'inside_own');

-- Cursors it did not make: malformed 22P02, another database's or one
-- from the future 22023.
SELECT * FROM task_cancel.cancel_events_since('');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since('42');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since(regexp_replace(:'after_last', '/[0-9]+$', '/x'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since(regexp_replace(:'after_last', '/0:0:/', '/5:0:/'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since(regexp_replace(:'after_last', '^2/[0-9a-f]{32}/', '2/00000000000000000000000000000000/'));
\echo :LAST_ERROR_SQLSTATE
-- A cursor that counts on WAL of a timeline this server's history does
-- not contain (as after promoting a standby that had not received it, or
-- a point-in-time recovery to before it): 22023, start again from NULL.
SELECT * FROM task_cancel.cancel_events_since(regexp_replace(:'after_last', '^(2/[0-9a-f]{32})/[0-9]+/[0-9]+/', '\1/7/0/'));
\echo :LAST_ERROR_SQLSTATE
-- A timeline of 0 is not one.
SELECT * FROM task_cancel.cancel_events_since(regexp_replace(:'after_last', '^(2/[0-9a-f]{32})/[0-9]+/', '\1/0/'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since(regexp_replace(:'after_last', '/[0-9]+:[0-9]+:[0-9,]*/([0-9]+)$', '/1:99999999999:/\1'));
\echo :LAST_ERROR_SQLSTATE

-- A cursor of version 1.1 ("1/", without timeline and WAL position) is
-- still accepted and resumes where it was.
SELECT count(*) AS after_1_1_cursor
  FROM task_cancel.cancel_events_since(regexp_replace(:'after_second', '^2/([0-9a-f]{32})/[0-9]+/[0-9]+/[0-9]+/', '1/\1/'));

-- Events are a record: they cannot be changed, not even by the owner.
UPDATE task_cancel.cancel_events SET arg = 'edited' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- Every row, whoever inserts it, has a customer, a known mode and at
-- least one task (checked by the trigger rather than CHECK constraints).
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids) VALUES ('', 'all', '{1}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids) VALUES ('+15550009', 'everything', '{1}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids) VALUES ('+15550009', 'all', '{}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids) VALUES ('+15550009', NULL, '{1}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- The trigger stamps txid itself; a value given on INSERT is overwritten
-- (this is what makes events restored from a dump readable again).
BEGIN;
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids, txid)
VALUES ('+15550009', 'all', ARRAY[1::bigint], '12345');
SELECT txid = pg_current_xact_id() AS stamped_by_trigger
  FROM task_cancel.cancel_events WHERE customer = '+15550009';
ROLLBACK;

DROP EXTENSION task_cancel;
