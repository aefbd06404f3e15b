-- fast_path: cancel_tasks and preview_cancel read, lock and write tasks
-- directly (src/cancel_direct.c) unless task_cancel.fast_path is off or
-- something about the tables needs the SQL statements.  Either way the
-- caller sees the same rows, errors and side effects; this file shows the
-- setting and the cases where the two ways could differ.  (The races run
-- with the fast path on and off: test/run.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Lost lead cleanup');

-- On by default; any user may turn it off for a session or a transaction.
SELECT task_cancel.create_task('+15550000', 'inbound_call');
SELECT boot_val, context FROM pg_settings WHERE name = 'task_cancel.fast_path';

-- The operator's row triggers on tasks fire on the fast path too, column
-- lists included, and see the canceled row.  (They run as the cancel does:
-- as the extension's owner, with search_path pg_catalog, pg_temp.)
CREATE TABLE audit_log (task_id bigint, old_status text, new_status text, reason text);
CREATE FUNCTION log_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit_log VALUES (NEW.id, OLD.status, NEW.status, NEW.cancel_reason);
    RETURN NEW;
END $$;
CREATE TRIGGER log_status AFTER UPDATE OF status ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION log_status();
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'voicemail');
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
SELECT * FROM audit_log ORDER BY task_id;
DROP TRIGGER log_status ON task_cancel.tasks;

-- A BEFORE UPDATE trigger that skips the row (returns NULL) would leave a
-- locked task uncanceled while the result and the event list it: the
-- cancel fails instead (09000), and changes nothing.
CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NULL; END $$;
CREATE TRIGGER skip_row BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION skip_row();
SELECT task_cancel.create_task('+15550002', 'inbound_call');
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks('+15550002', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT status FROM task_cancel.tasks WHERE customer = '+15550002';
SELECT count(*) AS events FROM task_cancel.cancel_events WHERE customer = '+15550002';
DROP TRIGGER skip_row ON task_cancel.tasks;

-- Statement-level triggers fire only for statements: with one on tasks the
-- cancel runs its UPDATE statement (the fast path declines), so it fires.
CREATE TABLE statements (n int);
CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.statements VALUES (1); RETURN NULL; END $$;
CREATE TRIGGER count_statement AFTER UPDATE ON task_cancel.tasks
    FOR EACH STATEMENT EXECUTE FUNCTION count_statement();
SELECT * FROM task_cancel.cancel_tasks('+15550002', 'all', NULL, 1);
SELECT count(*) AS statement_triggers FROM statements;
DROP TRIGGER count_statement ON task_cancel.tasks;

-- A read-only transaction gets the error the statements give (25006).
SELECT task_cancel.create_task('+15550003', 'inbound_call');
BEGIN READ ONLY;
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
ROLLBACK;
BEGIN READ ONLY;
SELECT * FROM task_cancel.preview_cancel('+15550003', 'all', NULL);
ROLLBACK;

-- Without tasks_open_idx (an operator dropped it) the statements run, and
-- find the same rows.
BEGIN;
DROP INDEX task_cancel.tasks_open_idx;
SELECT * FROM task_cancel.preview_cancel('+15550003', 'all', NULL);
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
ROLLBACK;

-- The fast path reads tasks_open_idx only if it returns a customer's
-- tasks in ascending id order and compares customers in the column's own
-- collation: an index made otherwise (here by an operator, descending)
-- leaves the cancel to the statements, which lock and list by ascending id.
SELECT task_cancel.create_task('+15550003', 'voicemail');
BEGIN;
DROP INDEX task_cancel.tasks_open_idx;
CREATE INDEX tasks_open_idx ON task_cancel.tasks (customer, id DESC)
    WHERE completed_at IS NULL AND canceled_at IS NULL;
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
SELECT task_ids FROM task_cancel.cancel_events WHERE customer = '+15550003';
ROLLBACK;
BEGIN;
DROP INDEX task_cancel.tasks_open_idx;
CREATE INDEX tasks_open_idx ON task_cancel.tasks (customer COLLATE "C", id)
    WHERE completed_at IS NULL AND canceled_at IS NULL;
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
ROLLBACK;

-- Each task points at its event as stored, even if an operator's BEFORE
-- INSERT trigger on cancel_events changed the id (as RETURNING id tells
-- the statements).  Trigger stamp_cancel_event draws the id (1.3: in
-- commit order per customer); triggers run in name order, so the
-- operator's runs after it here.
CREATE FUNCTION bump_event_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.id := NEW.id + 1000; RETURN NEW; END $$;
CREATE TRIGGER zz_bump_event_id BEFORE INSERT ON task_cancel.cancel_events
    FOR EACH ROW EXECUTE FUNCTION bump_event_id();
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
SELECT t.id, e.id > 1000 AS bumped, e.task_ids
  FROM task_cancel.tasks AS t
  JOIN task_cancel.cancel_events AS e
    ON e.customer = t.customer AND e.id = t.cancel_event_id
 WHERE t.customer = '+15550003';
ROLLBACK;
DROP TRIGGER zz_bump_event_id ON task_cancel.cancel_events;

-- The fast path runs the code of the extension's own BEFORE ROW triggers
-- (the status guard on tasks, stamp_cancel_event on cancel_events) itself,
-- in their place, when each is the only one of its kind that fires.  So
-- the guard still clears the deadline of a task it cancels ...
SELECT task_cancel.create_task('+15550009', 'outbound_call');
UPDATE task_cancel.tasks SET expires_at = now() + interval '1 hour'
 WHERE customer = '+15550009';
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550009', 'all', NULL, 1);
SELECT status, expires_at IS NULL AS deadline_cleared
  FROM task_cancel.tasks WHERE customer = '+15550009';
ROLLBACK;
-- ... and does nothing once an operator disables its trigger, as an UPDATE
-- statement would find then.
BEGIN;
ALTER TABLE task_cancel.tasks DISABLE TRIGGER zz_status_guard;
SELECT * FROM task_cancel.cancel_tasks('+15550009', 'all', NULL, 1);
SELECT status, expires_at IS NULL AS deadline_cleared
  FROM task_cancel.tasks WHERE customer = '+15550009';
ROLLBACK;
-- With an operator's BEFORE UPDATE trigger beside the guard, the trigger
-- manager runs both in name order, and the guard judges the row the
-- operator's trigger made: here one it must refuse (23514).
CREATE FUNCTION set_completed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.completed_at := now(); RETURN NEW; END $$;
CREATE TRIGGER aa_set_completed_at BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION set_completed_at();
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks('+15550009', 'all', NULL, 1);
\set VERBOSITY default
DROP TRIGGER aa_set_completed_at ON task_cancel.tasks;
SELECT status FROM task_cancel.tasks WHERE customer = '+15550009';

-- The fast path keeps, per backend, what the executor works out about each
-- table's indexes; an index made since, or a partial index with another
-- kind of predicate, gets the canceled rows all the same (amcheck finds
-- every row of the table in each index).  A partial index whose predicate
-- no canceled row can meet (tasks_open_idx, tasks_expires_at_idx) is not
-- even opened; those of IS [NOT] NULL tests below are met by every
-- canceled row, or by some, and get them.
CREATE EXTENSION amcheck;
SELECT task_cancel.create_task('+15550010', 'outbound_call');
SELECT task_cancel.create_task('+15550011', 'outbound_call');
SELECT task_cancel.create_task('+15550012', 'outbound_call');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550010', 'all', NULL, 1);
CREATE INDEX tasks_reason_idx ON task_cancel.tasks (cancel_reason);
CREATE INDEX tasks_canceled_idx ON task_cancel.tasks (id)
    WHERE status = 'canceled';
CREATE INDEX tasks_event_idx ON task_cancel.tasks (cancel_event_id)
    WHERE cancel_event_id IS NOT NULL;
CREATE INDEX tasks_no_deadline_idx ON task_cancel.tasks (id)
    WHERE expires_at IS NULL;
CREATE INDEX tasks_not_open_idx ON task_cancel.tasks (id)
    WHERE NOT (canceled_at IS NULL AND completed_at IS NULL);
CREATE INDEX tasks_either_idx ON task_cancel.tasks (id)
    WHERE completed_at IS NULL OR expires_at IS NOT NULL;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550011', 'all', NULL, 1);
SELECT i.indexrelid::regclass AS index, bt_index_check(i.indexrelid, true)
  FROM pg_index AS i
 WHERE i.indrelid IN ('task_cancel.tasks'::regclass, 'task_cancel.cancel_events'::regclass)
 ORDER BY i.indexrelid::regclass::text;
SELECT count(*) AS canceled_rows_in_partial_indexes
  FROM task_cancel.tasks
 WHERE customer = '+15550011' AND expires_at IS NULL
   AND NOT (canceled_at IS NULL AND completed_at IS NULL)
   AND (completed_at IS NULL OR expires_at IS NOT NULL);
DROP INDEX task_cancel.tasks_reason_idx, task_cancel.tasks_canceled_idx,
    task_cancel.tasks_event_idx, task_cancel.tasks_no_deadline_idx,
    task_cancel.tasks_not_open_idx, task_cancel.tasks_either_idx;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550012', 'all', NULL, 1);
SELECT i.indexrelid::regclass AS index, bt_index_check(i.indexrelid, true)
  FROM pg_index AS i WHERE i.indrelid = 'task_cancel.tasks'::regclass
 ORDER BY i.indexrelid::regclass::text;
-- A cancel run by an operator's trigger inside another cancel may find
-- the kept index info stale (here a table made and dropped in between)
-- and make it again.  The first cut of 1.3 crashed here: the outer cancel
-- went on with the info the inner one had freed.  Now the old info lives
-- to the end of the transaction, and the outer cancel, under an
-- operator's BEFORE trigger, leaves its updates to the statements
-- anyway.  In a new session, as a cold cache.
SELECT task_cancel.create_task('+15550013', 'inbound_call');
SELECT task_cancel.create_task('+15550013', 'voicemail');
SELECT task_cancel.create_task('+15550014', 'inbound_call');
CREATE FUNCTION nested_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer = '+15550013' AND NEW.task_type = 'inbound_call' THEN
        CREATE TABLE pg_temp.invalidates_relcache ();
        DROP TABLE pg_temp.invalidates_relcache;
        PERFORM * FROM task_cancel.cancel_tasks('+15550014', 'all', NULL, 1);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER nested_cancel BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION nested_cancel();
\c
SELECT task_type, previous_status
  FROM task_cancel.cancel_tasks('+15550013', 'all', NULL, 1);
SELECT customer, status FROM task_cancel.tasks
 WHERE customer IN ('+15550013', '+15550014') ORDER BY id;
SELECT i.indexrelid::regclass AS index, bt_index_check(i.indexrelid, true)
  FROM pg_index AS i WHERE i.indrelid = 'task_cancel.tasks'::regclass
 ORDER BY i.indexrelid::regclass::text;
DROP TRIGGER nested_cancel ON task_cancel.tasks;
DROP FUNCTION nested_cancel();
DROP EXTENSION amcheck;

-- The locks a cancel leaves on the indexes until the transaction ends:
-- the scan's on tasks_open_idx, and the writer's on each index a canceled
-- row or its event enters.  tasks_expires_at_idx, which no canceled task
-- enters, is not locked at all.  (The statements' planner locks every
-- index of the table; this is the fast path's own.)
SELECT task_cancel.create_task('+15550015', 'inbound_call');
BEGIN;
SET LOCAL task_cancel.fast_path = on;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550015', 'all', NULL, 1);
SELECT l.relation::regclass AS index, l.mode
  FROM pg_locks AS l JOIN pg_index AS i ON i.indexrelid = l.relation
 WHERE l.pid = pg_backend_pid()
   AND i.indrelid IN ('task_cancel.tasks'::regclass, 'task_cancel.cancel_events'::regclass)
 ORDER BY 1, 2;
ROLLBACK;

-- A cancel changes no column of a foreign key of tasks (task_type,
-- campaign_id): for a row written before this transaction PostgreSQL
-- finds the key unchanged and checks nothing, and the fast path does not
-- even ask.  The checks that are still due run as ever:
-- ... for a task this transaction made, whose deferred check at INSERT
-- gives way to the check at UPDATE (a campaign that does not exist: 23503
-- at COMMIT, and nothing is kept);
ALTER TABLE task_cancel.tasks ALTER CONSTRAINT tasks_campaign_id_fkey
    DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO task_cancel.tasks (customer, task_type, campaign_id)
VALUES ('+15550016', 'inbound_call', 999);
SELECT task_type, previous_status
  FROM task_cancel.cancel_tasks('+15550016', 'all', NULL, 1);
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
SELECT count(*) AS kept FROM task_cancel.tasks WHERE customer = '+15550016';
-- ... also for a task loaded frozen by this transaction (COPY FREEZE after
-- TRUNCATE), whose xmin reads as frozen but is its own;
BEGIN;
TRUNCATE task_cancel.tasks;
COPY task_cancel.tasks (customer, task_type, campaign_id) FROM STDIN (FREEZE);
+15550016	inbound_call	999
\.
SELECT task_type, previous_status
  FROM task_cancel.cancel_tasks('+15550016', 'all', NULL, 1);
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
SELECT count(*) AS kept FROM task_cancel.tasks WHERE customer = '+15550016';
ALTER TABLE task_cancel.tasks ALTER CONSTRAINT tasks_campaign_id_fkey
    NOT DEFERRABLE;
-- ... for a key an operator's BEFORE trigger changes on the way;
CREATE FUNCTION move_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.campaign_id := 999; RETURN NEW; END $$;
CREATE TRIGGER aa_move_campaign BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION move_campaign();
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks('+15550015', 'all', NULL, 1);
\set VERBOSITY default
DROP TRIGGER aa_move_campaign ON task_cancel.tasks;
-- ... and for an operator's foreign key on a column the cancel writes.
CREATE TABLE journeys_in_service (id bigint PRIMARY KEY);
BEGIN;
ALTER TABLE task_cancel.tasks ADD CONSTRAINT tasks_in_service_fkey
    FOREIGN KEY (canceled_by_journey_id) REFERENCES journeys_in_service (id)
    NOT VALID;
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks('+15550015', 'all', NULL, 1);
\set VERBOSITY default
ROLLBACK;
DROP TABLE journeys_in_service;
SELECT status FROM task_cancel.tasks WHERE customer = '+15550015';

-- An operator's row trigger on cancel_events runs between the event and
-- the tasks' update, and may change the tasks being canceled; once it has
-- run SQL, the statements update the tasks, and find what it made.
CREATE FUNCTION note_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE task_cancel.tasks SET expires_at = now() + interval '1 day'
     WHERE customer = NEW.customer AND id = ANY (NEW.task_ids);
    RETURN NULL;
END $$;
CREATE TRIGGER note_tasks AFTER INSERT ON task_cancel.cancel_events
    FOR EACH ROW EXECUTE FUNCTION note_tasks();
BEGIN;
SELECT task_type, previous_status
  FROM task_cancel.cancel_tasks('+15550015', 'all', NULL, 1);
SELECT status, expires_at IS NULL AS deadline_cleared
  FROM task_cancel.tasks WHERE customer = '+15550015';
ROLLBACK;
DROP TRIGGER note_tasks ON task_cancel.cancel_events;

-- Likewise a CHECK constraint (or an index expression) calling a function
-- other than PostgreSQL's immutable ones: it runs between the writes, and
-- the statements write such cancels (here it touches the tasks being
-- canceled, as the trigger above did).
CREATE FUNCTION touch_tasks(c text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE task_cancel.tasks SET campaign_id = campaign_id WHERE customer = c;
    RETURN true;
END $$;
ALTER TABLE task_cancel.cancel_events ADD CONSTRAINT touch_tasks
    CHECK (public.touch_tasks(customer)) NOT VALID;
SELECT task_cancel.create_task('+15550018', 'voicemail');
BEGIN;
SELECT task_type, previous_status
  FROM task_cancel.cancel_tasks('+15550015', 'all', NULL, 1);
SELECT customer, task_type, previous_status
  FROM task_cancel.cancel_tasks(ARRAY['+15550018', '+15550015'], 'all', NULL, 1);
ROLLBACK;
ALTER TABLE task_cancel.cancel_events DROP CONSTRAINT touch_tasks;

-- The same through a domain's CHECK, which no scan of the constraint's
-- expression sees: whatever code of the operator's runs SQL between the
-- cancel's writes, the tasks still to be updated are updated by the
-- statements.
CREATE DOMAIN touched_text AS text CHECK (public.touch_tasks(VALUE));
ALTER TABLE task_cancel.cancel_events ADD CONSTRAINT touch_via_domain
    CHECK ((customer::public.touched_text) IS NOT NULL) NOT VALID;
BEGIN;
SELECT customer, task_type, previous_status
  FROM task_cancel.cancel_tasks(ARRAY['+15550018', '+15550015'], 'all', NULL, 1);
ROLLBACK;
ALTER TABLE task_cancel.cancel_events DROP CONSTRAINT touch_via_domain;
DROP DOMAIN touched_text;
-- ... or an operator's trigger on tasks that, canceling one customer's
-- task, changes the next customer's;
CREATE FUNCTION touch_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer = '+15550015' THEN
        UPDATE task_cancel.tasks SET expires_at = now() + interval '1 day'
         WHERE customer = '+15550018';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER touch_next BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION touch_next();
BEGIN;
SELECT customer, task_type, previous_status
  FROM task_cancel.cancel_tasks(ARRAY['+15550018', '+15550015'], 'all', NULL, 1);
SELECT customer, status, expires_at IS NULL AS deadline_cleared
  FROM task_cancel.tasks WHERE customer IN ('+15550015', '+15550018')
 ORDER BY customer;
ROLLBACK;
DROP TRIGGER touch_next ON task_cancel.tasks;
-- ... and an operator's AFTER UPDATE trigger on tasks fires at the end of
-- each customer's update, as after each of the statements' one UPDATE per
-- customer: it sees the tasks canceled so far.
CREATE TABLE seen (task_id bigint, canceled_so_far bigint);
CREATE FUNCTION note_canceled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.seen
    SELECT NEW.id, count(*) FROM task_cancel.tasks
     WHERE customer IN ('+15550015', '+15550018') AND status = 'canceled';
    RETURN NULL;
END $$;
CREATE TRIGGER note_canceled AFTER UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION note_canceled();
BEGIN;
SELECT count(*)
  FROM task_cancel.cancel_tasks(ARRAY['+15550018', '+15550015'], 'all', NULL, 1);
SELECT t.customer, s.canceled_so_far
  FROM seen AS s JOIN task_cancel.tasks AS t ON t.id = s.task_id
 ORDER BY t.customer;
ROLLBACK;
DROP TRIGGER note_canceled ON task_cancel.tasks;
DROP TABLE seen;

-- Code that only reads sees each customer's update as the statements'
-- one UPDATE per customer lets it: here a domain's CHECK on tasks counts
-- the canceled tasks, and refuses the third (23514).
SELECT task_cancel.create_task(c, 'inbound_call')
  FROM unnest(ARRAY['+15550019', '+15550020', '+15550021']) AS c;
CREATE FUNCTION few_canceled() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FROM task_cancel.tasks
             WHERE customer IN ('+15550019', '+15550020', '+15550021')
               AND status = 'canceled') < 2;
END $$;
CREATE DOMAIN quota_ok AS boolean CHECK (VALUE AND public.few_canceled());
ALTER TABLE task_cancel.tasks ADD CONSTRAINT cancel_quota
    CHECK (status <> 'canceled' OR (true::public.quota_ok)) NOT VALID;
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550019', '+15550020', '+15550021'], 'all', NULL, 1);
\set VERBOSITY default
ALTER TABLE task_cancel.tasks DROP CONSTRAINT cancel_quota;
DROP DOMAIN quota_ok;
-- The same where the code is an operator class's, behind a built-in
-- comparison of a type not built in (a range over it).
CREATE FUNCTION quota_cmp(int4, int4) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF (SELECT count(*) FROM task_cancel.tasks
         WHERE customer IN ('+15550019', '+15550020', '+15550021')
           AND status = 'canceled') >= 2 THEN
        RAISE EXCEPTION 'quota of canceled tasks reached' USING ERRCODE = '23514';
    END IF;
    RETURN btint4cmp($1, $2);
END $$;
CREATE OPERATOR CLASS quota_ops FOR TYPE int4 USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    FUNCTION 1 quota_cmp(int4, int4);
CREATE TYPE quota_range AS RANGE (subtype = int4, subtype_opclass = quota_ops);
ALTER TABLE task_cancel.tasks ADD COLUMN quota quota_range;
UPDATE task_cancel.tasks SET quota = '[1,5)'
 WHERE customer IN ('+15550019', '+15550020', '+15550021');
ALTER TABLE task_cancel.tasks ADD CONSTRAINT cancel_quota
    CHECK (status <> 'canceled' OR quota <> '[0,1)'::quota_range) NOT VALID;
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550019', '+15550020', '+15550021'], 'all', NULL, 1);
\set VERBOSITY default
ALTER TABLE task_cancel.tasks DROP COLUMN quota;
DROP TYPE quota_range;
DROP OPERATOR CLASS quota_ops USING btree;
DROP OPERATOR FAMILY quota_ops USING btree;
-- An operator's code that runs a cancel of its own (here a preview that
-- cannot take the fast path, the index renamed for a moment) among the
-- writes of another cancel leaves that one's knowledge of the tables as
-- it was.
CREATE FUNCTION rename_and_preview() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer = '+15550019' THEN
        ALTER INDEX task_cancel.tasks_open_idx RENAME TO tasks_open_idx_x;
        PERFORM * FROM task_cancel.preview_cancel('+15550099', 'all', NULL);
        ALTER INDEX task_cancel.tasks_open_idx_x RENAME TO tasks_open_idx;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER rename_and_preview BEFORE INSERT ON task_cancel.cancel_events
    FOR EACH ROW EXECUTE FUNCTION rename_and_preview();
BEGIN;
SELECT customer, task_type, previous_status
  FROM task_cancel.cancel_tasks(ARRAY['+15550019', '+15550020', '+15550021'], 'all', NULL, 1);
SELECT customer, task_ids, at = now() AS at_now FROM task_cancel.cancel_events
 WHERE customer IN ('+15550019', '+15550020', '+15550021') ORDER BY customer;
ROLLBACK;
DROP TRIGGER rename_and_preview ON task_cancel.cancel_events;
-- With an operator's BEFORE UPDATE trigger on tasks, the statements update
-- the tasks, so that the trigger's work and errors come out as theirs:
-- a task skipped (RETURN NULL) is reported once all are written, after an
-- error of a later customer's ...
CREATE FUNCTION odd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer = '+15550019' THEN RETURN NEW; END IF;
    IF NEW.customer = '+15550020' THEN RETURN NULL; END IF;
    RAISE EXCEPTION 'no cancel of task %', NEW.id USING ERRCODE = '22012';
END $$;
CREATE TRIGGER odd BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION odd();
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550019', '+15550020', '+15550021'], 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
DROP TRIGGER odd ON task_cancel.tasks;
-- ... and a trigger changing the very row being canceled gets 27000.
CREATE FUNCTION touch_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() = 1 THEN
        UPDATE task_cancel.tasks SET agent = agent WHERE id = NEW.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER touch_self BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION touch_self();
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks('+15550019', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
DROP TRIGGER touch_self ON task_cancel.tasks;

-- Which triggers fire is judged trigger by trigger, by the
-- session_replication_role of that moment, also when an operator's
-- trigger changes the role in the middle of a cancel: here a_set turns
-- it to replica, so that the replica-only b_rep fires, and c_reset turns
-- it back before the guard, for every task.
CREATE TABLE fired (who text, role text);
CREATE FUNCTION a_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
    RETURN NEW;
END $$;
CREATE FUNCTION b_rep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.fired VALUES ('b_rep', current_setting('session_replication_role'));
    NEW.cancel_reason := NEW.cancel_reason || ' [seen by a replica trigger]';
    RETURN NEW;
END $$;
CREATE FUNCTION c_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.set_config('session_replication_role', 'origin', true);
    RETURN NEW;
END $$;
CREATE TRIGGER a_set BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION a_set();
CREATE TRIGGER b_rep BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION b_rep();
CREATE TRIGGER c_reset BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION c_reset();
ALTER TABLE task_cancel.tasks ENABLE ALWAYS TRIGGER a_set;
ALTER TABLE task_cancel.tasks ENABLE REPLICA TRIGGER b_rep;
ALTER TABLE task_cancel.tasks ENABLE ALWAYS TRIGGER c_reset;
SELECT task_cancel.create_task('+15550017', 'inbound_call');
SELECT task_cancel.create_task('+15550017', 'voicemail');
BEGIN;
SELECT task_type, previous_status
  FROM task_cancel.cancel_tasks('+15550017', 'all', NULL, 1);
SELECT task_type, status, cancel_reason
  FROM task_cancel.tasks WHERE customer = '+15550017' ORDER BY id;
SELECT who, role, count(*) FROM fired GROUP BY who, role;
ROLLBACK;
DROP TRIGGER a_set ON task_cancel.tasks;
DROP TRIGGER b_rep ON task_cancel.tasks;
DROP TRIGGER c_reset ON task_cancel.tasks;
DROP TABLE fired;

-- The statements read the tables that inherit from tasks too, and check
-- every value against its column's type: with a child table, or a column
-- whose type an operator changed, the cancel is theirs.
CREATE TABLE tasks_archive () INHERITS (task_cancel.tasks);
INSERT INTO tasks_archive (id, customer, task_type) VALUES (1001, '+15550003', 'voicemail');
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'all', NULL, 1);
ROLLBACK;
DROP TABLE tasks_archive;
BEGIN;
ALTER TABLE task_cancel.cancel_events ALTER COLUMN arg TYPE varchar(5);
SELECT * FROM task_cancel.cancel_tasks('+15550003', 'task_type', 'voicemail', 1);
ROLLBACK;

-- The array form: customers in ORDER BY customer order, each once, with
-- one event each, whichever way it runs.
SELECT task_cancel.create_task(c, 'inbound_call')
  FROM unnest(ARRAY['+15550005', '+15550004', '+15550006']) AS c;
BEGIN;
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550006', '+15550004', '+15550006', '+15550005'], 'all', NULL, 1);
SELECT customer, task_ids, mode FROM task_cancel.cancel_events
 WHERE customer IN ('+15550004', '+15550005', '+15550006') ORDER BY customer;
ROLLBACK;
SET task_cancel.fast_path = off;
BEGIN;
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550006', '+15550004', '+15550006', '+15550005'], 'all', NULL, 1);
SELECT customer, task_ids, mode FROM task_cancel.cancel_events
 WHERE customer IN ('+15550004', '+15550005', '+15550006') ORDER BY customer;
ROLLBACK;
RESET task_cancel.fast_path;

-- Both ways write the same audit and event: cancel one customer each way,
-- in one transaction, and compare everything but the ids.
SELECT task_cancel.create_task('+15550007', 'outbound_call');
SELECT task_cancel.create_task('+15550008', 'outbound_call');
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550007', 'task_type', 'outbound_call', 1);
SET LOCAL task_cancel.fast_path = off;
SELECT * FROM task_cancel.cancel_tasks('+15550008', 'task_type', 'outbound_call', 1);
SELECT customer, status, canceled_at = now() AS at_now, canceled_by_journey_id,
       canceled_by_journey_name, canceled_by_agent, cancel_reason,
       (SELECT e.task_ids = ARRAY[t.id] FROM task_cancel.cancel_events AS e
         WHERE e.id = t.cancel_event_id AND e.customer = t.customer) AS event_lists_it
  FROM task_cancel.tasks AS t WHERE customer IN ('+15550007', '+15550008') ORDER BY customer;
SELECT customer, at = now() AS at_now, canceled_by_journey_id, canceled_by_journey_name,
       canceled_by_agent, mode, arg, txid = pg_current_xact_id() AS this_txid
  FROM task_cancel.cancel_events WHERE customer IN ('+15550007', '+15550008') ORDER BY customer;
COMMIT;

DROP TABLE audit_log, statements;
DROP FUNCTION log_status(), skip_row(), count_statement(), bump_event_id(),
    set_completed_at(), move_campaign(), note_tasks(), touch_tasks(text),
    touch_next(), note_canceled(), few_canceled(), odd(), touch_self(),
    quota_cmp(int4, int4), rename_and_preview(),
    a_set(), b_rep(), c_reset();
DROP EXTENSION task_cancel;
