-- untyped_params: every function of the README resolves to exactly one
-- overload when all its parameters are untyped -- what node-pg sends, and
-- what PREPARE without parameter types makes here.  Before 1.3,
-- cancel_task with three or four untyped arguments matched both
-- cancel_task(task_id, agent, reason, end_campaigns), whose last two have
-- defaults, and the customer-first cancel_task(customer, task_id, agent,
-- reason, end_campaigns), whose last two had defaults too (42725).  Now
-- the id-only form takes 2 to 4 arguments and the customer-first one
-- exactly 5.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Customer replied STOP');
SELECT task_cancel.create_task('+15550001', 'inbound_call') AS t1 \gset
SELECT task_cancel.create_task('+15550001', 'voicemail') AS t2 \gset
SELECT task_cancel.create_task('+15550001', 'inbound_sms') AS t3 \gset
SELECT task_cancel.create_task('+15550001', 'asap_callback') AS t4 \gset

-- The customer-first cancel_task has no defaults any more; a fresh
-- install and an updated one define it alike (test/upgrade/run).
SELECT pg_get_function_arguments('task_cancel.cancel_task(text, bigint, text, text, boolean)'::regprocedure);
SELECT pg_get_function_arguments('task_cancel.cancel_task(bigint, text, text, boolean)'::regprocedure);

PREPARE register_journey AS SELECT task_cancel.register_journey($1, $2);
PREPARE register_campaign AS SELECT task_cancel.register_campaign($1, $2, $3);
PREPARE create_task_2 AS SELECT task_cancel.create_task($1, $2);
PREPARE create_task_5 AS SELECT task_cancel.create_task($1, $2, $3, $4, $5);
PREPARE reserve_task AS SELECT task_cancel.reserve_task($1, $2);
PREPARE reserve_task_of AS SELECT task_cancel.reserve_task($1, $2, $3);
PREPARE release_task AS SELECT task_cancel.release_task($1);
PREPARE release_task_of AS SELECT task_cancel.release_task($1, $2);
PREPARE accept_task AS SELECT task_cancel.accept_task($1, $2);
PREPARE accept_task_of AS SELECT task_cancel.accept_task($1, $2, $3);
PREPARE wrap_task AS SELECT task_cancel.wrap_task($1);
PREPARE wrap_task_of AS SELECT task_cancel.wrap_task($1, $2);
PREPARE complete_task AS SELECT task_cancel.complete_task($1);
PREPARE complete_task_of AS SELECT task_cancel.complete_task($1, $2);
PREPARE set_task_deadline AS SELECT task_cancel.set_task_deadline($1, $2);
PREPARE set_task_deadline_of AS SELECT task_cancel.set_task_deadline($1, $2, $3);
PREPARE cancel_tasks AS SELECT * FROM task_cancel.cancel_tasks($1, $2, $3, $4);
PREPARE preview_cancel AS SELECT * FROM task_cancel.preview_cancel($1, $2, $3);
PREPARE block_customer_2 AS SELECT task_cancel.block_customer($1, $2);
PREPARE block_customer_3 AS SELECT task_cancel.block_customer($1, $2, $3);
PREPARE unblock_customer AS SELECT task_cancel.unblock_customer($1);
PREPARE cancel_events_since_1 AS SELECT * FROM task_cancel.cancel_events_since($1);
PREPARE cancel_events_since_2 AS SELECT * FROM task_cancel.cancel_events_since($1, $2);
PREPARE cancel_expired_tasks AS SELECT task_cancel.cancel_expired_tasks($1);
PREPARE purge_cancel_events AS SELECT task_cancel.purge_cancel_events($1);
PREPARE cancel_task_2 AS SELECT * FROM task_cancel.cancel_task($1, $2);
PREPARE cancel_task_3 AS SELECT * FROM task_cancel.cancel_task($1, $2, $3);
PREPARE cancel_task_4 AS SELECT * FROM task_cancel.cancel_task($1, $2, $3, $4);
PREPARE cancel_task_5 AS SELECT * FROM task_cancel.cancel_task($1, $2, $3, $4, $5);

-- What each untyped parameter became.
SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name;

-- cancel_task with 2, 3 and 4 untyped arguments cancels by id, with 5 by
-- customer and id; all values sent as text, as node-pg sends them.
EXECUTE cancel_task_2(:'t1', 'agent_ann');
EXECUTE cancel_task_3(:'t2', 'agent_ann', 'Customer asked by phone');
EXECUTE cancel_task_4(:'t3', 'agent_ann', NULL, 'false');
EXECUTE cancel_task_5('+15550001', :'t4', 'agent_ann', NULL, 'true');
SELECT id, status, canceled_by_agent, cancel_reason FROM task_cancel.tasks ORDER BY id;

-- A list sent untyped reaches the text form and is refused there (see
-- test/sql/customer_argument.sql), instead of canceling nothing.
\set VERBOSITY terse
EXECUTE cancel_tasks('{+15550001,+15550002}', 'all', NULL, '1');
\echo :LAST_ERROR_SQLSTATE

DEALLOCATE ALL;
DROP EXTENSION task_cancel;
