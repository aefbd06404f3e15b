#!/usr/bin/python3
"""The notification relay (1.3, src/notify_relay.c), through psycopg2: a
background worker tells listeners of channel task_cancel_events about
committed cancels a moment after they commit, so that canceling
transactions keep group commit.  Listeners must hear exactly what they
heard when each transaction notified at its own commit:

1. one notification, payload the customer, for a committed cancel; none
   for a rolled-back one, none for a cancel in a rolled-back savepoint,
   none for a cancel that found nothing;
2. one per customer per canceling transaction: two transactions that
   cancel for the same customer are heard twice, though the relay sends
   both in one batch;
3. a prepared transaction: nothing after ROLLBACK PREPARED, one
   notification after COMMIT PREPARED;
4. the relay stops when it has had nothing to do for a second, and the next
   cancel starts it again: nothing is lost across the hand-over;
5. 32 clients canceling at once, some rolling back: every committed
   (transaction, customer) heard exactly once, nothing else;
6. customers too long for a payload (old rows) are heard once per
   transaction too, with an empty payload;
7. a relay canceled with pg_cancel_backend() while it waits for a
   prepared transaction goes on, and COMMIT PREPARED is heard;
8. a transaction that creates the extension and cancels is heard once;
9. a commit behind a relay's hand-over does not fail on its lock_timeout.

Waits are bounded (a notification must arrive within 10 s; "nothing more"
means nothing in the 1.5 s after the last expected one) and are not
timings: how long the relay takes is measured by bench/notify_delay.
Runs against the cluster in PGHOST/PGPORT; makes and drops its own
database.  Prints TAP (tap.py): "ok N - ..." or "not ok N - ..." per
check, then the plan; exit 1 on any failure.
"""
import collections
import select
import sys
import threading
import time

import psycopg2

from tap import admin, check, done

DB = "tc_relay"
CHANNEL = "task_cancel_events"


def connect(autocommit=True):
    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = autocommit
    return conn


class Listener:
    """A LISTENing connection that collects payloads."""

    def __init__(self):
        self.conn = connect()
        self.conn.cursor().execute("LISTEN " + CHANNEL)
        self.heard = []

    def collect(self, expect, settle=1.5, limit=10.0):
        """Collect until `expect` payloads arrived (at most `limit` s), then
        for `settle` s more; return what arrived, and forget it."""
        start = time.time()
        quiet_from = None
        while True:
            now = time.time()
            if len(self.heard) >= expect and quiet_from is None:
                quiet_from = now
            if quiet_from is not None and now - quiet_from >= settle:
                break
            if now - start >= limit + settle:
                break
            if select.select([self.conn], [], [], 0.05) != ([], [], []):
                self.conn.poll()
                while self.conn.notifies:
                    self.heard.append(self.conn.notifies.pop(0).payload)
        got, self.heard = self.heard, []
        return got


def cancel(cur, customer):
    cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, 1)",
                (customer,))
    return cur.fetchone()[0]


def create(cur, customer, n=1):
    cur.execute("SELECT count(task_cancel.create_task(%s, 'inbound_call'))"
                "  FROM generate_series(1, %s)", (customer, n))


def wait_for_relay_to_stop(cur, limit=10):
    """Wait until no relay runs (it stops after a second without work);
    True if none does within `limit` s."""
    deadline = time.time() + limit
    while time.time() < deadline:
        cur.execute("SELECT count(*) FROM pg_stat_activity"
                    " WHERE backend_type = 'task_cancel notify relay'")
        if cur.fetchone()[0] == 0:
            return True
        time.sleep(0.2)
    return False


