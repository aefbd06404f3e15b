-- stream: every cancel event is also a transactional logical decoding
-- message with prefix task_cancel, decoded with its transaction.  Read
-- here with test_decoding; test/stream/run reads it with pgoutput, as
-- Debezium does.  Needs wal_level = logical (make test's cluster has it).
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_journey(7, 'Churn "save" flow');
SELECT 'slot' FROM pg_create_logical_replication_slot('tc_stream', 'test_decoding');

-- What the slot decoded since the last look: BEGIN, the messages, COMMIT
-- (transactions without a message are left out: creating tasks).  Message contents are
-- printed with the event id, task ids and time replaced by what they
-- match in cancel_events, so that the output does not depend on ids.
CREATE FUNCTION pg_temp.decoded() RETURNS SETOF text LANGUAGE sql AS $$
  WITH d AS (
    SELECT row_number() OVER () AS n, data
      FROM pg_logical_slot_get_changes('tc_stream', NULL, NULL,
                                       'include-xids', '0')
     WHERE data ~ '^(BEGIN|COMMIT|message)'
  ), c AS (
    SELECT n, data,
           lead(data) OVER (ORDER BY n) AS next, lag(data) OVER (ORDER BY n) AS prev
      FROM d
  )
  SELECT CASE
           WHEN data LIKE 'message:%' THEN
             regexp_replace(data, ' sz: .*', ' ') ||
             (SELECT CASE WHEN m - 'at' = to_jsonb(e) - 'txid' - 'at' || '{"version": 1}'
                               AND (m->>'at')::timestamptz = e.at
                               AND m->>'at' LIKE '%+00:00'
                          THEN 'the event ' || e.customer || ' ' || e.mode
                               || coalesce(' ' || e.arg, '') || ', '
                               || cardinality(e.task_ids) || ' task(s), as stored'
                          ELSE 'NOT AS STORED: ' || m::text END
                FROM (SELECT substring(data FROM 'content:(.*)$')::jsonb AS m) AS x
                LEFT JOIN task_cancel.cancel_events AS e ON e.id = (m->>'id')::bigint)
           ELSE regexp_replace(data, ' [0-9/A-F]+$', '')
         END
    FROM c
   WHERE data LIKE 'message:%' OR next LIKE 'message:%' OR prev LIKE 'message:%'
   ORDER BY n
$$;

-- 1. A cancel: one message, in the cancel's transaction, with the event's
-- columns and "version": 1.
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'voicemail');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 7);
SELECT * FROM pg_temp.decoded();

-- The exact content of one message: its keys in this order, ids as JSON
-- numbers, "at" in UTC whatever the session's TimeZone.
SET TimeZone = 'America/New_York';
SELECT task_cancel.create_task('+15550002', 'inbound_call');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550002', 'task_type', 'inbound_call', 7);
SELECT regexp_replace(
         regexp_replace(substring(data FROM 'content:(.*)$'),
                        '"at": "[0-9-]{10}T[0-9:.]+\+00:00"', '"at": "(UTC)"'),
         '"id": [0-9]+, ', '"id": (n), ') AS content
  FROM pg_logical_slot_peek_changes('tc_stream', NULL, NULL)
 WHERE data LIKE 'message:%';
SELECT (substring(data FROM 'content:(.*)$')::jsonb->>'at')::timestamptz
         = (SELECT at FROM task_cancel.cancel_events WHERE customer = '+15550002') AS at_is_the_events
  FROM pg_logical_slot_get_changes('tc_stream', NULL, NULL)
 WHERE data LIKE 'message:%';
RESET TimeZone;

-- 2. The array form, on the statements path too: one message per
-- customer, all in one transaction.
SET task_cancel.fast_path = off;
SELECT task_cancel.create_task(c, 'inbound_call') FROM unnest(ARRAY['+15550003', '+15550004']) AS c;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY['+15550003', '+15550004', '+15550099'], 'all', NULL, 7);
SELECT * FROM pg_temp.decoded();
RESET task_cancel.fast_path;

-- 3. Nothing for a cancel that finds nothing, or one that rolls back.
SELECT count(*) FROM task_cancel.cancel_tasks('+15550099', 'all', NULL, 7);
SELECT task_cancel.create_task('+15550005', 'inbound_call');
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550005', 'all', NULL, 7);
ROLLBACK;
SELECT * FROM pg_temp.decoded();

-- 4. A savepoint rolled back takes its message with it; one released
-- keeps it.
SELECT task_cancel.create_task('+15550006', 'inbound_call');
BEGIN;
SAVEPOINT a;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550005', 'all', NULL, 7);
ROLLBACK TO SAVEPOINT a;
SAVEPOINT b;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550006', 'all', NULL, 7);
RELEASE SAVEPOINT b;
COMMIT;
SELECT * FROM pg_temp.decoded();

