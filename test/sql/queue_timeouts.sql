-- queue_timeouts: a task type may have a queue timeout; create_task gives
-- a pending task of that type its deadline (expires_at), set_task_deadline
-- moves or clears one, a task past its deadline is never reserved or
-- accepted, and cancel_expired_tasks() cancels the waiting ones past their
-- deadline, oldest deadline first, with the timeout audit and one event
-- per customer (mode timeout).  A task that stops waiting loses its
-- deadline.  (Accept vs sweep: race_timeout_accept.spec; pg_cron:
-- test/cron/run.)
CREATE EXTENSION task_cancel;

-- The timeout is a property of the type; it must be positive.
UPDATE task_cancel.task_types SET queue_timeout = interval '30 minutes' WHERE name = 'asap_callback';
UPDATE task_cancel.task_types SET queue_timeout = interval '2 hours' WHERE name = 'inbound_sms';
UPDATE task_cancel.task_types SET queue_timeout = interval '0' WHERE name = 'voicemail';
\echo :LAST_ERROR_SQLSTATE
UPDATE task_cancel.task_types SET queue_timeout = interval '-5 minutes' WHERE name = 'voicemail';
\echo :LAST_ERROR_SQLSTATE
-- Only a type the sweep may cancel can time out: automated_sms never.
UPDATE task_cancel.task_types SET queue_timeout = interval '5 minutes' WHERE name = 'automated_sms';
\echo :LAST_ERROR_SQLSTATE
SELECT name, queue_timeout FROM task_cancel.task_types
 WHERE queue_timeout IS NOT NULL ORDER BY name;

-- create_task: a pending task of such a type gets created_at + timeout;
-- other types, and a manual task an agent starts, get no deadline.
SELECT task_cancel.create_task('+15550001', 'asap_callback') AS cb \gset
SELECT task_cancel.create_task('+15550001', 'inbound_call') AS call \gset
SELECT task_cancel.create_task('+15550002', 'asap_callback', agent => 'agent_ann') AS manual \gset
SELECT id = :cb AS callback, expires_at = created_at + interval '30 minutes' AS deadline_from_type,
       expires_at IS NULL AS no_deadline
  FROM task_cancel.tasks WHERE id IN (:cb, :call, :manual) ORDER BY id;

-- set_task_deadline: true for a waiting task, which gets it (NULL clears
-- it); false for a missing or final task.  Nothing else changes.
SELECT task_cancel.set_task_deadline(:call, '2100-01-01 12:00+00') AS moved;
SELECT expires_at = '2100-01-01 12:00+00' AS has_new_deadline FROM task_cancel.tasks WHERE id = :call;
SELECT task_cancel.set_task_deadline(:call, NULL) AS cleared;
SELECT expires_at IS NULL AS no_deadline FROM task_cancel.tasks WHERE id = :call;
SELECT task_cancel.set_task_deadline(999999, now()) AS missing;
SELECT task_cancel.set_task_deadline(:manual, now()) AS not_waiting;
SELECT task_cancel.set_task_deadline(NULL, now());
\echo :LAST_ERROR_SQLSTATE

-- A task past its deadline is never reserved or accepted, even before a
-- sweep: the router functions return false.
SELECT task_cancel.set_task_deadline(:cb, now() - interval '1 second') AS expired;
SELECT task_cancel.reserve_task(:cb, 'agent_bob') AS reserved;
SELECT task_cancel.accept_task(:cb, 'agent_bob') AS accepted;
SELECT status FROM task_cancel.tasks WHERE id = :cb;
-- A reservation made before the deadline cannot be accepted after it.
SELECT task_cancel.create_task('+15550003', 'inbound_sms') AS sms \gset
SELECT task_cancel.reserve_task(:sms, 'agent_bob') AS reserved;
SELECT task_cancel.set_task_deadline(:sms, now() - interval '1 second') AS expired;
SELECT task_cancel.accept_task(:sms, 'agent_bob') AS accepted;
-- One with a deadline still ahead is accepted, and loses its deadline.
SELECT task_cancel.create_task('+15550004', 'asap_callback') AS ahead \gset
SELECT task_cancel.accept_task(:ahead, 'agent_bob') AS accepted;
SELECT status, expires_at IS NULL AS no_deadline FROM task_cancel.tasks WHERE id = :ahead;

