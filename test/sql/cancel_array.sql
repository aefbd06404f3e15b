-- cancel_array: the block-list form cancel_tasks(text[], ...) does for every
-- customer in the array what the single form does for one, in one call;
-- rows come back ordered by customer, then task_id.  Duplicates are
-- harmless and an empty array cancels nothing.
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(7, 'Block list sync');
SELECT task_cancel.register_campaign(42, 'Spring sale', 'voice');

-- Ids are handed out across customers in reverse order on purpose, so that
-- the order by customer differs from the order by id.
SELECT task_cancel.create_task(c, t, CASE WHEN t = 'outbound_call' THEN 42 END)
  FROM unnest(ARRAY['outbound_call', 'inbound_call', 'voicemail']) AS t,
       unnest(ARRAY['+15550003', '+15550001', '+15550002']) AS c
 ORDER BY t, c DESC;
-- One task of +15550002 is already with an agent.
SELECT task_cancel.accept_task(
    (SELECT min(id) FROM task_cancel.tasks
      WHERE customer = '+15550002' AND task_type = 'voicemail'), 'agent_ann');

SELECT id, customer, task_type, status FROM task_cancel.tasks ORDER BY id;

-- mode task_type for two customers, one of them twice; +15550003 untouched.
SELECT * FROM task_cancel.cancel_tasks(
    ARRAY['+15550002', '+15550001', '+15550002'], 'task_type', 'voicemail', 7);

-- mode campaign for all three.
SELECT * FROM task_cancel.cancel_tasks(
    ARRAY['+15550003', '+15550002', '+15550001'], 'campaign', '42', 7);

-- mode all, including a customer with no tasks.
SELECT * FROM task_cancel.cancel_tasks(
    ARRAY['+15550001', '+15550009', '+15550003', '+15550002'], 'all', NULL, 7);

-- Again: nothing more.
SELECT count(*) FROM task_cancel.cancel_tasks(
    ARRAY['+15550001', '+15550002', '+15550003'], 'all', NULL, 7);

-- An empty array cancels nothing.
SELECT count(*) FROM task_cancel.cancel_tasks('{}'::text[], 'all', NULL, 7);

-- Only the accepted voicemail is left standing.
SELECT customer, task_type, status, agent FROM task_cancel.tasks
 WHERE status <> 'canceled' ORDER BY customer, id;

-- Audit is the same as for the single form.
SELECT DISTINCT canceled_by_journey_id, canceled_by_journey_name
  FROM task_cancel.tasks WHERE status = 'canceled';

-- Many customers at once: 1000 customers with two waiting tasks each.
SELECT count(task_cancel.create_task('+1666' || lpad(i::text, 7, '0'), t))
  FROM generate_series(1, 1000) AS i,
       unnest(ARRAY['inbound_call', 'automated_sms']) AS t;
SELECT count(*) AS canceled, count(DISTINCT customer) AS customers
  FROM task_cancel.cancel_tasks(
    ARRAY(SELECT '+1666' || lpad(i::text, 7, '0')
            FROM generate_series(1, 1000) AS i), 'all', NULL, 7);

DROP EXTENSION task_cancel;
