-- event_retention: cancel_events_since(cursor, max_events) returns at most
-- max_events rows, and the last row's next_cursor resumes right after it;
-- purge_cancel_events(older_than) deletes old events, after which a cursor
-- that may not have read them is refused (22023) -- never advanced past
-- them silently -- while NULL starts at the oldest event kept.
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_journey(1, 'Cleanup');
SELECT count(task_cancel.create_task('+1555000' || g, 'inbound_call')) FROM generate_series(1, 6) AS g;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY['+15550001', '+15550002', '+15550003'], 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('+15550004', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('+15550005', 'all', NULL, 1);

-- Bounded reads: two at a time, each call resuming from the last row.
SELECT string_agg(customer, ' ' ORDER BY id) AS first_two,
       (array_agg(next_cursor ORDER BY id DESC))[1] AS c1
  FROM task_cancel.cancel_events_since(NULL, 2) \gset
\echo :first_two
SELECT string_agg(customer, ' ' ORDER BY id) AS next_two,
       (array_agg(next_cursor ORDER BY id DESC))[1] AS c2
  FROM task_cancel.cancel_events_since(:'c1', 2) \gset
\echo :next_two
SELECT string_agg(customer, ' ' ORDER BY id) AS rest,
       (array_agg(next_cursor ORDER BY id DESC))[1] AS c3
  FROM task_cancel.cancel_events_since(:'c2', 2) \gset
\echo :rest
SELECT count(*) AS nothing_more FROM task_cancel.cancel_events_since(:'c3', 2);
-- The same as reading everything at once.
SELECT count(*) AS all_at_once FROM task_cancel.cancel_events_since(NULL);

-- Bad input: a clear error.
SELECT * FROM task_cancel.cancel_events_since(NULL, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.purge_cancel_events(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.purge_cancel_events(interval '-1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS events FROM task_cancel.cancel_events;

-- Retention.  Make the first three events (those of the array cancel) a
-- week old, as if written then; the purge deletes what is older than a day.
ALTER TABLE task_cancel.cancel_events DISABLE TRIGGER stamp_cancel_event;
UPDATE task_cancel.cancel_events SET at = at - interval '7 days' WHERE customer IN ('+15550001', '+15550002', '+15550003');
ALTER TABLE task_cancel.cancel_events ENABLE ALWAYS TRIGGER stamp_cancel_event;
SELECT task_cancel.purge_cancel_events(interval '1 day') AS purged;
SELECT task_cancel.purge_cancel_events(interval '1 day') AS purged_again;

-- NULL starts at the oldest event kept.
SELECT customer FROM task_cancel.cancel_events_since(NULL) ORDER BY id;
-- A cursor that had read past the purged events resumes as before.
SELECT customer FROM task_cancel.cancel_events_since(:'c2');
-- One that had read two of the three purged events is refused, not
-- advanced past the third.
SELECT * FROM task_cancel.cancel_events_since(:'c1');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_events_since(:'c1', 10);
\echo :LAST_ERROR_SQLSTATE

-- Purged events with larger ids than kept ones (the purge goes by age,
-- ids by insert order): a consumer starting again from NULL, one event at
-- a time, is not refused over and over -- its cursors carry the purges
-- its reading saw, and only later purges are held against it.
SELECT count(task_cancel.create_task('+1666000' || g, 'inbound_call')) FROM generate_series(1, 3) AS g;
SELECT count(*) FROM task_cancel.cancel_tasks('+16660001', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('+16660002', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('+16660003', 'all', NULL, 1);
ALTER TABLE task_cancel.cancel_events DISABLE TRIGGER stamp_cancel_event;
UPDATE task_cancel.cancel_events SET at = at - interval '7 days' WHERE customer = '+16660003';
ALTER TABLE task_cancel.cancel_events ENABLE ALWAYS TRIGGER stamp_cancel_event;
SELECT task_cancel.purge_cancel_events(interval '1 day') AS purged_the_newest;
SELECT customer, next_cursor AS d1 FROM task_cancel.cancel_events_since(NULL, 1) \gset
\echo :customer
SELECT customer, next_cursor AS d2 FROM task_cancel.cancel_events_since(:'d1', 1) \gset
\echo :customer
SELECT customer FROM task_cancel.cancel_events_since(:'d2', 10) ORDER BY id;
-- A purge after those cursors were made is held against them, and only
-- if they had not read what it deleted: d2 had read +15550005 and the
-- events before it, not +16660001 and +16660002.
ALTER TABLE task_cancel.cancel_events DISABLE TRIGGER stamp_cancel_event;
UPDATE task_cancel.cancel_events SET at = at - interval '7 days' WHERE customer IN ('+15550004', '+15550005');
ALTER TABLE task_cancel.cancel_events ENABLE ALWAYS TRIGGER stamp_cancel_event;
SELECT task_cancel.purge_cancel_events(interval '1 day') AS purged_read_ones;
SELECT customer FROM task_cancel.cancel_events_since(:'d2') ORDER BY id;
SELECT generation, purged FROM task_cancel.event_purges ORDER BY generation;

DROP EXTENSION task_cancel;
