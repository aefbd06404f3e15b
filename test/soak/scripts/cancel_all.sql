-- a journey cancels all of a customer's waiting tasks; every returned row
-- is logged in the same statement
\set c random(1, 50)
INSERT INTO soak.cancels (task_id, customer, journey_id, mode)
SELECT task_id, 's' || :c, 1, 'all'
  FROM task_cancel.cancel_tasks('s' || :c, 'all', NULL, 1);
