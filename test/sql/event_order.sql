-- event_order: which locks a writer of cancel events holds, and for how
-- long (src/event_order.c).  Each customer's events get ids in commit
-- order: a writer takes its customer's order lock (objsubid 29765) and
-- keeps it to the end of the transaction for its first four customers;
-- for further customers it holds the lock only while the row goes in, and
-- holds the "many customers" lock (29769) to the end.  The races are in
-- test/specs/race_event_commit_order.spec; this file shows the
-- bookkeeping, which those depend on.
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_journey(1, 'Journey one');
SELECT count(task_cancel.create_task('+1555000' || i, t))
  FROM generate_series(1, 6) AS i,
       unnest(ARRAY['inbound_call', 'voicemail']) AS t;
CREATE VIEW my_order_locks AS
SELECT objsubid, mode, count(*)
  FROM pg_locks
 WHERE locktype = 'advisory' AND objsubid IN (29765, 29769)
   AND pid = pg_backend_pid()
 GROUP BY objsubid, mode ORDER BY objsubid;

-- A cancel keeps its customer's lock until the transaction ends.
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'voicemail', 1);
SELECT * FROM my_order_locks;
COMMIT;
SELECT * FROM my_order_locks;

-- A rollback to a savepoint lets go of the locks kept since, with the
-- events they guarded; a released savepoint hands its locks on.
BEGIN;
SAVEPOINT a;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550002', 'task_type', 'voicemail', 1);
ROLLBACK TO SAVEPOINT a;
SELECT * FROM my_order_locks;
SAVEPOINT b;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550002', 'task_type', 'voicemail', 1);
RELEASE SAVEPOINT b;
SELECT * FROM my_order_locks;
ROLLBACK;

-- An operator's INSERT with a NULL id follows the same rules, also as the
-- first thing a new session does: its transaction's end clears what the
-- backend remembers, so the next transaction takes the lock afresh.
\c
INSERT INTO task_cancel.cancel_events (id, customer, mode, task_ids)
VALUES (NULL, '+15550003', 'all', '{0}');
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550003', 'task_type', 'voicemail', 1);
SELECT * FROM my_order_locks;
ROLLBACK;

-- A cancel made inside another (by an operator's BEFORE trigger on
-- cancel_events) sets the outer insert's lock aside and gives it back:
-- here the fifth customer's, held while its row goes in.
-- An error the operator's trigger catches (a subtransaction that begins
-- and ends inside our insert) leaves our insert as it was.
CREATE FUNCTION nested_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer = '+15550005' THEN
        BEGIN
            PERFORM 1 / 0;
        EXCEPTION WHEN division_by_zero THEN
            NULL;
        END;
        PERFORM count(*) FROM task_cancel.cancel_tasks('+15550006', 'all', NULL, 1);
        RAISE NOTICE 'order locks after the nested cancel: %',
            (SELECT count(*) FROM pg_locks
              WHERE locktype = 'advisory' AND objsubid = 29765
                AND pid = pg_backend_pid());
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_nested_cancel BEFORE INSERT ON task_cancel.cancel_events
    FOR EACH ROW EXECUTE FUNCTION nested_cancel();
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(
    ARRAY['+15550001', '+15550002', '+15550003', '+15550004', '+15550005'],
    'task_type', 'inbound_call', 1);
SELECT * FROM my_order_locks;
ROLLBACK;
DROP TRIGGER zz_nested_cancel ON task_cancel.cancel_events;
DROP FUNCTION nested_cancel();

-- An operator's trigger that inserts an event of its own while ours goes
-- in: ours keeps its lock, and the operator's row's lock (a customer after
-- the first four) is held to the end of the transaction.
CREATE FUNCTION nested_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer = '+15550005' THEN
        INSERT INTO task_cancel.cancel_events (id, customer, mode, task_ids)
        VALUES (NULL, '+15550006', 'all', '{0}');
        RAISE NOTICE 'order locks after the nested insert: %',
            (SELECT count(*) FROM pg_locks
              WHERE locktype = 'advisory' AND objsubid = 29765
                AND pid = pg_backend_pid());
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_nested_insert BEFORE INSERT ON task_cancel.cancel_events
    FOR EACH ROW EXECUTE FUNCTION nested_insert();
BEGIN;
SELECT count(*) FROM task_cancel.cancel_tasks(
    ARRAY['+15550001', '+15550002', '+15550003', '+15550004', '+15550005'],
    'task_type', 'inbound_call', 1);
SELECT * FROM my_order_locks;
ROLLBACK;
DROP TRIGGER zz_nested_insert ON task_cancel.cancel_events;
DROP FUNCTION nested_insert();

-- However many customers a transaction cancels, it holds five of these
-- locks: four customers' and the many-customers lock (1,000 customers
-- would otherwise take 1,000 entries of the shared lock table).
SELECT count(task_cancel.create_task('+1666' || lpad(i::text, 7, '0'), 'inbound_call'))
  FROM generate_series(1, 1000) AS i;
BEGIN;
SELECT count(*) AS canceled, count(DISTINCT customer) AS customers
  FROM task_cancel.cancel_tasks(
    ARRAY(SELECT '+1666' || lpad(i::text, 7, '0')
            FROM generate_series(1, 1000) AS i), 'all', NULL, 1);
SELECT * FROM my_order_locks;
COMMIT;

DROP VIEW my_order_locks;
DROP EXTENSION task_cancel;