-- 5. Every other path that writes an event: an agent's cancel, the block
-- list (the customer's waiting tasks, then a task born canceled), the
-- timeout sweep.
SELECT task_cancel.create_task('+15550007', 'inbound_call');
SELECT count(*) FROM task_cancel.cancel_task(
    (SELECT id FROM task_cancel.tasks WHERE customer = '+15550007'), 'agent_ann');
SELECT task_cancel.block_customer('+15550005', 'Replied STOP');
SELECT task_cancel.create_task('+15550005', 'inbound_call');
SELECT task_cancel.create_task('+15550008', 'inbound_call');
SELECT task_cancel.set_task_deadline(
    (SELECT id FROM task_cancel.tasks WHERE customer = '+15550008'), '-infinity');
SELECT task_cancel.cancel_expired_tasks();
SELECT * FROM pg_temp.decoded();

-- 6. A prepared transaction: its message comes with COMMIT PREPARED, and
-- never after ROLLBACK PREPARED.
SELECT task_cancel.create_task('+15550009', 'inbound_call');
SELECT task_cancel.create_task('+15550010', 'inbound_call');
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550009', 'all', NULL, 7);
PREPARE TRANSACTION 'tc_stream_rolled_back';
ROLLBACK PREPARED 'tc_stream_rolled_back';
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550010', 'all', NULL, 7);
PREPARE TRANSACTION 'tc_stream_committed';
SELECT * FROM pg_temp.decoded();
COMMIT PREPARED 'tc_stream_committed';
SELECT * FROM pg_temp.decoded();

-- 7. Customers JSON must escape come out as they are stored.
SELECT task_cancel.create_task(E'quote " backslash \\ tab \t newline \n é', 'inbound_call');
SELECT count(*) FROM task_cancel.cancel_tasks(E'quote " backslash \\ tab \t newline \n é', 'all', NULL, 7);
SELECT substring(data FROM 'content:(.*)$')::jsonb->>'customer'
         = E'quote " backslash \\ tab \t newline \n é' AS customer_round_trips
  FROM pg_logical_slot_get_changes('tc_stream', NULL, NULL)
 WHERE data LIKE 'message:%';

-- 8. The row as stored: an operator's own BEFORE trigger that runs after
-- stamp_cancel_event and changes the row is seen by the message.
CREATE FUNCTION pg_temp.tag_reason() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.arg := coalesce(NEW.arg, 'tagged by the operator');
  RETURN NEW;
END $$;
CREATE TRIGGER zz_operator_tag BEFORE INSERT ON task_cancel.cancel_events
  FOR EACH ROW EXECUTE FUNCTION pg_temp.tag_reason();
SELECT task_cancel.create_task('+15550011', 'inbound_call');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550011', 'all', NULL, 7);
SELECT * FROM pg_temp.decoded();
DROP TRIGGER zz_operator_tag ON task_cancel.cancel_events;

-- 9. task_cancel.stream = off: the event is written, no message.  Only a
-- superuser (or ALTER ROLE/DATABASE ... SET) may turn it off.
SET task_cancel.stream = off;
SELECT task_cancel.create_task('+15550012', 'inbound_call');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550012', 'all', NULL, 7);
SELECT count(*) AS events_written FROM task_cancel.cancel_events WHERE customer = '+15550012';
SELECT * FROM pg_temp.decoded();
RESET task_cancel.stream;
CREATE ROLE tc_stream_user;
SET ROLE tc_stream_user;
SET task_cancel.stream = off;
RESET ROLE;
DROP ROLE tc_stream_user;

-- 10. What the JSON could not say as stored is refused: task ids that are
-- not a plain list (an operator's own INSERT), and a streamed column whose
-- type was changed (every cancel fails, clearly, until it is restored).
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids)
VALUES ('+15550013', 'all', '{{1,2},{3,4}}');
INSERT INTO task_cancel.cancel_events (customer, mode, task_ids)
VALUES ('+15550013', 'all', '{1,NULL}');
BEGIN;
ALTER TABLE task_cancel.cancel_events ALTER COLUMN canceled_by_agent TYPE varchar(200);
SELECT task_cancel.create_task('+15550013', 'inbound_call');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550013', 'all', NULL, 7);
ROLLBACK;

-- 11. The trigger function refuses any other use.
CREATE TABLE pg_temp.elsewhere (x int);
CREATE TRIGGER misplaced BEFORE INSERT ON pg_temp.elsewhere
  FOR EACH ROW EXECUTE FUNCTION task_cancel.stream_cancel_event();
INSERT INTO pg_temp.elsewhere VALUES (1);
DROP TABLE pg_temp.elsewhere;

SELECT pg_drop_replication_slot('tc_stream');
DROP EXTENSION task_cancel;
