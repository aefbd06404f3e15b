#!/usr/bin/python3
"""The cancel stream (1.3, src/cancel_stream.c) read as Debezium reads it:
a replication slot with the pgoutput plugin, messages 'true', over
psycopg2's replication protocol connection.

8 clients commit 10,000 cancels (each holds some of its transactions open
for a moment, so that commits come out of id order; some roll back), while
one consumer reads the slot.  The consumer is stopped and started again
from its confirmed position several times, and once the server itself is
killed (pg_ctlcluster ... stop -m immediate, then start) in the middle of it all.

The consumer works as a careful outbox consumer does: it applies a
transaction's messages at its commit, deduplicating by event id, then
keeps the commit's end position (its offset store, here in memory, which
outlives each connection) and confirms it to the server.  It starts again
from that stored position.

Then, against cancel_events, which holds exactly the committed events:
every committed event received, none missing, none of a rolled-back
transaction; nothing delivered again from before a confirmed position;
each event applied exactly once; each customer's events in commit order
(ids ascending, and commit timestamps, track_commit_timestamp, never
going back).  Counts are printed.  Finally, wal2json shows the messages
too (skipped where Debian has no wal2json for this version), and the
pg_recvlogical command line of doc/stream.md works as written.

Runs against the cluster in PGHOST/PGPORT (wal_level = logical; make test
sets it), as its owner or root (the restart); prints TAP (tap.py).
"""
import collections
import json
import os
import random
import select
import struct
import subprocess
import sys
import threading
import time

import psycopg2
import psycopg2.errors
import psycopg2.extras

from tap import admin, check, diag, done

DB = "tc_stream"
SLOT = "tc_stream_slot"
PUBLICATION = "tc_stream_pub"
CANCELS = int(os.environ.get("TC_STREAM_CANCELS", "10000"))
CLIENTS = 8
CUSTOMERS = ["+8%04d" % i for i in range(200)]


def connect(autocommit=True):
    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = autocommit
    return conn


def lsn_text(lsn):
    return "%X/%X" % (lsn >> 32, lsn & 0xFFFFFFFF)


class Consumer:
    """A pgoutput consumer with its own offset store."""

    def __init__(self):
        self.stored = 0              # end LSN of the last applied commit
        self.applied = {}            # event id -> (customer, commit order)
        self.order = []              # event ids, in the order applied
        self.duplicates = 0          # messages of an id applied before
        self.redelivered = 0         # commits at or before a confirmed position
        self.transactions = 0
        self.connections = 0
        self.errors = []
        self.bad = []                # messages that are not what we expect
        self.server_killed = False   # set for the session the server dies in

    def parse(self, data, pending):
        """One pgoutput message; returns True at a commit."""
        kind = data[0:1]
        if kind == b"B":
            final_lsn, = struct.unpack_from(">Q", data, 1)
            pending.clear()
            pending.append(final_lsn)
        elif kind == b"M":
            flags, lsn = struct.unpack_from(">BQ", data, 1)
            end = data.index(b"\0", 10)
            prefix = data[10:end].decode()
            length, = struct.unpack_from(">I", data, end + 1)
            content = data[end + 5:end + 5 + length]
            if prefix != "task_cancel" or flags != 1:
                self.bad.append((prefix, flags))
            else:
                pending.append(json.loads(content.decode()))
        elif kind == b"C":
            _flags, commit_lsn, end_lsn = struct.unpack_from(">BQQ", data, 1)
            self.commit(pending, end_lsn)
            return True
        return False

    def commit(self, pending, end_lsn):
        events = pending[1:]
        if end_lsn <= self.stored:
            # from before the position we confirmed: never to happen, since
            # we start from it; counted, and not applied twice
            self.redelivered += 1
            return
        for e in events:
            if e["id"] in self.applied:
                self.duplicates += 1
                continue
            self.applied[e["id"]] = e
            self.order.append(e["id"])
        self.transactions += 1
        self.stored = end_lsn

    def run(self, stop, seconds):
        """Read for about `seconds`, or until stop is set; then disconnect.
        Errors (the server going away) end the session; the next starts
        from the stored position."""
        deadline = time.time() + seconds
        try:
            conn = psycopg2.connect(
                dbname=DB,
                connection_factory=psycopg2.extras.LogicalReplicationConnection)
        except psycopg2.OperationalError:
            time.sleep(0.2)
            return
        self.connections += 1
        cur = conn.cursor()
        pending = []
        try:
            cur.start_replication(
                slot_name=SLOT, decode=False, start_lsn=self.stored,
                options={"proto_version": "1", "publication_names": PUBLICATION,
                         "messages": "true"})
            while time.time() < deadline and not stop.is_set():
                msg = cur.read_message()
                if msg is None:
                    select.select([cur], [], [], 0.1)
                    continue
                if self.parse(msg.payload, pending):
                    cur.send_feedback(flush_lsn=self.stored)
            cur.send_feedback(flush_lsn=self.stored, force=True)
        except psycopg2.errors.ObjectInUse:
            # the walsender of the session before has not exited yet
            time.sleep(0.1)
        except psycopg2.Error as e:
            # the server killed under the session is expected, once
            if not self.server_killed:
                self.errors.append(repr(e))
        try:
            conn.close()
        except psycopg2.Error:
            pass


