#!/usr/bin/python3
"""The consumers of cancel events, through psycopg2: the task router (which
withdraws offers of reserved tasks) and the webhook sender (which emits
task.canceled) both LISTEN on task_cancel_events and loop on
cancel_events_since().

1. A LISTENing connection hears a committed cancel (payload: the customer)
   and hears nothing of a rolled-back one.
2. Exactly once under real concurrency: writer threads cancel in
   transactions that commit after random delays -- so commit order differs
   from event id order -- or roll back, while consumers loop, woken by
   notifications.  One consumer takes every row; another resumes from the
   cursor of a random row in the middle of each batch, as a consumer that
   crashed mid-batch would.  Both must end with every committed event
   exactly once and nothing else.

Runs against the cluster in PGHOST/PGPORT; makes and drops its own
database.  Prints TAP (tap.py): "ok N - ..." or "not ok N - ..." per
check, then the plan; exit 1 on any failure.
"""
import random
import select
import sys
import threading
import time

import psycopg2

from tap import admin, check, diag, done

DB = "tc_events"
CHANNEL = "task_cancel_events"


def connect(autocommit=False):
    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = autocommit
    return conn


def wait_notifies(conn, seconds):
    """Collect the notifications that arrive on conn within seconds."""
    got = []
    deadline = time.monotonic() + seconds
    while True:
        conn.poll()
        while conn.notifies:
            n = conn.notifies.pop(0)
            got.append((n.channel, n.payload))
        left = deadline - time.monotonic()
        if left <= 0:
            return got
        select.select([conn], [], [], left)


def listen_part():
    listener = connect(autocommit=True)
    with listener.cursor() as cur:
        cur.execute("LISTEN " + CHANNEL)
    journey = connect()
    with journey.cursor() as cur:
        cur.execute("SELECT task_cancel.create_task(%s, %s)", ("+15551110001", "inbound_call"))
        cur.execute("SELECT task_cancel.create_task(%s, %s)", ("+15551110002", "inbound_call"))
    journey.commit()

    with journey.cursor() as cur:
        cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, 1)", ("+15551110001",))
    before = wait_notifies(listener, 0.3)
    journey.commit()
    after = wait_notifies(listener, 2.0)
    check(before == [] and after == [(CHANNEL, "+15551110001")],
          "a LISTENing session hears a cancel at commit, not before (before %r, after %r)" % (before, after))

    with journey.cursor() as cur:
        cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, 1)", ("+15551110002",))
    journey.rollback()
    heard = wait_notifies(listener, 1.0)
    check(heard == [], "a rolled-back cancel notifies nothing (heard %r)" % heard)
    journey.close()
    listener.close()


CUSTOMERS = ["+1555222%04d" % i for i in range(30)]
WRITERS = 4
ROUNDS = 60


def writer(worker, errors, committed, lock):
    rnd = random.Random(worker)
    conn = connect()
    try:
        for _ in range(ROUNDS):
            customer = rnd.choice(CUSTOMERS)
            with conn.cursor() as cur:
                cur.execute("SELECT task_cancel.create_task(%s, %s)", (customer, "inbound_call"))
                task_id = cur.fetchone()[0]
            conn.commit()
            with conn.cursor() as cur:
                if rnd.random() < 0.2:
                    cur.execute("SELECT count(*) FROM task_cancel.cancel_task(%s, %s)",
                                (task_id, "agent_%d" % worker))
                else:
                    cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, 1)",
                                (customer,))
                cur.execute("SELECT id FROM task_cancel.cancel_events"
                            " WHERE customer = %s AND txid = pg_current_xact_id()", (customer,))
                row = cur.fetchone()          # None: another writer was first
                event_id = row[0] if row else None
            time.sleep(rnd.random() * 0.02)   # commit late, in any order
            if rnd.random() < 0.1:
                conn.rollback()
            else:
                with lock:                    # the list is in commit order
                    conn.commit()
                    if event_id is not None:
                        committed.append(event_id)
    except Exception as e:  # noqa: BLE001 - report any failure
        errors.append(repr(e))
    finally:
        conn.close()


def consumer(name, resume_mid_batch, stop, received, errors, max_events=None,
             refusals=None):
    """Loop on cancel_events_since, woken by notifications.  With
    resume_mid_batch, handle only a random prefix of each batch and resume
    from the last handled row's next_cursor.  With max_events, read at most
    that many per call (the two-argument form).  With refusals (a list),
    a cursor refused because events were purged (22023) is counted there
    and the consumer starts again from NULL, as the README says; without,
    a refusal is an error."""
    rnd = random.Random(name)
    conn = connect(autocommit=True)
    cursor = None
    idle_after_stop = 0
    try:
        with conn.cursor() as cur:
            cur.execute("LISTEN " + CHANNEL)
        while idle_after_stop < 3:
            wait_notifies(conn, 0.05)
            try:
                with conn.cursor() as cur:
                    if max_events is None:
                        cur.execute("SELECT id, next_cursor FROM task_cancel.cancel_events_since(%s)",
                                    (cursor,))
                    else:
                        cur.execute("SELECT id, next_cursor FROM task_cancel.cancel_events_since(%s, %s)",
                                    (cursor, max_events))
                    rows = cur.fetchall()
            except psycopg2.Error as e:
                if refusals is None or e.pgcode != "22023" or "purged" not in str(e):
                    raise
                refusals.append(cursor)
                cursor = None
                continue
            if resume_mid_batch and len(rows) > 1:
                rows = rows[:rnd.randint(1, len(rows))]
            for event_id, next_cursor in rows:
                received.append(event_id)
                cursor = next_cursor
            if stop.is_set() and not rows:
                idle_after_stop += 1
    except Exception as e:  # noqa: BLE001
        errors.append("%s: %r" % (name, e))
    finally:
        conn.close()


