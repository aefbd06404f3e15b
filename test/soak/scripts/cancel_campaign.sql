-- a journey cancels one campaign's tasks
\set c random(1, 50)
\set camp random(1, 5)
INSERT INTO soak.cancels (task_id, customer, journey_id, mode)
SELECT task_id, 's' || :c, 1, 'campaign'
  FROM task_cancel.cancel_tasks('s' || :c, 'campaign', :camp::text, 1);
