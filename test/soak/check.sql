-- test/soak/check.sql: the invariants after a soak, one line each,
-- "ok - ..." or "not ok - ...".
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on

CREATE TEMP VIEW verdicts AS
SELECT 1 AS n, 'no task is both accepted and canceled ('
       || (SELECT count(*) FROM soak.accepts a JOIN soak.cancels c USING (task_id)) || ' found)' AS what,
       NOT EXISTS (SELECT FROM soak.accepts a JOIN soak.cancels c USING (task_id)) AS ok
UNION ALL
SELECT 2, 'every logged accept (' || (SELECT count(*) FROM soak.accepts)
       || ') is assigned, wrapping or completed with that agent',
       NOT EXISTS (SELECT FROM soak.accepts a JOIN task_cancel.tasks t ON t.id = a.task_id
                    WHERE t.status NOT IN ('assigned', 'wrapping', 'completed')
                       OR t.agent IS DISTINCT FROM a.agent)
UNION ALL
SELECT 3, 'no task was accepted twice',
       NOT EXISTS (SELECT FROM soak.accepts GROUP BY task_id HAVING count(*) > 1)
UNION ALL
SELECT 4, 'every logged cancel (' || (SELECT count(*) FROM soak.cancels)
       || ') is canceled with full audit by the journey that returned it',
       NOT EXISTS (SELECT FROM soak.cancels c JOIN task_cancel.tasks t ON t.id = c.task_id
                    WHERE t.status <> 'canceled' OR t.customer <> c.customer
                       OR t.canceled_at IS NULL OR t.cancel_reason IS NULL
                       OR t.canceled_by_journey_id IS DISTINCT FROM c.journey_id
                       OR t.canceled_by_journey_name IS NULL)
UNION ALL
SELECT 5, 'no task was returned by two cancels',
       NOT EXISTS (SELECT FROM soak.cancels GROUP BY task_id HAVING count(*) > 1)
UNION ALL
SELECT 6, 'canceled tasks (' || (SELECT count(*) FROM task_cancel.tasks WHERE status = 'canceled')
       || ') equal the rows the cancels returned',
       (SELECT count(*) FROM task_cancel.tasks WHERE status = 'canceled')
       = (SELECT count(*) FROM soak.cancels)
UNION ALL
SELECT 7, 'no automated_sms task was canceled',
       NOT EXISTS (SELECT FROM task_cancel.tasks WHERE status = 'canceled' AND task_type = 'automated_sms')
UNION ALL
SELECT 8, 'every task satisfies the lifecycle columns',
       NOT EXISTS (SELECT FROM task_cancel.tasks
                    WHERE (status IN ('reserved', 'assigned', 'wrapping') AND agent IS NULL)
                       OR ((status = 'completed') <> (completed_at IS NOT NULL)))
UNION ALL
SELECT 9, 'no deadlock was detected ('
       || (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()) || ')',
       (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()) = 0
UNION ALL
SELECT 10, 'every canceled task points at an event of its customer that lists it, and every event ('
       || (SELECT count(*) FROM task_cancel.cancel_events) || ') lists only tasks pointing back',
       NOT EXISTS (SELECT FROM task_cancel.tasks t
                     LEFT JOIN task_cancel.cancel_events e
                            ON e.customer = t.customer AND e.id = t.cancel_event_id
                    WHERE t.status = 'canceled' AND (e.id IS NULL OR NOT t.id = ANY (e.task_ids)))
       AND NOT EXISTS (SELECT FROM task_cancel.cancel_events e, unnest(e.task_ids) AS x(id)
                        WHERE NOT EXISTS (SELECT FROM task_cancel.tasks t
                                           WHERE t.customer = e.customer AND t.id = x.id
                                             AND t.cancel_event_id = e.id));

SELECT CASE WHEN ok THEN 'ok - ' ELSE 'not ok - ' END || what FROM verdicts ORDER BY n;
