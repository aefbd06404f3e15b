-- bad_input: every bad argument of cancel_tasks raises the SQLSTATE of
-- doc/reference.md with a message a person understands, and changes nothing.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(1, 'Welcome flow');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');
SELECT task_cancel.create_task('+15550001', 'inbound_call');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42);
SELECT task_cancel.create_task('+15550001', 'automated_sms', 42);

\set VERBOSITY default

-- customer null (22004) or empty (22023).
SELECT * FROM task_cancel.cancel_tasks(NULL::text, 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('', 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE

-- customers null or holding a null (22004), or an empty string (22023).
SELECT * FROM task_cancel.cancel_tasks(NULL::text[], 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001', NULL], 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001', ''], 'all', NULL, 1);
\echo :LAST_ERROR_SQLSTATE

-- mode null or unknown (22023, with a hint listing the modes).
SELECT * FROM task_cancel.cancel_tasks('+15550001', NULL, NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'everything', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'ALL', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001'], 'types', NULL, 1);
\echo :LAST_ERROR_SQLSTATE

-- mode all with an argument (22023).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', 'inbound_call', 1);
\echo :LAST_ERROR_SQLSTATE

-- mode task_type with a null or unknown type (22023).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'fax', 1);
\echo :LAST_ERROR_SQLSTATE

-- mode task_type naming a type that is never cancelable (0A000, detail why).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'automated_sms', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001'], 'task_type', 'automated_sms', 1);
\echo :LAST_ERROR_SQLSTATE

-- mode campaign with an argument that is not an integer (22P02), too big
-- for a bigint (22003), each message saying it is the campaign id; null
-- (22023) or an unknown campaign (22023).  A campaign id is decimal on
-- every server version (bigint input accepts "0x2A" and "1_000" from
-- PostgreSQL 16 on).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', 'spring', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '42.5', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '99999999999999999999', 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '9223372036854775808', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '-9223372036854775809', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', ' - 4', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '0x2A', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.preview_cancel('+15550001', 'campaign', '1_000');
\echo :LAST_ERROR_SQLSTATE
-- The extremes of bigint are ids (of no campaign here).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '-9223372036854775808', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '+9223372036854775807', 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', '77', 1);
\echo :LAST_ERROR_SQLSTATE

-- journey_id null (22004) or not registered (22023, hint register_journey).
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 404);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM task_cancel.cancel_tasks(ARRAY['+15550001'], 'all', NULL, 404);
\echo :LAST_ERROR_SQLSTATE

-- Whitespace around a campaign id is accepted, as bigint input accepts it.
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', ' 42 ', 1);
ROLLBACK;

-- An error in the middle of a transaction changes nothing, even what the
-- same transaction canceled before it.
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'task_type', 'inbound_call', 1);
SELECT * FROM task_cancel.cancel_tasks('+15550001', 'campaign', 'x', 1);
COMMIT;

-- Nothing above changed anything.
SELECT id, task_type, status, canceled_at IS NULL AS no_cancel_audit
  FROM task_cancel.tasks ORDER BY id;

DROP EXTENSION task_cancel;
