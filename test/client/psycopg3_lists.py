#!/usr/bin/python3
"""task_cancel through psycopg 3, which sends a Python list as one value
whose type the server picks -- for cancel_tasks(%s, ...) the text form.

1. A list passed as %s to cancel_tasks(%s, 'all', NULL, %s) is refused
   with 22023 (and a hint naming text[]), instead of canceling nothing.
2. The same list typed %s::text[] reaches the array form and cancels.
3. Ids come back as Python ints, exact at 64 bits.

Runs against the cluster in PGHOST/PGPORT; makes and drops its own
database.  Prints TAP (tap.py): "ok N - ..." or "not ok N - ..." per
check, then the plan; exit 1 on any failure.
"""
import sys

import psycopg

from tap import check, done

DB = "tc_psycopg3"


def main():
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS " + DB)
        admin.execute("CREATE DATABASE " + DB)
        try:
            with psycopg.connect(dbname=DB, autocommit=True) as db:
                run(db)
        finally:
            admin.execute("DROP DATABASE " + DB)
    return done()


def run(db):
    db.execute("CREATE EXTENSION task_cancel")
    db.execute("SELECT task_cancel.register_journey(%s, %s)", (1, "Block list sync"))
    blocked = ["+15550001", "+15550002"]
    for customer in blocked:
        db.execute("SELECT task_cancel.create_task(%s, %s)", (customer, "inbound_call"))

    # 1. A Python list as %s: the text form refuses it.
    try:
        db.execute("SELECT * FROM task_cancel.cancel_tasks(%s, 'all', NULL, %s)", (blocked, 1))
        state, hint = None, None
    except psycopg.Error as e:
        state, hint = e.sqlstate, e.diag.message_hint
    check(state == "22023" and "text[]" in (hint or ""),
          "a list as %%s is refused with 22023, not 0 rows (got %s; hint: %s)" % (state, hint))

    # 2. Typed %s::text[], the same list cancels each customer's task.
    rows = db.execute("SELECT task_id, customer FROM task_cancel.cancel_tasks(%s::text[], 'all', NULL, %s)",
                      (blocked, 1)).fetchall()
    check([r[1] for r in rows] == blocked,
          "the same list typed %%s::text[] cancels each customer's task (%d rows)" % len(rows))

    # 3. 64-bit ids are Python ints, and go back in as they came.
    db.execute("SELECT setval(pg_get_serial_sequence('task_cancel.tasks', 'id'), 9007199254740992)")
    big = db.execute("SELECT task_cancel.create_task(%s, %s)", ("+15550003", "voicemail")).fetchone()[0]
    canceled = db.execute("SELECT task_id FROM task_cancel.cancel_task(%s, %s)", (big, "agent_ann")).fetchall()
    check(big == 9007199254740993 and canceled == [(big,)],
          "bigint ids are exact Python ints, and cancel_task finds one (%r)" % big)


if __name__ == "__main__":
    sys.exit(main())