def naive_consumer(stop, received, errors):
    """What ids alone would give: read the table for id > the largest id
    seen so far.  Not a check of ours -- it shows the race is real."""
    conn = connect(autocommit=True)
    last = 0
    idle_after_stop = 0
    try:
        while idle_after_stop < 3:
            time.sleep(0.05)
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM task_cancel.cancel_events WHERE id > %s ORDER BY id", (last,))
                rows = [r[0] for r in cur.fetchall()]
            received.extend(rows)
            last = max([last] + rows)
            if stop.is_set() and not rows:
                idle_after_stop += 1
    except Exception as e:  # noqa: BLE001
        errors.append("ids-only: %r" % e)
    finally:
        conn.close()


def exactly_once_part():
    errors = []
    committed = []
    lock = threading.Lock()
    stop = threading.Event()
    got_all, got_mid, got_naive = [], [], []
    got_bounded = []
    consumers = [threading.Thread(target=consumer, args=("all-rows", False, stop, got_all, errors)),
                 threading.Thread(target=consumer, args=("mid-batch", True, stop, got_mid, errors)),
                 threading.Thread(target=consumer, args=("bounded", True, stop, got_bounded, errors, 3)),
                 threading.Thread(target=naive_consumer, args=(stop, got_naive, errors))]
    writers = [threading.Thread(target=writer, args=(w, errors, committed, lock)) for w in range(WRITERS)]
    for t in consumers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in consumers:
        t.join()

    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM task_cancel.cancel_events")   # the LISTEN part's too
        table = sorted(r[0] for r in cur.fetchall())
        cur.execute("SELECT id FROM task_cancel.cancel_events WHERE customer = ANY(%s)", (CUSTOMERS,))
        written = sorted(r[0] for r in cur.fetchall())
    conn.close()
    # A later commit holding a smaller id is what ids alone would miss.
    inversions = sum(1 for i in range(len(committed)) for j in range(i + 1, len(committed))
                     if committed[i] > committed[j])

    check(not errors, "writers and consumers ran without errors (%s)" % "; ".join(errors[:3]))
    check(written == sorted(committed),
          "one event per committed cancel, none of a rolled-back one: %d events, %d commits"
          % (len(written), len(committed)))
    check(inversions > 0, "transactions committed out of id order (%d pairs committed after a larger id)"
          % inversions)
    diag("for comparison, a consumer following ids alone missed %d of the %d events"
          % (len(set(table) - set(got_naive)), len(table)))
    for name, got in (("every row", got_all), ("resuming mid-batch", got_mid),
                      ("at most 3 a call, resuming mid-batch", got_bounded)):
        dups = len(got) - len(set(got))
        missed = len(set(table) - set(got))
        extra = len(set(got) - set(table))
        check(dups == 0 and missed == 0 and extra == 0,
              "consumer taking %s received each of %d events exactly once "
              "(%d duplicates, %d missed, %d unknown)" % (name, len(table), dups, missed, extra))


def purge_part():
    """Writers cancel, a purger deletes events older than a moment, over
    and over, and two consumers read on.  A consumer either receives each
    event or is refused (22023) and starts again from NULL: an event it
    never received was purged, and one that was never refused received
    every event ever written.  Nothing is skipped silently."""
    errors, committed = [], []
    lock = threading.Lock()
    stop = threading.Event()
    purges = []

    def purger():
        conn = connect(autocommit=True)
        try:
            while not stop.is_set():
                with conn.cursor() as cur:
                    cur.execute("SELECT task_cancel.purge_cancel_events(interval '0.2 seconds')")
                    purges.append(cur.fetchone()[0])
                time.sleep(0.05)
        except Exception as e:  # noqa: BLE001
            errors.append("purger: %r" % e)
        finally:
            conn.close()

    got = {"every row": [], "at most 2 a call": []}
    refused = {"every row": [], "at most 2 a call": []}
    consumers = [threading.Thread(target=consumer, args=("p-all", False, stop, got["every row"], errors,
                                                          None, refused["every row"])),
                 threading.Thread(target=consumer, args=("p-bounded", True, stop, got["at most 2 a call"],
                                                          errors, 2, refused["at most 2 a call"]))]
    writers = [threading.Thread(target=writer, args=(w, errors, committed, lock)) for w in range(WRITERS)]
    purging = threading.Thread(target=purger)
    for t in consumers + writers + [purging]:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in consumers + [purging]:
        t.join()

    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM task_cancel.cancel_events")
        kept = set(r[0] for r in cur.fetchall())
    conn.close()
    written = set(committed)
    check(not errors, "purging while writers and consumers run: no errors (%s)" % "; ".join(errors[:3]))
    check(sum(purges) > 0, "the purger deleted events as they aged (%d in %d purges, %d kept)"
          % (sum(purges), len(purges), len(kept)))
    for name in got:
        received = set(got[name])
        missed = written - received
        purged_missed = missed - kept
        ok = (missed == purged_missed) and (refused[name] or not missed)
        check(ok, "consumer taking %s: each of the %d events received, or purged unread and the "
              "cursor refused (%d missed, all purged: %s; refused %d times)"
              % (name, len(written), len(missed), missed == purged_missed, len(refused[name])))


def main():
    admin("DROP DATABASE IF EXISTS " + DB)
    admin("CREATE DATABASE " + DB)
    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION task_cancel")
        cur.execute("SELECT task_cancel.register_journey(1, 'Customer replied STOP')")
    conn.close()
    listen_part()
    exactly_once_part()
    purge_part()
    admin("DROP DATABASE " + DB)
    return done()


if __name__ == "__main__":
    sys.exit(main())