def writer(n, quota, counts, lock, stop):
    """Create a task and cancel it until quota cancels committed; one in ten
    rolls back (and does not count), one
    in four holds its transaction open a little, one in five cancels two
    customers with the array form.  Survives the server's restart."""
    rnd = random.Random(n)
    conn = None
    done_here = 0
    while done_here < quota and not stop.is_set():
        try:
            if conn is None:
                conn = connect(autocommit=False)
            cur = conn.cursor()
            a, b = rnd.sample(CUSTOMERS, 2)
            cur.execute("SELECT task_cancel.create_task(%s, 'inbound_call'),"
                        "       task_cancel.create_task(%s, 'inbound_call')", (a, b))
            conn.commit()
            if rnd.random() < 0.2:
                cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s::text[], 'all', NULL, %s)",
                            ([a, b], 1 + n % 4))
            else:
                cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, %s)",
                            (a, 1 + n % 4))
            if rnd.random() < 0.25:
                time.sleep(rnd.random() * 0.005)
            if rnd.random() < 0.1:
                conn.rollback()
                with lock:
                    counts["rolled back"] += 1
            else:
                conn.commit()
                with lock:
                    counts["committed"] += 1
                done_here += 1
        except psycopg2.OperationalError:
            # the server restarted; this transaction's outcome is read from
            # the table later
            with lock:
                counts["interrupted"] += 1
            try:
                conn.close()
            except (psycopg2.Error, AttributeError):
                pass
            conn = None
            time.sleep(0.2)
        except psycopg2.errors.DeadlockDetected:
            conn.rollback()
            with lock:
                counts["deadlocks"] += 1
        except psycopg2.Error as e:
            with lock:
                counts["errors: " + type(e).__name__] += 1
            try:
                conn.rollback()
            except psycopg2.Error:
                conn = None


def restart_server():
    """Kill the server (immediate shutdown: no checkpoint, as a crash) and
    start it again, as test/crash/run does."""
    version = os.environ.get("PGVERSION")
    cluster = os.environ.get("PGCLUSTER", "regress")
    if "/" in cluster:
        version, cluster = cluster.split("/", 1)
    stop = subprocess.run(["pg_ctlcluster", version, cluster, "stop", "-m", "immediate"],
                          capture_output=True, text=True)
    for attempt in range(50):
        start = subprocess.run(["pg_ctlcluster", version, cluster, "start"],
                               capture_output=True, text=True)
        if start.returncode == 0:
            return stop.returncode == 0
        time.sleep(0.2)
    diag("pg_ctlcluster %s %s: stop exit %d (%s), start exit %d (%s)"
         % (version, cluster, stop.returncode, (stop.stdout + stop.stderr).strip(),
            start.returncode, (start.stdout + start.stderr).strip()))
    return False


def wait_for_server(limit=60):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            admin("SELECT 1")
            return True
        except psycopg2.Error:
            time.sleep(0.2)
    return False


