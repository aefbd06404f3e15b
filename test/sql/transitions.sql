-- transitions: the status trigger lets an UPDATE move a task only along the
-- lifecycle, whoever issues it, and raises a class 23 error that changes
-- nothing otherwise.  Keeping the status is always allowed.
CREATE EXTENSION task_cancel;

-- A task in each status, inserted directly (INSERT is held to the CHECK
-- constraints only, as pg_dump's COPY is), then one UPDATE to each status.
CREATE FUNCTION try_transition(from_status text, to_status text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    t bigint;
    result text;
BEGIN
    INSERT INTO task_cancel.tasks (customer, task_type, status, agent,
                                   completed_at, canceled_at)
    VALUES ('+15550001', 'inbound_call', from_status,
            CASE WHEN from_status IN ('reserved', 'assigned', 'wrapping')
                 THEN 'agent_ann' END,
            CASE WHEN from_status = 'completed' THEN now() END,
            CASE WHEN from_status = 'canceled' THEN now() END)
    RETURNING id INTO t;
    BEGIN
        UPDATE task_cancel.tasks
           SET status = to_status,
               agent = CASE WHEN to_status IN ('reserved', 'assigned', 'wrapping')
                            THEN 'agent_ann' ELSE agent END
         WHERE id = t;
        SELECT 'allowed' INTO result;
    EXCEPTION WHEN OTHERS THEN
        result := 'refused (' || SQLSTATE || ')';
    END;
    RETURN result;
END $$;

WITH s(name, ord) AS (
    VALUES ('pending', 1), ('reserved', 2), ('assigned', 3),
           ('wrapping', 4), ('completed', 5), ('canceled', 6))
SELECT f.name AS "from", t.name AS "to", try_transition(f.name, t.name) AS result
  FROM s AS f, s AS t
 ORDER BY f.ord, t.ord;

-- What the errors say.
SELECT task_cancel.create_task('+15550002', 'inbound_call', agent => 'agent_ann') AS assigned_task;
UPDATE task_cancel.tasks SET status = 'pending' WHERE id = 37;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET status = 'canceled' WHERE id = 37;
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.tasks SET status = 'done' WHERE id = 37;
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.complete_task(37);
UPDATE task_cancel.tasks SET status = 'assigned' WHERE id = 37;
\echo :LAST_ERROR_SQLSTATE

-- One bad row makes the whole statement fail: nothing changed.
SELECT task_cancel.create_task('+15550003', 'voicemail') AS pending_task;
UPDATE task_cancel.tasks SET status = 'canceled' WHERE id IN (37, 38);
\echo :LAST_ERROR_SQLSTATE
SELECT id, status FROM task_cancel.tasks WHERE id IN (37, 38) ORDER BY id;

-- A hand-written completion gets completed_at like complete_task() does.
SELECT task_cancel.create_task('+15550003', 'voicemail', agent => 'agent_ann') AS task;
BEGIN;
UPDATE task_cancel.tasks SET status = 'completed' WHERE id = 39;
SELECT status, completed_at = now() AS completed_now FROM task_cancel.tasks WHERE id = 39;
COMMIT;

-- Invalid rows cannot be inserted either.  (Terse: the constraint's
-- detail would print the row's created_at.)
\set VERBOSITY terse
INSERT INTO task_cancel.tasks (customer, task_type, status) VALUES ('+15550004', 'inbound_call', 'reserved');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.tasks (customer, task_type, status) VALUES ('+15550004', 'inbound_call', 'canceled');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.tasks (customer, task_type, status) VALUES ('+15550004', 'inbound_call', 'lost');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- The trigger function refuses to be used any other way.
CREATE TABLE other (id int, status text);
CREATE TRIGGER guard AFTER UPDATE ON other FOR EACH ROW
    EXECUTE FUNCTION task_cancel.status_guard();
INSERT INTO other VALUES (1, 'pending');
UPDATE other SET status = 'x';
\echo :LAST_ERROR_SQLSTATE
DROP TABLE other;
SELECT task_cancel.status_guard();
\echo :LAST_ERROR_SQLSTATE

DROP FUNCTION try_transition(text, text);
DROP EXTENSION task_cancel;
