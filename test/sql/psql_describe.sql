-- psql_describe: what an operator or support person sees with psql's
-- describe commands.  Every object of the extension is listed, and every
-- table, view, column and function explains itself; a missing object or
-- comment shows up here as a difference.
CREATE EXTENSION task_cancel;

\dx task_cancel
\dx+ task_cancel
\df task_cancel.*
\d+ task_cancel.tasks
\d+ task_cancel.past_tasks

-- \df+, \dv and \dt+ also print owners and sizes, which differ between
-- installations; these are their descriptions.
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') AS description
  FROM pg_proc p
 WHERE p.pronamespace = 'task_cancel'::regnamespace
 ORDER BY p.oid::regprocedure::text;
SELECT c.relname AS relation, obj_description(c.oid, 'pg_class') AS description
  FROM pg_class c
 WHERE c.relnamespace = 'task_cancel'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

-- Columns without a comment (none expected).
SELECT c.relname, a.attname
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'task_cancel'::regnamespace AND c.relkind IN ('r', 'v')
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1, 2;

DROP EXTENSION task_cancel;