def main():
    admin("DROP DATABASE IF EXISTS " + DB)
    admin("CREATE DATABASE " + DB)
    setup = connect()
    cur = setup.cursor()
    cur.execute("SHOW wal_level")
    wal_level = cur.fetchone()[0]
    check(wal_level == "logical", "wal_level is logical (got %s)" % wal_level)
    if wal_level != "logical":
        return done()
    cur.execute("CREATE EXTENSION task_cancel")
    cur.execute("SELECT task_cancel.register_journey(j, 'Journey ' || j)"
                "  FROM generate_series(1, 4) AS j")
    cur.execute("CREATE PUBLICATION " + PUBLICATION)
    cur.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (SLOT,))

    consumer = Consumer()
    counts = collections.Counter()
    lock = threading.Lock()
    stop = threading.Event()
    quota = CANCELS // CLIENTS
    writers = [threading.Thread(target=writer, args=(n, quota, counts, lock, stop))
               for n in range(CLIENTS)]
    started = time.time()
    for t in writers:
        t.start()

    # the consumer: sessions of 0.1 to 0.5 s while the writers run; the
    # server is killed during the third
    sessions = 0
    restarted = None
    while any(t.is_alive() for t in writers) and time.time() - started < 600:
        sessions += 1
        if sessions != 3:
            consumer.run(stop, 0.1 + random.random() * 0.4)
            continue
        # the third session reads until the server dies under it
        killer = threading.Thread(
            target=lambda: (time.sleep(0.2), restart_done.append(restart_server())))
        consumer.server_killed = True
        killer.start()
        consumer.run(stop, 30)
        killer.join()
        wait_for_server()
        consumer.server_killed = False
    stop.set()
    for t in writers:
        t.join()
    # then read to the end
    setup = None
    for attempt in range(100):
        try:
            setup = connect()
            break
        except psycopg2.OperationalError:
            time.sleep(0.2)
    cur = setup.cursor()
    cur.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
    end = int(cur.fetchone()[0])
    drained = sessions + 30
    while consumer.stored < end and sessions < drained:
        sessions += 1
        before = consumer.stored
        consumer.run(threading.Event(), 1.0)
        if consumer.stored == before:
            # nothing of ours after it: the rest of the WAL is other work
            cur.execute("SELECT count(*) FROM task_cancel.cancel_events")
            if cur.fetchone()[0] == len(consumer.applied):
                break
    diag("writers: %s; %.0f s; consumer sessions: %d (connections %d), transactions"
         " applied: %d" % (dict(counts), time.time() - started, sessions,
                           consumer.connections, consumer.transactions))

    cur.execute("SELECT id, customer, pg_xact_commit_timestamp(txid::xid)"
                "  FROM task_cancel.cancel_events")
    truth = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    got = set(consumer.applied)
    missing = set(truth) - got
    unknown = got - set(truth)
    check(counts["committed"] == CANCELS and len(truth) >= CANCELS,
          "%d cancels committed by %d clients (%d rolled back, %d interrupted by the restart),"
          " %d events" % (counts["committed"], CLIENTS, counts["rolled back"],
                          counts["interrupted"], len(truth)))
    check(restart_done == [True],
          "the server was killed (pg_ctlcluster stop -m immediate) and started again"
          " while the consumer read and the clients wrote")
    check(consumer.connections >= 5,
          "the consumer stopped and started again from its confirmed position"
          " (%d sessions)" % consumer.connections)
    check(not missing and not unknown,
          "every committed event received, none missing (%d events, %d missing, %d"
          " not in cancel_events: rolled back)" % (len(truth), len(missing), len(unknown)))
    check(consumer.redelivered == 0,
          "nothing delivered again from before a confirmed position (%d transactions)"
          % consumer.redelivered)
    check(len(consumer.order) == len(got),
          "each event applied exactly once (%d messages of an event already applied,"
          " delivered again after the restart and skipped by id)" % consumer.duplicates)
    check(not consumer.bad and not consumer.errors,
          "every message has prefix task_cancel and is transactional; no consumer errors"
          " (%r %r)" % (consumer.bad[:2], consumer.errors[:2]))

    # commit order per customer
    last = {}
    out_of_order = 0
    after_larger = 0
    max_id = 0
    for i in consumer.order:
        e = consumer.applied[i]
        customer, committed = truth.get(i, (None, None))
        if e["customer"] != customer:
            out_of_order += 1
        if customer in last:
            prev_id, prev_ts = last[customer]
            if i < prev_id or (committed is not None and prev_ts is not None
                               and committed < prev_ts):
                out_of_order += 1
        last[customer] = (i, committed)
        if i < max_id:
            after_larger += 1
        max_id = max(max_id, i)
    check(out_of_order == 0,
          "each customer's events in commit order: ids ascending, commit timestamps"
          " never going back (%d out of order)" % out_of_order)
    check(after_larger > 0,
          "commits came out of id order across customers (%d events committed after"
          " a larger id)" % after_larger)

    # the content of one message is the row
    sample = consumer.order[len(consumer.order) // 2]
    cur.execute("SELECT to_jsonb(e) - 'txid' FROM task_cancel.cancel_events AS e WHERE id = %s",
                (sample,))
    row = cur.fetchone()[0]
    message = dict(consumer.applied[sample])
    at_ok = message.pop("at").endswith("+00:00")
    row.pop("at")
    check(at_ok and message.pop("version") == 1 and message == row,
          "a message carries its event's columns and \"version\": 1")

    wal2json(cur)
    recvlogical(cur)

    for attempt in range(100):      # the last walsender may still be leaving
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (SLOT,))
        if not cur.fetchone()[0]:
            break
        time.sleep(0.1)
    cur.execute("SELECT pg_drop_replication_slot(%s)", (SLOT,))
    setup.close()
    for attempt in range(20):
        try:
            admin("DROP DATABASE " + DB)
            break
        except psycopg2.Error:
            time.sleep(0.5)
    return done()


