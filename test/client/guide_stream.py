#!/usr/bin/python3
"""Read the cancel stream from a pgoutput slot (doc/stream.md); makes and drops database tc_guide_stream."""
import json
import select
import struct
import time

import psycopg2
import psycopg2.extras


def messages(payload, pending):
    """One pgoutput message. Returns (end_lsn, events) at a commit, else None."""
    kind = payload[:1]
    if kind == b"B":                                   # a transaction begins
        pending.clear()
    elif kind == b"M":                                 # flags, lsn, prefix, length, content
        end = payload.index(b"\0", 10)
        if payload[10:end] == b"task_cancel":
            pending.append(json.loads(payload[end + 5:]))
    elif kind == b"C":                                 # flags, commit lsn, end lsn, time
        _flags, _commit, end_lsn = struct.unpack_from(">BQQ", payload, 1)
        return end_lsn, list(pending)
    return None


def consume(dbname, stored_lsn, applied, want):
    """Apply events until `want` are applied; return the position to store."""
    conn = psycopg2.connect(dbname=dbname,
                            connection_factory=psycopg2.extras.LogicalReplicationConnection)
    cur = conn.cursor()
    cur.start_replication(slot_name="task_cancel_stream", decode=False, start_lsn=stored_lsn,
                          options={"proto_version": "1", "messages": "true",
                                   "publication_names": "task_cancel_stream"})
    pending = []
    while len(applied) < want:
        msg = cur.read_message()
        if msg is None:
            select.select([cur], [], [], 1.0)
            continue
        done = messages(msg.payload, pending)
        if done:
            end_lsn, events = done
            for e in events:                           # apply each event once, by id
                applied.setdefault(e["id"], e)
            stored_lsn = end_lsn                       # store it with what you applied ...
            cur.send_feedback(flush_lsn=stored_lsn)    # ... then confirm it
    conn.close()
    return stored_lsn


def released(cur):
    """Wait until the server lets go of the slot (a moment after its consumer leaves)."""
    for _ in range(100):
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = 'task_cancel_stream'")
        if not cur.fetchone()[0]:
            return
        time.sleep(0.1)


def main():
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute("DROP DATABASE IF EXISTS tc_guide_stream")
    admin.cursor().execute("CREATE DATABASE tc_guide_stream")
    db = psycopg2.connect(dbname="tc_guide_stream")
    db.autocommit = True
    cur = db.cursor()
    cur.execute("CREATE EXTENSION task_cancel")
    cur.execute("CREATE PUBLICATION task_cancel_stream")
    cur.execute("SELECT pg_create_logical_replication_slot('task_cancel_stream', 'pgoutput')")
    cur.execute("SELECT task_cancel.register_journey(1, 'Churn')")
    for customer in ["+1", "+2", "+3"]:
        cur.execute("SELECT task_cancel.create_task(%s, 'inbound_call')", (customer,))
        cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s, 'all', NULL, 1)", (customer,))
    applied = {}
    stored = consume("tc_guide_stream", 0, applied, 2)        # stop after two events ...
    released(cur)
    stored = consume("tc_guide_stream", stored, applied, 3)   # ... and resume where we stored
    released(cur)
    customers = [e["customer"] for e in sorted(applied.values(), key=lambda e: e["id"])]
    print(("ok" if customers == ["+1", "+2", "+3"] else "not ok")
          + " - each event once, across a restart: %s" % customers)
    cur.execute("SELECT pg_drop_replication_slot('task_cancel_stream')")
    db.close()
    admin.cursor().execute("DROP DATABASE tc_guide_stream")


main()