-- The sweep.  History as a restore would bring it: tasks created 40 and
-- 45 minutes ago with a 30-minute deadline, one created 3 hours ago with
-- a 2-hour one, one not yet due, an automated SMS (never canceled) and a
-- type made non-cancelable, both past due.
INSERT INTO task_cancel.tasks (customer, task_type, created_at, expires_at) VALUES
    ('+15550005', 'asap_callback', now() - interval '40 minutes', now() - interval '10 minutes'),
    ('+15550005', 'inbound_sms',   now() - interval '3 hours',    now() - interval '1 hour'),
    ('+15550006', 'asap_callback', now() - interval '45 minutes', now() - interval '15 minutes'),
    ('+15550006', 'asap_callback', now() - interval '5 minutes',  now() + interval '25 minutes'),
    ('+15550007', 'automated_sms', now() - interval '2 hours',    now() - interval '1 hour'),
    ('+15550008', 'custom_task',   now() - interval '2 hours',    now() - interval '1 hour');
UPDATE task_cancel.task_types SET cancelable = false WHERE name = 'custom_task';

-- Bad input first: nothing changes.
SELECT task_cancel.cancel_expired_tasks(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT task_cancel.cancel_expired_tasks(0);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS canceled FROM task_cancel.tasks WHERE status = 'canceled';

-- At most max_tasks, oldest deadline first: the 3-hour-old SMS (due an
-- hour ago), then +15550006's callback (due 15 minutes ago).
BEGIN;
SELECT task_cancel.cancel_expired_tasks(2) AS swept;
SELECT customer, task_type FROM task_cancel.tasks WHERE status = 'canceled' ORDER BY customer, id;
ROLLBACK;
-- All of them.
SELECT task_cancel.cancel_expired_tasks() AS swept;
SELECT customer, task_type, status, canceled_by_journey_id, canceled_by_journey_name,
       canceled_by_agent, cancel_reason, canceled_at IS NOT NULL AS has_canceled_at,
       expires_at IS NULL AS no_deadline
  FROM task_cancel.tasks ORDER BY customer, id;
-- One event per customer, mode timeout.
SELECT customer, mode, arg, canceled_by_journey_id, canceled_by_agent, cardinality(task_ids) AS tasks
  FROM task_cancel.cancel_events ORDER BY customer;
-- Each timed-out task points at its customer's event, which lists it.
SELECT t.customer, t.id = ANY (e.task_ids) AS listed
  FROM task_cancel.tasks AS t
  LEFT JOIN task_cancel.cancel_events AS e
    ON e.customer = t.customer AND e.id = t.cancel_event_id
 WHERE t.cancel_reason LIKE 'Timed out%' ORDER BY t.customer, t.id;
-- Support staff see them in the past-task list with the reason.
SELECT customer, task_type, status, cancel_reason FROM task_cancel.past_tasks
 WHERE cancel_reason LIKE 'Timed out%' ORDER BY customer, task_id;
-- A second sweep finds nothing.
SELECT task_cancel.cancel_expired_tasks() AS swept_again;

-- A deadline of -infinity is simply past.
INSERT INTO task_cancel.tasks (customer, task_type, expires_at) VALUES ('+15550009', 'asap_callback', '-infinity');
SELECT task_cancel.cancel_expired_tasks() AS swept;
SELECT cancel_reason FROM task_cancel.tasks WHERE customer = '+15550009';

-- A task born canceled for a blocked customer has no deadline, and no
-- row that is not waiting may carry one.
SELECT task_cancel.block_customer('+15550010', 'Replied STOP');
SELECT task_cancel.create_task('+15550010', 'asap_callback') AS born \gset
SELECT status, expires_at IS NULL AS no_deadline FROM task_cancel.tasks WHERE id = :born;
INSERT INTO task_cancel.tasks (customer, task_type, status, agent, expires_at)
VALUES ('+15550011', 'asap_callback', 'assigned', 'agent_ann', now());
\echo :LAST_ERROR_SQLSTATE

-- Waiting tasks keep their deadline; every task that stopped waiting has
-- none (so the index the sweep reads holds waiting tasks only; its cost
-- with a long history: make bench, "Queue timeouts").
SELECT status, count(*) FILTER (WHERE expires_at IS NOT NULL) AS with_deadline, count(*)
  FROM task_cancel.tasks GROUP BY status ORDER BY status;

DROP EXTENSION task_cancel;
