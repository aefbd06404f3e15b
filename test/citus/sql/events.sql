-- events: reading cancel events on a cluster.  Each node keeps the events
-- of its own shards, stamped with its own transaction ids, and
-- cancel_events_since() on a node reads only those, with that node's
-- snapshot: the consumer keeps one cursor per node that holds shards.
-- Here commits happen out of order on two workers, and every event is
-- still read exactly once.  Writers and the consumer are separate
-- sessions (dblink).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT task_cancel.register_journey(201, 'Events');

-- The coordinator holds no shard: it refuses, rather than return nothing.
SELECT * FROM task_cancel.cancel_events_since(NULL);

-- Three customers: a1 and a2 on the first worker, b1 on the second.
SELECT (array_agg(c ORDER BY c) FILTER (WHERE groupid = 1))[1] AS a1,
       (array_agg(c ORDER BY c) FILTER (WHERE groupid = 1))[2] AS a2,
       (array_agg(c ORDER BY c) FILTER (WHERE groupid = 2))[1] AS b1
  FROM (SELECT 'ev-' || i AS c FROM generate_series(1, 20) AS i) AS cs,
       LATERAL (SELECT get_shard_id_for_distribution_column('task_cancel.tasks', c) AS shardid) AS s
  JOIN pg_dist_placement USING (shardid) \gset
SELECT task_cancel.create_task(c, 'inbound_call') IS NOT NULL AS created
  FROM unnest(ARRAY[:'a1', :'a2', :'b1']) AS c;

-- One consumer cursor per worker, and what it has read.
CREATE TEMP TABLE cursors (groupid int PRIMARY KEY, conn text, cursor text);
CREATE TEMP TABLE delivered (groupid int, id bigint, customer text);
-- The nodes to read, as the README finds them: both workers.
INSERT INTO cursors
SELECT DISTINCT n.groupid, 'w' || n.groupid, NULL
  FROM pg_dist_shard AS s
  JOIN pg_dist_placement USING (shardid)
  JOIN pg_dist_node AS n USING (groupid)
 WHERE s.logicalrelid = 'task_cancel.cancel_events'::regclass;
SELECT groupid, conn FROM cursors ORDER BY groupid;
SELECT dblink_connect(c.conn,
                      format('host=%s port=%s dbname=postgres user=webhook_sender',
                             n.nodename, n.nodeport))
  FROM cursors AS c JOIN pg_dist_node AS n USING (groupid) ORDER BY c.groupid;

CREATE FUNCTION consume() RETURNS TABLE (groupid int, customer text)
LANGUAGE plpgsql AS $$
DECLARE
    n record;
    e record;
BEGIN
    FOR n IN SELECT * FROM cursors ORDER BY 1 LOOP
        FOR e IN SELECT * FROM dblink(n.conn,
                     format('SELECT id, customer, next_cursor FROM task_cancel.cancel_events_since(%L)', n.cursor))
                     AS r(id bigint, customer text, next_cursor text) LOOP
            INSERT INTO delivered VALUES (n.groupid, e.id, e.customer);
            UPDATE cursors SET cursor = e.next_cursor WHERE cursors.groupid = n.groupid;
            groupid := n.groupid;
            customer := e.customer;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;

-- Read what is there already (at least one event on each worker, so that
-- each cursor is a real one).
SELECT task_cancel.create_task(c, 'voicemail') IS NOT NULL AS created
  FROM unnest(ARRAY[:'a1', :'b1']) AS c;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY[:'a1', :'b1'], 'task_type', 'voicemail', 201);
SELECT count(*) >= 2 AS drained FROM consume();
TRUNCATE delivered;
SELECT cursor AS w1_before FROM cursors WHERE groupid = 1 \gset

-- Writer a cancels a1 and keeps its transaction open; writer b cancels
-- b1 and a2, on both workers, and commits first.
SELECT dblink_connect('a', format('host=%s port=%s dbname=postgres user=journey_engine', nodename, nodeport))
  FROM pg_dist_node WHERE groupid = 0;
SELECT dblink_connect('b', format('host=%s port=%s dbname=postgres user=journey_engine', nodename, nodeport))
  FROM pg_dist_node WHERE groupid = 0;
SELECT dblink_exec('a', 'BEGIN');
SELECT * FROM dblink('a', format($q$SELECT count(*) FROM task_cancel.cancel_tasks(%L, 'all', NULL, 201)$q$, :'a1')) AS r(n bigint);
SELECT dblink_exec('b', 'BEGIN');
SELECT * FROM dblink('b', format($q$SELECT count(*) FROM task_cancel.cancel_tasks(%L, 'all', NULL, 201)$q$, :'b1')) AS r(n bigint);
SELECT * FROM dblink('b', format($q$SELECT count(*) FROM task_cancel.cancel_tasks(%L, 'all', NULL, 201)$q$, :'a2')) AS r(n bigint);
SELECT dblink_exec('b', 'COMMIT');

-- The consumer sees b's two events, each on its worker; a's is not
-- committed.
SELECT groupid, customer = :'a2' AS is_a2, customer = :'b1' AS is_b1 FROM consume() ORDER BY 1;

