-- by_customer: the customer-first overloads of the router functions and
-- cancel_task (1.2), which a Citus cluster runs on the customer's node.
-- On one server they do what the id-only forms do, for the customer's
-- task of that id only; another customer's id is "missing".  And
-- distribute() without Citus: 0A000 with a hint, nothing changed.
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

SELECT task_cancel.create_task('+15550001', 'inbound_call') AS ann1 \gset
SELECT task_cancel.create_task('+15550001', 'outbound_call', 42) AS ann_campaign \gset
SELECT task_cancel.create_task('+15550002', 'inbound_call') AS bob1 \gset

-- reserve, release, accept, wrap, complete: by the right customer only.
SELECT task_cancel.reserve_task('+15550002', :ann1, 'agent_ann') AS wrong_customer,
       task_cancel.reserve_task('+15550001', :ann1, 'agent_ann') AS reserved;
SELECT task_cancel.release_task('+15550002', :ann1) AS wrong_customer,
       task_cancel.release_task('+15550001', :ann1) AS released,
       task_cancel.release_task('+15550001', :ann1) AS not_reserved;
SELECT task_cancel.accept_task('+15550002', :ann1, 'agent_ann') AS wrong_customer,
       task_cancel.accept_task('+15550001', :ann1, 'agent_ann') AS accepted;
SELECT task_cancel.wrap_task('+15550002', :ann1) AS wrong_customer,
       task_cancel.wrap_task('+15550001', :ann1) AS wrapped;
SELECT task_cancel.complete_task('+15550002', :ann1) AS wrong_customer,
       task_cancel.complete_task('+15550001', :ann1) AS completed;
SELECT id = :ann1 AS ann1, status, agent, completed_at IS NOT NULL AS completed
  FROM task_cancel.tasks WHERE customer = '+15550001' ORDER BY id;

-- Deadlines: set, cleared; a task past its deadline is never reserved.
SELECT task_cancel.set_task_deadline('+15550001', :bob1, now()) AS wrong_customer,
       task_cancel.set_task_deadline('+15550002', :bob1, now() + interval '1 hour') AS set;
SELECT expires_at > now() AS has_deadline FROM task_cancel.tasks WHERE id = :bob1;
SELECT task_cancel.set_task_deadline('+15550002', :bob1, NULL) AS cleared;
SELECT expires_at FROM task_cancel.tasks WHERE id = :bob1;
BEGIN;
SELECT task_cancel.set_task_deadline('+15550002', :bob1, now() - interval '1 second');
SELECT task_cancel.reserve_task('+15550002', :bob1, 'agent_ann') AS expired,
       task_cancel.accept_task('+15550002', :bob1, 'agent_ann') AS expired;
ROLLBACK;

-- The agent's cancel: the named task of that customer, with End
-- Campaigns; another customer's id cancels nothing.  Since 1.3 the
-- customer-first form takes all five arguments (no defaults: see
-- untyped_params).
SELECT task_cancel.reserve_task('+15550002', :bob1, 'agent_bob');
SELECT * FROM task_cancel.cancel_task('+15550001', :bob1, 'agent_bob', NULL, false);
SELECT task_type, previous_status
  FROM task_cancel.cancel_task('+15550002', :bob1, 'agent_bob', NULL, false);
SELECT task_cancel.create_task('+15550001', 'voicemail') AS ann2 \gset
SELECT task_id = :ann2 AS named, task_type, previous_status
  FROM task_cancel.cancel_task('+15550001', :ann2, 'agent_ann', NULL, true)
 ORDER BY task_id;
SELECT canceled_by_agent, cancel_reason FROM task_cancel.tasks WHERE id = :ann_campaign;
SELECT mode, arg = :'ann2' AS arg_is_task, canceled_by_agent
  FROM task_cancel.cancel_events WHERE customer = '+15550001';

-- NULL arguments: 22004, as for the id-only forms.
\set VERBOSITY terse
SELECT task_cancel.reserve_task(NULL, 1, 'agent_ann');
SELECT task_cancel.accept_task('+15550001', NULL, 'agent_ann');
SELECT task_cancel.accept_task('+15550001', 1, NULL);
SELECT * FROM task_cancel.cancel_task(NULL, 1, 'agent_ann', NULL, false);
SELECT * FROM task_cancel.cancel_task('+15550001', 1, 'agent_ann', NULL, NULL);
\set VERBOSITY default

-- Without Citus there is nothing to distribute.
SELECT task_cancel.distribute();
SELECT task_cancel.prepare_node();
SELECT count(*) AS tasks_unchanged FROM task_cancel.tasks;

DROP EXTENSION task_cancel;
