-- lookup_cache: cancel_tasks keeps journey names, task types and campaign
-- names in a per-backend cache, and never answers from a stale one: every
-- change to those tables is seen by the next cancel, even in the same
-- transaction, and an unknown name is looked up again every time.
-- (race_lookup_cache.spec shows the same across sessions.)
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT task_cancel.create_task('+15550001', t)
  FROM unnest(ARRAY['inbound_call', 'inbound_call', 'voicemail', 'voicemail',
                    'inbound_sms', 'custom_task', 'custom_task']) AS t;
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42);
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42);

BEGIN;
-- First use fills the cache.
SELECT task_id, task_type FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);
-- A rename is seen by the next cancel of the same transaction.
SELECT task_cancel.register_journey(1, 'Welcome flow v2');
SELECT task_id, task_type FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'voicemail', 1);
SELECT id, canceled_by_journey_name FROM task_cancel.tasks
 WHERE status = 'canceled' ORDER BY id;
ROLLBACK;

-- A rolled-back rename leaves the old name, even when a cancel of the same
-- transaction had already used (and cached) the new one.
BEGIN;
SELECT task_cancel.register_journey(1, 'Never committed');
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'custom_task', 1);
SELECT DISTINCT canceled_by_journey_name FROM task_cancel.tasks WHERE status = 'canceled';
ROLLBACK;
BEGIN;
SELECT task_id FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_sms', 1);
SELECT DISTINCT canceled_by_journey_name FROM task_cancel.tasks WHERE status = 'canceled';
ROLLBACK;

-- A type marked not cancelable is skipped by mode all and refused by name
-- at once; a new type is usable at once.
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'all', NULL, 1);
UPDATE task_cancel.task_types SET cancelable = false WHERE name = 'custom_task';
BEGIN;
SELECT task_type, count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1)
 GROUP BY task_type ORDER BY task_type;
ROLLBACK;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'custom_task', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task_cancel.task_types (name, label, cancelable) VALUES ('email', 'Email', true);
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'email', 1);

-- A deleted campaign is unknown at once; a renamed one shows its new name
-- in the next reason.
SELECT task_cancel.register_campaign(43, 'Autumn sale', 'voice');
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'campaign', '43', 1);
DELETE FROM task_cancel.campaigns WHERE id = 43;
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'campaign', '43', 1);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT task_cancel.register_campaign(42, 'Spring sale (last call)', 'voice');
SELECT task_id FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42', 1);
SELECT DISTINCT cancel_reason FROM task_cancel.tasks WHERE status = 'canceled';
ROLLBACK;

-- An unknown journey stays unknown until it is registered, then works.
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.register_journey(2, 'Late journey');
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'all', NULL, 2);

-- Changes made under session_replication_role = replica (what a
-- logical-replication apply worker or a data-only load runs with) empty
-- the cache too: the triggers are ENABLE ALWAYS.
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'all', NULL, 1);
SET session_replication_role = replica;
UPDATE task_cancel.journeys SET name = 'Renamed by replication' WHERE id = 1;
UPDATE task_cancel.task_types SET cancelable = false WHERE name = 'inbound_sms';
UPDATE task_cancel.campaigns SET name = 'Spring sale (replicated)' WHERE id = 42;
RESET session_replication_role;
BEGIN;
SELECT task_type, count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1)
 GROUP BY task_type ORDER BY task_type;
SELECT DISTINCT canceled_by_journey_name FROM task_cancel.tasks WHERE status = 'canceled';
ROLLBACK;
BEGIN;
SELECT task_id FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42', 1);
SELECT DISTINCT cancel_reason FROM task_cancel.tasks WHERE status = 'canceled';
ROLLBACK;
SET session_replication_role = replica;
INSERT INTO task_cancel.journeys VALUES (3, 'Replicated journey');
RESET session_replication_role;
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'all', NULL, 3);
SET session_replication_role = replica;
DELETE FROM task_cancel.journeys WHERE id = 3;
RESET session_replication_role;
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'all', NULL, 3);
\echo :LAST_ERROR_SQLSTATE
SET session_replication_role = replica;
TRUNCATE task_cancel.campaigns CASCADE;
RESET session_replication_role;
SELECT count(*) FROM task_cancel.cancel_tasks('+15559999', 'campaign', '42', 1);
\echo :LAST_ERROR_SQLSTATE

-- TRUNCATE empties the cache too.
DELETE FROM task_cancel.tasks;
TRUNCATE task_cancel.journeys;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE

-- The trigger function refuses to be used any other way.
CREATE TABLE other (id int);
CREATE TRIGGER changed BEFORE INSERT ON other FOR EACH ROW
    EXECUTE FUNCTION task_cancel.lookup_changed();
INSERT INTO other VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE other;

DROP EXTENSION task_cancel;