-- a commits now, after the events the consumer has read.
SELECT dblink_exec('a', 'COMMIT');
SELECT groupid, customer = :'a1' AS is_a1 FROM consume();
SELECT count(*) AS nothing_more FROM consume();

-- Each of the three events exactly once.
SELECT count(*) AS delivered, count(DISTINCT id) AS distinct_events,
       count(*) FILTER (WHERE customer IN (:'a1', :'a2', :'b1')) AS ours
  FROM delivered;

-- One customer's events in commit order, whichever node ran the cancel:
-- a delegated cancel on the worker, then the array form on the
-- coordinator.  Both events are numbered on the worker that stores them,
-- so within one batch they come in the order they were written.
SELECT task_cancel.create_task(:'a2', 'voicemail') IS NOT NULL AS created;
SELECT count(*) FROM task_cancel.cancel_tasks(:'a2', 'task_type', 'voicemail', 201);
SELECT task_cancel.create_task(:'a2', 'voicemail') IS NOT NULL AS created;
SELECT count(*) FROM task_cancel.cancel_tasks(ARRAY[:'a2'], 'task_type', 'voicemail', 201);
TRUNCATE delivered;
SELECT groupid, customer = :'a2' AS is_a2 FROM consume();
SELECT count(*) AS in_write_order
  FROM (SELECT id, lag(id) OVER (ORDER BY ctid) AS previous FROM delivered) AS d
 WHERE previous IS NULL OR previous < id;
SELECT (SELECT count(*) FROM delivered WHERE id >> 48 = 1) AS numbered_on_the_worker,
       (SELECT count(*) FROM delivered) AS read;

-- A worker's cursor is refused by the other worker (another history).
SELECT cursor AS w1_cursor FROM cursors WHERE groupid = 1 \gset
SELECT * FROM dblink('w2', format('SELECT id FROM task_cancel.cancel_events_since(%L)', :'w1_cursor')) AS r(id bigint);

-- Purging: each worker purges its own shards' events and records it, so
-- that its own cursors are judged against its own purges.  The
-- coordinator holds no events and refuses.
SELECT task_cancel.purge_cancel_events('0 seconds');
SELECT dblink_connect('m1', format('host=%s port=%s dbname=postgres user=maintenance', nodename, nodeport))
  FROM pg_dist_node WHERE groupid = 1;
SELECT * FROM dblink('m1', $q$SELECT task_cancel.purge_cancel_events('0 seconds')$q$) AS r(purged bigint);
-- The cursor from before a1 and a2 were read is refused (22023), never
-- advanced past them silently; the worker's events are gone, the other
-- worker's are all there.
SELECT * FROM dblink('w1', format('SELECT id FROM task_cancel.cancel_events_since(%L)', :'w1_before')) AS r(id bigint);
SELECT * FROM dblink('w1', 'SELECT count(*) FROM task_cancel.cancel_events_since(NULL)') AS r(n bigint);
SELECT * FROM dblink('w2', 'SELECT count(*) > 0 FROM task_cancel.cancel_events_since(NULL)') AS r(kept boolean);
SELECT dblink_disconnect('m1');

-- Listeners: a cancel notifies on the node where the canceling function
-- ran -- the customer's worker for a delegated call, the coordinator for
-- the array form -- when its transaction commits there the ordinary way.
SELECT dblink_connect('l0', format('host=%s port=%s dbname=postgres user=webhook_sender', nodename, nodeport))
  FROM pg_dist_node WHERE groupid = 0;
SELECT dblink_connect('l1', format('host=%s port=%s dbname=postgres user=webhook_sender', nodename, nodeport))
  FROM pg_dist_node WHERE groupid = 1;
SELECT dblink_exec(c, 'LISTEN task_cancel_events') FROM unnest(ARRAY['l0', 'l1']) AS c;
SELECT task_cancel.create_task(c, 'inbound_call') IS NOT NULL AS created
  FROM unnest(ARRAY[:'a1', :'a2']) AS c;
SELECT task_type FROM task_cancel.cancel_tasks(:'a1', 'all', NULL, 201);
SELECT task_type FROM task_cancel.cancel_tasks(ARRAY[:'a2'], 'all', NULL, 201);
-- (a notification reaches the listener a moment after the commit: wait
-- up to 5 s for both)
CREATE TEMP TABLE heard (listener text, extra text);
DO $$
BEGIN
    FOR i IN 1..50 LOOP
        INSERT INTO heard SELECT 'worker', n.extra FROM dblink_get_notify('l1') AS n;
        INSERT INTO heard SELECT 'coordinator', n.extra FROM dblink_get_notify('l0') AS n;
        EXIT WHEN (SELECT count(*) FROM heard) >= 2;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT listener, extra = :'a1' AS is_a1, extra = :'a2' AS is_a2 FROM heard ORDER BY 1 DESC;

SELECT dblink_disconnect(c) FROM unnest(ARRAY['a', 'b', 'w1', 'w2', 'l0', 'l1']) AS c;
