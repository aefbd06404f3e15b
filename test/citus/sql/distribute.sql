-- distribute: what task_cancel.distribute() leaves on a Citus cluster
-- (test/citus/run has called it once already).  Every table is where the
-- README says, every per-customer function runs on the customer's node,
-- and a second call changes nothing.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT logicalrelid, partmethod, partkey IS NOT NULL AS by_customer,
       colocationid = (SELECT colocationid FROM pg_dist_partition
                        WHERE logicalrelid = 'task_cancel.tasks'::regclass) AS with_tasks
  FROM pg_dist_partition
 WHERE logicalrelid::text LIKE 'task_cancel.%'
 ORDER BY 1::text;

SELECT objid::regprocedure AS delegated, distribution_argument_index AS arg,
       force_delegation
  FROM pg_dist_object
 WHERE classid = 'pg_proc'::regclass
   AND objid::regprocedure::text LIKE 'task_cancel.%'
   AND distribution_argument_index IS NOT NULL
 ORDER BY 1::text;

-- Again: no error, nothing new.
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM pg_dist_partition) AS tables,
       (SELECT count(*) FROM pg_dist_shard) AS shards,
       (SELECT count(*) FROM pg_dist_object) AS objects;
SELECT task_cancel.distribute();
SELECT (SELECT count(*) FROM pg_dist_partition) = tables AS same_tables,
       (SELECT count(*) FROM pg_dist_shard) = shards AS same_shards,
       (SELECT count(*) FROM pg_dist_object) = objects AS same_objects
  FROM before;

-- Only on the coordinator; prepare_node() is not for anyone else either.
SELECT success, result LIKE '%must run on the coordinator%' AS refused
  FROM run_command_on_workers('SELECT task_cancel.distribute()');
SET ROLE journey_engine;
SELECT task_cancel.distribute();
SELECT task_cancel.prepare_node();
RESET ROLE;

-- Every node has the schema grant the coordinator has (Citus does not
-- propagate grants on an extension's schema) and the function grants.
SELECT result AS every_role_may_use_the_schema, count(*)
  FROM run_command_on_all_nodes($$SELECT bool_and(has_schema_privilege(r, 'task_cancel', 'USAGE'))
        FROM unnest(ARRAY['journey_engine', 'task_router', 'webhook_sender',
                          'support_staff', 'maintenance']) AS r$$)
 GROUP BY 1;
SELECT result AS may_cancel, count(*)
  FROM run_command_on_all_nodes($$SELECT has_function_privilege('journey_engine',
        'task_cancel.cancel_tasks(text, text, text, bigint)', 'EXECUTE')$$)
 GROUP BY 1;

-- Ids are unique in the cluster: each node hands out its own range,
-- (group id) << 48 onwards.  Tasks created by delegated calls (on the
-- workers) and by one statement on the coordinator.
SET ROLE journey_engine;
-- one statement each: delegated to the customer's worker
\o /dev/null
SELECT format('SELECT task_cancel.create_task(%L, %L)', 'ids-' || i, 'inbound_call')
  FROM generate_series(1, 20) AS i \gexec
\o
-- one statement for all: run on the coordinator
SELECT count(task_cancel.create_task('ids-' || i, 'voicemail')) FROM generate_series(1, 20) AS i;
RESET ROLE;
SELECT count(*) AS tasks, count(DISTINCT id) AS distinct_ids,
       array_agg(DISTINCT id >> 48 ORDER BY id >> 48) AS node_groups
  FROM task_cancel.tasks WHERE customer LIKE 'ids-%';
