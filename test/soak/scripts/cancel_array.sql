-- the block list cancels three overlapping customers, named out of order
\set c random(1, 46)
INSERT INTO soak.cancels (task_id, customer, journey_id, mode)
SELECT task_id, customer, 2, 'array'
  FROM task_cancel.cancel_tasks(ARRAY['s' || (:c + 3), 's' || :c, 's' || (:c + 1), 's' || :c],
                                'all', NULL, 2);
