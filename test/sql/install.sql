-- install: CREATE EXTENSION task_cancel needs nothing else, puts every
-- object into schema task_cancel, seeds the task types, and DROP EXTENSION
-- removes all of it again.

-- A schema of that name made by someone else is not adopted.
CREATE SCHEMA task_cancel;
-- PostgreSQL 18 adds CONTEXT lines naming the script's line; the message
-- and SQLSTATE are the same on every version.
\set SHOW_CONTEXT never
CREATE EXTENSION task_cancel;
\set SHOW_CONTEXT errors
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA task_cancel;

CREATE EXTENSION task_cancel;

-- Version, and the extension cannot be moved to another schema.
SELECT extname, extversion, extrelocatable
  FROM pg_extension WHERE extname = 'task_cancel';

-- Every member of the extension, with its schema.
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'task_cancel')
   AND deptype = 'e'
   -- PostgreSQL 17 and later also record each table's and view's row type,
   -- and its array type, as members.  They come and go with the relation,
   -- which is listed; left out, the list is the same on every version.
   AND NOT EXISTS (SELECT FROM pg_type t
                     LEFT JOIN pg_type elem ON elem.oid = t.typelem
                     JOIN pg_class c ON c.oid IN (t.typrelid, elem.typrelid)
                    WHERE classid = 'pg_type'::regclass AND t.oid = objid
                      AND c.relkind <> 'c')
 ORDER BY 1;

-- Tables whose rows pg_dump keeps, and with which filter.
SELECT c.relname, cfg.condition
  FROM pg_extension e,
       unnest(e.extconfig, e.extcondition) AS cfg(reloid, condition)
  JOIN pg_class c ON c.oid = cfg.reloid
 WHERE e.extname = 'task_cancel'
 ORDER BY 1;

-- The seeded task types: all cancelable except automated_sms.
SELECT name, label, cancelable FROM task_cancel.task_types ORDER BY name;

-- automated_sms can never be made cancelable.
UPDATE task_cancel.task_types SET cancelable = true WHERE name = 'automated_sms';
\echo :LAST_ERROR_SQLSTATE

-- The operator may add types.
INSERT INTO task_cancel.task_types (name, label, cancelable)
VALUES ('email', 'Email', true);
SELECT name, cancelable, seeded FROM task_cancel.task_types WHERE name = 'email';

-- Indexes of tasks: the primary key starts with customer; id has its own;
-- the open tasks (neither completed nor canceled) have one by customer.
SELECT indexname, indexdef FROM pg_indexes
 WHERE schemaname = 'task_cancel' AND tablename = 'tasks' ORDER BY 1;

-- Triggers: the status guard on tasks; on the lookup tables, the trigger
-- that keeps every backend's lookup cache current.
SELECT tgrelid::regclass AS "table", tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('task_cancel.tasks'::regclass, 'task_cancel.journeys'::regclass,
                   'task_cancel.task_types'::regclass, 'task_cancel.campaigns'::regclass)
   AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;

-- Every table, view and function has a comment.
SELECT c.relname AS uncommented_relation
  FROM pg_class c
 WHERE c.relnamespace = 'task_cancel'::regnamespace
   AND c.relkind IN ('r', 'v')
   AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT p.proname AS uncommented_function
  FROM pg_proc p
 WHERE p.pronamespace = 'task_cancel'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL;

-- Nothing is left behind.
DROP EXTENSION task_cancel;
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname = 'task_cancel';
