#!/usr/bin/python3
"""task_cancel from psycopg 3 (doc/client-guide.md); makes and drops database tc_guide_python."""
import select
import sys
import psycopg
from psycopg.errors import DeadlockDetected, InvalidParameterValue, SerializationFailure

CANCEL = "SELECT * FROM task_cancel.cancel_tasks(%s, 'all', NULL, 101)"

def check(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
    ok or sys.exit(1)
def retry(conn, work, attempts=5):  # work(conn) in a REPEATABLE READ transaction; again on 40001, 40P01
    for attempt in range(1, attempts + 1):
        try:
            with conn.transaction():  # commits, or rolls back on the error
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return work(conn)
        except (SerializationFailure, DeadlockDetected):
            if attempt == attempts:
                raise

def consume(conn, page=2):  # handle each new event once, read in pages; returns the ids seen and new
    cursor, seen, new = conn.execute("SELECT cursor FROM consumer").fetchone()[0], [], []
    while True:
        try:
            rows = conn.execute("SELECT id, next_cursor FROM task_cancel.cancel_events_since(%s, %s)",
                                [cursor, page]).fetchall()
        except InvalidParameterValue:  # 22023, e.g. after a purge: from NULL, skip handled ids
            cursor = None
            continue
        for event_id, cursor in rows:
            seen.append(event_id)
            with conn.transaction():  # the event's effect, its id and the cursor: all or nothing
                if conn.execute("INSERT INTO handled VALUES (%s) ON CONFLICT DO NOTHING", [event_id]).rowcount:
                    new.append(event_id)  # here: withdraw the agent's offer, call the webhook...
                conn.execute("UPDATE consumer SET cursor = %s", [cursor])
        if len(rows) < page:
            return seen, new

def run(db, router, listener):
    db.execute("""CREATE EXTENSION task_cancel; SELECT task_cancel.register_journey(101, 'Said STOP');
        SELECT setval(pg_get_serial_sequence('task_cancel.tasks', 'id'), 9007199254740992);  -- as on Citus
        SELECT task_cancel.create_task(c, 'inbound_call') FROM unnest('{+2,+3,+4,+5}'::text[]) AS c;
        CREATE TABLE journey_log (note text); CREATE TABLE handled (event_id bigint PRIMARY KEY);
        CREATE TABLE consumer (cursor text); INSERT INTO consumer VALUES (NULL)""")
    listener.execute("LISTEN task_cancel_events")
    (t1,), (t2,), (t3,) = db.execute("SELECT task_cancel.create_task('+1', t) FROM unnest(%s::text[]) AS t",
                                     [["inbound_call", "asap_callback", "voicemail"]]).fetchall()
    db.execute("SELECT task_cancel.reserve_task(%s, 'ann'), task_cancel.reserve_task(%s, 'bob')", [t2, t3])
    accepted = []  # what the router's accept_task returned, per attempt
    def journey_step(conn):  # the journey's own write and the cancel, in one transaction
        conn.execute("INSERT INTO journey_log VALUES ('+1 said STOP')")  # this fixes the snapshot
        accepted.append(retry(router, lambda c: c.execute(  # then ann accepts t2 before our cancel
            "SELECT task_cancel.accept_task(%s, 'ann')", [t2]).fetchone()[0]))
        return conn.execute(CANCEL, ["+1"]).fetchall()
    rows, log = retry(db, journey_step), db.execute("SELECT count(*) FROM journey_log").fetchone()[0]
    check(accepted == [True, False] and log == 1, "40001 under REPEATABLE READ: retried, the first write undone")
    check(rows == [(t1, "inbound_call", "pending"), (t3, "voicemail", "reserved")] and t3 > 2**53,
          "rows of the tasks canceled, not ann's; 'reserved': withdraw bob's offer; ids past 2^53 exact")
    rows = db.execute("SELECT * FROM task_cancel.cancel_tasks(%s::text[], 'all', NULL, 101)", [["+2", "+3"]])
    check([r[1] for r in rows] == ["+2", "+3"], "a Python list typed %s::text[] cancels for each customer")
    woke = select.select([listener.fileno()], [], [], 5.0)[0]  # notified, or 5 s passed: read anyway
    seen, new = consume(listener)
    check(woke and len(new) == 3 and new == seen, "LISTEN woke the consumer; it read 3 events in pages of 2")
    with router.transaction():  # begins first, commits last: its event is older than the next one
        router.execute(CANCEL, ["+4"])
        db.execute(CANCEL, ["+5"])
        seen, new = consume(listener)
    # a purge deletes the event of +4, not read yet, and all older ones; it keeps the handled one of +5
    db.execute("SELECT task_cancel.purge_cancel_events(now() - at) FROM task_cancel.cancel_events WHERE id = %s", new)
    check(consume(listener) == (new, []), "22023 after a purge: restarted from NULL, skipped the handled event")

with psycopg.connect(dbname="postgres", autocommit=True) as admin:
    admin.execute("DROP DATABASE IF EXISTS tc_guide_python")
    admin.execute("CREATE DATABASE tc_guide_python")
    try:
        run(*[psycopg.connect(dbname="tc_guide_python", autocommit=True) for _ in range(3)])
    finally:  # FORCE: closes run's connections too
        admin.execute("DROP DATABASE tc_guide_python WITH (FORCE)")