def main():
    admin("DROP DATABASE IF EXISTS " + DB)
    admin("CREATE DATABASE " + DB)
    setup = connect()
    cur = setup.cursor()
    cur.execute("CREATE EXTENSION task_cancel")
    cur.execute("SELECT task_cancel.register_journey(1, 'Relay')")
    listener = Listener()

    # 1. committed, rolled back, rolled-back savepoint, nothing found
    create(cur, "+1")
    cancel(cur, "+1")
    check(listener.collect(1) == ["+1"],
          "a committed cancel is heard once, with the customer as payload")
    w = connect(autocommit=False)
    wc = w.cursor()
    create(cur, "+2")
    cancel(wc, "+2")
    w.rollback()
    wc.execute("SAVEPOINT s")
    cancel(wc, "+2")
    wc.execute("ROLLBACK TO SAVEPOINT s")
    cancel(wc, "+nobody")
    w.commit()
    check(listener.collect(0) == [],
          "nothing is heard of a rolled-back cancel, a rolled-back savepoint"
          " or a cancel that found nothing")
    w.close()

    # 2. two transactions of one customer: heard twice
    create(cur, "+3", 2)
    a, b = connect(autocommit=False), connect(autocommit=False)
    a.cursor().execute("SELECT count(*) FROM task_cancel.cancel_tasks('+3', 'all', NULL, 1)"
                       " WHERE false")  # a transaction that has begun
    ac, bc = a.cursor(), b.cursor()
    ac.execute("SELECT task_cancel.create_task('+3', 'voicemail')")
    ac.execute("SELECT count(*) FROM task_cancel.cancel_tasks('+3', 'task_type', 'voicemail', 1)")
    a.commit()
    bc.execute("SELECT count(*) FROM task_cancel.cancel_tasks('+3', 'task_type', 'inbound_call', 1)")
    b.commit()
    got = listener.collect(2)
    check(got == ["+3", "+3"],
          "two transactions canceling for one customer are heard twice (got %r)" % got)
    a.close()
    b.close()

    # 3. prepared transactions
    create(cur, "+4")
    create(cur, "+5")
    p = connect(autocommit=False)
    pc = p.cursor()
    cancel(pc, "+4")
    pc.execute("PREPARE TRANSACTION 'tc_relay_4'")
    p.commit()
    p.autocommit = True
    pc.execute("ROLLBACK PREPARED 'tc_relay_4'")
    check(listener.collect(0) == [], "nothing is heard after ROLLBACK PREPARED")
    p.autocommit = False
    cancel(pc, "+5")
    pc.execute("PREPARE TRANSACTION 'tc_relay_5'")
    p.commit()
    p.autocommit = True
    pc.execute("COMMIT PREPARED 'tc_relay_5'")
    check(listener.collect(1) == ["+5"], "a cancel committed with COMMIT PREPARED is heard once")
    p.close()

    # 4. the relay stops when idle and starts again
    running = not wait_for_relay_to_stop(cur)
    create(cur, "+6")
    cancel(cur, "+6")
    check(not running and listener.collect(1) == ["+6"],
          "after the relay stopped for want of work, the next cancel is heard")

    # 5. 32 clients at once, starting together while no relay runs: all of
    # them find the relay missing as they commit, and one relay must come of
    # it, not 32 (a registration that finds no free worker slot would make
    # its transaction notify itself, with an empty payload: heard twice)
    customers = ["+7%03d" % i for i in range(64)]
    for c in customers:
        create(cur, c, 3)
    wait_for_relay_to_stop(cur)
    expected = collections.Counter()
    lock = threading.Lock()
    errors = []
    warnings = []
    start = threading.Barrier(32)

    def client(n):
        conn = connect(autocommit=False)
        ccur = conn.cursor()
        try:
            start.wait()
            for i in range(6):
                c = customers[(n * 7 + i * 13) % len(customers)]
                ccur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, 1)",
                             (c,))
                found = ccur.fetchone()[0]
                if i % 3 == 2:
                    conn.rollback()
                    continue
                conn.commit()
                if found:
                    with lock:
                        expected[c] += 1
                ccur.execute("SELECT task_cancel.create_task(%s, 'inbound_call')", (c,))
                conn.commit()
        except Exception as e:  # a deadlock between two cancels of one customer may be retried; record it
            with lock:
                errors.append(repr(e))
        with lock:
            warnings.extend(conn.notices)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = collections.Counter(listener.collect(sum(expected.values())))
    check(not errors and not warnings and got == expected,
          "32 clients: every committed (transaction, customer) heard exactly once"
          " (%d expected, %d heard; heard and not expected %r, expected and not"
          " heard %r; errors %r, warnings %r)"
          % (sum(expected.values()), sum(got.values()), dict(got - expected),
             dict(expected - got), errors[:2], warnings[:2]))

    # 6. two customers too long for a payload (tasks of 1.0 or 1.1, as a
    # restore brings them back), canceled by two transactions that fall into
    # one relay batch: two notifications with an empty payload, not one
    cur.execute("INSERT INTO task_cancel.tasks (customer, task_type, created_at)"
                " VALUES (repeat('7', 8000), 'inbound_call', now() - interval '1 day'),"
                "        (repeat('8', 8000), 'inbound_call', now() - interval '1 day')"
                " RETURNING id")
    long_ids = [r[0] for r in cur.fetchall()]
    hold = connect(autocommit=False)
    hold.cursor().execute("SELECT * FROM task_cancel.notify_relay FOR UPDATE")
    for task_id in long_ids:
        cur.execute("SELECT count(*) FROM task_cancel.cancel_task(%s, 'agent_ann')", (task_id,))
    hold.commit()
    hold.close()
    got = listener.collect(2)
    check(got == ["", ""],
          "two transactions canceling for two customers too long for a payload:"
          " two empty notifications (got %r)" % [len(g) for g in got])

    # 6b. the same, with the two transactions' events interleaved by id
    # (T1 cancels A, T2 cancels C, T1 cancels B): still once per transaction
    cur.execute("INSERT INTO task_cancel.tasks (customer, task_type, created_at)"
                " SELECT repeat(d, 8000), 'inbound_call', now() - interval '1 day'"
                "   FROM unnest(ARRAY['5', '6', '9']) AS d RETURNING id")
    a_id, b_id, c_id = [r[0] for r in cur.fetchall()]
    hold = connect(autocommit=False)
    hold.cursor().execute("SELECT * FROM task_cancel.notify_relay FOR UPDATE")
    t1, t2 = connect(autocommit=False), connect(autocommit=False)
    t1.cursor().execute("SELECT count(*) FROM task_cancel.cancel_task(%s, 'agent_ann')", (a_id,))
    t2.cursor().execute("SELECT count(*) FROM task_cancel.cancel_task(%s, 'agent_ann')", (c_id,))
    t1.cursor().execute("SELECT count(*) FROM task_cancel.cancel_task(%s, 'agent_ann')", (b_id,))
    t2.commit()
    t1.commit()
    time.sleep(0.3)         # the relay has read both, and waits for the row
    hold.commit()
    for c in (hold, t1, t2):
        c.close()
    got = listener.collect(2)
    check(got == ["", ""],
          "two transactions whose events of customers too long for a payload interleave"
          " by id: two empty notifications (got %r)" % [len(g) for g in got])

    # 7. the relay canceled (pg_cancel_backend) while it waits for a
    # prepared transaction: it goes on, and COMMIT PREPARED is heard once
    create(cur, "+80")
    p = connect(autocommit=False)
    cancel(p.cursor(), "+80")
    p.cursor().execute("PREPARE TRANSACTION 'tc_relay_80'")
    p.commit()
    p.autocommit = True
    time.sleep(1.5)         # past the relay's idle second: it stays for the prepared one
    cur.execute("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity"
                " WHERE backend_type = 'task_cancel notify relay'")
    canceled = cur.fetchone()[0]
    time.sleep(0.3)
    p.cursor().execute("COMMIT PREPARED 'tc_relay_80'")
    p.close()
    got = listener.collect(1)
    check(canceled == 1 and got == ["+80"],
          "a relay canceled by pg_cancel_backend() goes on: COMMIT PREPARED after it"
          " is heard once (%d canceled, got %r)" % (canceled, got))

    # 8. the extension made in the same transaction as a cancel: no relay
    # can see its table before the commit, so one starts just after it
    admin("DROP DATABASE IF EXISTS " + DB + "_new")
    admin("CREATE DATABASE " + DB + "_new")
    new = psycopg2.connect(dbname=DB + "_new")
    new.autocommit = True
    new.cursor().execute("LISTEN " + CHANNEL)
    w = psycopg2.connect(dbname=DB + "_new")
    wc = w.cursor()
    wc.execute("CREATE EXTENSION task_cancel")
    wc.execute("SELECT task_cancel.register_journey(1, 'Relay')")
    create(wc, "+81")
    cancel(wc, "+81")
    w.commit()
    heard = []

    def listen(seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if select.select([new], [], [], 0.1) != ([], [], []):
                new.poll()
                while new.notifies:
                    heard.append(new.notifies.pop(0).payload)
    listen(3)
    # a later cancel starts a relay, which must not notify "+81" again
    w.autocommit = True
    create(wc, "+82")
    cancel(wc, "+82")
    listen(2)
    w.close()
    new.close()
    check(heard == ["+81", "+82"],
          "CREATE EXTENSION and a cancel in one transaction: heard once, after its commit;"
          " the next cancel's relay does not repeat it (got %r)" % heard)
    for attempt in range(20):
        try:
            admin("DROP DATABASE " + DB + "_new")
            break
        except psycopg2.Error:
            time.sleep(0.5)

    # 9. a commit that waits for a relay's hand-over never fails on its
    # lock_timeout: the relay, going idle, waits for a transaction holding
    # notify_relay's commit lock (here held by hand), and a canceling
    # transaction with lock_timeout = 200ms commits behind it
    create(cur, "+83")
    create(cur, "+84")
    cancel(cur, "+83")      # the relay runs
    holder = connect(autocommit=False)
    holder.cursor().execute("LOCK TABLE task_cancel.notify_relay IN ROW EXCLUSIVE MODE")
    time.sleep(1.5)         # the relay is idle now, and waits for the holder
    t = connect(autocommit=False)
    tc = t.cursor()
    tc.execute("SET lock_timeout = '200ms'")
    cancel(tc, "+84")
    outcome = []

    def commit_t():
        try:
            t.commit()
            outcome.append("committed")
        except psycopg2.Error as e:
            outcome.append(repr(e))
    committer = threading.Thread(target=commit_t)
    committer.start()
    time.sleep(1.0)
    holder.commit()
    committer.join()
    holder.close()
    t.close()
    got = listener.collect(2)
    check(outcome == ["committed"] and got == ["+83", "+84"],
          "a commit waiting behind a relay's hand-over does not fail on lock_timeout"
          " (%r, heard %r)" % (outcome, got))

    listener.conn.close()
    setup.close()
    # the relay lets go of the database a second after its last work
    for attempt in range(20):
        try:
            admin("DROP DATABASE " + DB)
            break
        except psycopg2.Error:
            time.sleep(0.5)
    sys.exit(done())


if __name__ == "__main__":
    main()