def wal2json(cur):
    """wal2json shows the message too, where Debian has it."""
    # a server that lists its trusted output plugins must list wal2json too
    cur.execute("SELECT current_setting('output_plugin_libraries', true)")
    trusted = cur.fetchone()[0]
    if trusted is not None and "wal2json" not in trusted:
        cur.execute("SELECT set_config('output_plugin_libraries', %s, false)",
                    (trusted + ", wal2json",))
    try:
        cur.execute("SELECT 'x' FROM pg_create_logical_replication_slot('tc_stream_w2j', 'wal2json')")
    except psycopg2.Error as e:
        check(True, "wal2json shows the messages # SKIP wal2json is not installed (%s)"
              % str(e).splitlines()[0])
        return
    cur.execute("SELECT task_cancel.create_task('+89999', 'inbound_call')")
    cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks('+89999', 'all', NULL, 1)")
    cur.execute("SELECT data FROM pg_logical_slot_get_changes('tc_stream_w2j', NULL, NULL,"
                " 'format-version', '2', 'add-msg-prefixes', 'task_cancel')")
    messages = [json.loads(r[0]) for r in cur.fetchall()]
    messages = [m for m in messages if m.get("action") == "M"]
    ok = (len(messages) == 1 and messages[0].get("transactional") is True
          and messages[0].get("prefix") == "task_cancel"
          and json.loads(messages[0]["content"])["customer"] == "+89999")
    cur.execute("SELECT pg_drop_replication_slot('tc_stream_w2j')")
    check(ok, "wal2json (format-version 2, add-msg-prefixes task_cancel) shows the message: %r"
          % [m.get("prefix") for m in messages])


def recvlogical(cur):
    """doc/stream.md's pg_recvlogical command, with test_decoding."""
    env = dict(os.environ)
    slot = "tc_stream_recv"
    subprocess.run(["pg_recvlogical", "--dbname", DB, "--slot", slot, "--create-slot",
                    "--plugin", "test_decoding"], env=env, check=True)
    cur.execute("SELECT task_cancel.create_task('+89998', 'inbound_call')")
    cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks('+89998', 'all', NULL, 1)")
    cur.execute("SELECT pg_current_wal_lsn()")
    endpos = cur.fetchone()[0]
    out = subprocess.run(["pg_recvlogical", "--dbname", DB, "--slot", slot, "--start",
                          "--endpos", endpos,
                          "--file", "-", "--no-loop"],
                         env=env, capture_output=True, text=True, timeout=60)
    lines = [l for l in out.stdout.splitlines() if "prefix: task_cancel" in l]
    subprocess.run(["pg_recvlogical", "--dbname", DB, "--slot", slot, "--drop-slot"],
                   env=env, check=True)
    check(len(lines) == 1 and '"customer": "+89998"' in lines[0],
          "pg_recvlogical with test_decoding prints the message (%d line(s))" % len(lines))


restart_done = []

if __name__ == "__main__":
    sys.exit(main())
