-- dropped_columns: a canceled row looks like an UPDATE's.  An UPDATE
-- writes NULL into a dropped column of the new row version, so the data an
-- operator dropped (personal data, say) is gone from it; the fast path
-- writes the new version itself and must do the same (review 3).  Read
-- from the page with pageinspect, on both paths (test/run runs this file
-- with task_cancel.fast_path on and off).
CREATE EXTENSION task_cancel;
CREATE EXTENSION pageinspect;
SELECT task_cancel.register_journey(1, 'Opt-out');
ALTER TABLE task_cancel.tasks ADD COLUMN pii text;
SELECT count(task_cancel.create_task('+15550001', 'inbound_call')) FROM generate_series(1, 3);
UPDATE task_cancel.tasks SET pii = repeat('secret ', 20);
SELECT attnum AS pii_attnum FROM pg_attribute
 WHERE attrelid = 'task_cancel.tasks'::regclass AND attname = 'pii' \gset
ALTER TABLE task_cancel.tasks DROP COLUMN pii;
SELECT count(*) FROM task_cancel.cancel_tasks('+15550001', 'all', NULL, 1);
-- The live (canceled) versions carry nothing in the dropped column.
SELECT count(*) AS canceled_versions,
       count(t_attrs[:pii_attnum]) AS with_dropped_data
  FROM heap_page_item_attrs(get_raw_page('task_cancel.tasks', 0),
                            'task_cancel.tasks'::regclass)
 WHERE t_attrs IS NOT NULL
   AND t_ctid = format('(0,%s)', lp)::tid;  -- the newest versions point at themselves
DROP EXTENSION pageinspect;
DROP EXTENSION task_cancel;
