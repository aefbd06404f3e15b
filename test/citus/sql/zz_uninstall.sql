-- zz_uninstall: run last.  DROP EXTENSION task_cancel refuses while the
-- shards depend on the schema; with CASCADE it removes the extension, its
-- tables and their shards on every node, and Citus's metadata of them.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP EXTENSION task_cancel;
DROP EXTENSION task_cancel CASCADE;
SELECT result AS schemas_left, count(*)
  FROM run_command_on_all_nodes($$SELECT count(*) FROM pg_namespace WHERE nspname = 'task_cancel'$$)
 GROUP BY 1;
SELECT result AS extensions_left, count(*)
  FROM run_command_on_all_nodes($$SELECT count(*) FROM pg_extension WHERE extname = 'task_cancel'$$)
 GROUP BY 1;
SELECT count(*) AS tables_in_metadata FROM pg_dist_partition
 WHERE logicalrelid::text LIKE 'task_cancel.%';
SELECT count(*) AS functions_in_metadata FROM pg_dist_object
 WHERE classid = 'pg_proc'::regclass AND objid::regprocedure::text LIKE 'task_cancel.%';
-- And it installs again.
CREATE EXTENSION task_cancel;
SELECT task_cancel.distribute();
SELECT count(*) AS tables_distributed FROM pg_dist_partition
 WHERE logicalrelid::text LIKE 'task_cancel.%';
