-- customer_argument: every function that takes one customer refuses a
-- list sent as text (an array literal: first character "{", last "}")
-- with 22023 and a hint to pass a text[] to the array form, and a customer
-- over 1,000 bytes with 22001 -- before it reads or writes anything.
-- Drivers bind a native list to the text overload of cancel_tasks(), where
-- it used to match no task and cancel nothing, silently.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Customer replied STOP');
SELECT task_cancel.create_task('+15550001', 'inbound_call') AS t1 \gset
SELECT task_cancel.create_task('+15550002', 'voicemail') AS t2 \gset
SELECT task_cancel.create_task('+15550001', 'voicemail') AS t3 \gset

\set VERBOSITY default

-- What a driver sends for a native list ['+15550001', '+15550002'], as
-- the text form of cancel_tasks sees it: refused, with the way out.
SELECT * FROM task_cancel.cancel_tasks('{+15550001,+15550002}', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
-- The same list typed as text[] reaches the array form and cancels.
SELECT task_id, customer, previous_status
  FROM task_cancel.cancel_tasks('{+15550001,+15550002}'::text[], 'task_type', 'voicemail', 1);

-- Every other function that takes one customer refuses it too, so no task
-- is created, and no block recorded, for a customer that cannot be
-- canceled by name.
SELECT * FROM task_cancel.cancel_tasks('{}', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('{"+15550001"}', 'all', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task('{+15550001,+15550002}', 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer('{+15550001}', 'Opt-out', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.unblock_customer('{+15550001}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT task_cancel.reserve_task('{+15550001}', :t1, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.release_task('{+15550001}', :t1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.accept_task('{+15550001}', :t1, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.wrap_task('{+15550001}', :t1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.complete_task('{+15550001}', :t1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.set_task_deadline('{+15550001}', :t1, now());
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task('{+15550001}', :t1, 'agent_ann', NULL, false);
\echo :LAST_ERROR_SQLSTATE

-- Only the whole shape counts: braces inside, or at one end only, are
-- part of a customer's name (none of these has a task).
SELECT count(*) FROM task_cancel.cancel_tasks('{+15550001', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001}', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('contact{7}', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks(' {+15550001}', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks('{', 'all', NULL, 1);
SELECT count(*) FROM task_cancel.preview_cancel('}', 'all', NULL);

-- A customer over 1,000 bytes is refused by every function that takes one
-- (22001, as create_task has refused it since 1.2).  block_customer used
-- to fail in the index of blocked_customers instead (54000).
SELECT task_cancel.block_customer(repeat('8', 1048576), 'Too long', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.block_customer(repeat('8', 1001), 'Too long', 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT * FROM task_cancel.cancel_tasks(repeat('8', 1001), 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001', repeat('8', 1001)], 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel(repeat('8', 1001), 'all', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.create_task(repeat('8', 1001), 'inbound_call');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.unblock_customer(repeat('8', 1001));
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.reserve_task(repeat('8', 1001), :t1, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.release_task(repeat('8', 1001), :t1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.accept_task(repeat('8', 1001), :t1, 'agent_ann');
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.wrap_task(repeat('8', 1001), :t1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.complete_task(repeat('8', 1001), :t1);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.set_task_deadline(repeat('8', 1001), :t1, now());
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_task(repeat('8', 1001), :t1, 'agent_ann', NULL, false);
\echo :LAST_ERROR_SQLSTATE
-- A list is a list however long: the array hint, not the length limit.
SELECT * FROM task_cancel.cancel_tasks(
    (SELECT array_agg('+1555' || lpad(i::text, 7, '0'))::text
       FROM generate_series(1, 200) AS i), 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
-- At the limit, each is accepted.
SELECT count(*) FROM task_cancel.cancel_tasks(repeat('8', 1000), 'all', NULL, 1);
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY[repeat('8', 1000)], 'all', NULL, 1);
SELECT task_cancel.block_customer(repeat('8', 1000), 'At the limit', 1);
SELECT task_cancel.unblock_customer(repeat('8', 1000));

-- Nothing was changed by the refused calls.
SELECT id, customer, status, agent, expires_at IS NULL AS no_deadline
  FROM task_cancel.tasks ORDER BY id;
SELECT count(*) AS blocked FROM task_cancel.blocked_customers;
SELECT customer, mode, task_ids FROM task_cancel.cancel_events ORDER BY id;

DROP EXTENSION task_cancel;
