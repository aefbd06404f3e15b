#!/usr/bin/python3
"""End to end through an ordinary driver: psycopg2 plays the journey engine
and the task router.

A pool of connections creates tasks for many customers, cancels them in
every mode (single and array form), and races agents' accepts against
journeys' cancels from several threads at once.  It checks what callers
rely on: the rows returned, that no task is both accepted and canceled,
the SQLSTATE (and hint) of bad calls, and that Python values bind to
text, text[] and bigint parameters without casts.

Runs against the cluster in PGHOST/PGPORT; makes and drops its own
database.  Prints TAP (tap.py): "ok N - ..." or "not ok N - ..." per
check, then the plan; exit 1 on any failure.
"""
import random
import sys
import threading

import psycopg2
import psycopg2.errorcodes
import psycopg2.pool

from tap import admin, check, done

DB = "tc_client"


def sqlstate_of(conn, sql, params):
    """Run a call expected to fail; return (sqlstate, hint)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
        conn.rollback()
        return None, None
    except psycopg2.Error as e:
        conn.rollback()
        return e.pgcode, e.diag.message_hint


def main():
    admin("DROP DATABASE IF EXISTS " + DB)
    admin("CREATE DATABASE " + DB)
    pool = psycopg2.pool.ThreadedConnectionPool(2, 8, dbname=DB)
    conn = pool.getconn()
    with conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION task_cancel")
        cur.execute("SELECT task_cancel.register_journey(%s, %s)", (1, "Customer replied STOP"))
        cur.execute("SELECT task_cancel.register_journey(%s, %s)", (2, "Block list sync"))
        cur.execute("SELECT task_cancel.register_campaign(%s, %s, %s)", (42, "Spring sale", "voice"))

    customers = ["+1555%07d" % i for i in range(200)]
    types = ["inbound_call", "voicemail", "outbound_call", "automated_sms"]
    with conn, conn.cursor() as cur:
        for c in customers:
            for t in types:
                cur.execute("SELECT task_cancel.create_task(%s, %s, %s, %s)",
                            (c, t, 42 if t == "outbound_call" else None, 1))
        cur.execute("SELECT count(*) FROM task_cancel.tasks")
        check(cur.fetchone()[0] == 800, "create_task binds text and bigint parameters (800 tasks)")

    # Modes, single form: str customer, None arg, int journey.
    with conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM task_cancel.cancel_tasks(%s, %s, %s, %s)",
                    (customers[0], "task_type", "voicemail", 1))
        rows = cur.fetchall()
        check(len(rows) == 1 and rows[0][1:] == ("voicemail", "pending"),
              "mode task_type returns (task_id, task_type, previous_status)")
        cur.execute("SELECT * FROM task_cancel.cancel_tasks(%s, %s, %s, %s)",
                    (customers[0], "campaign", "42", 1))
        check([r[1] for r in cur.fetchall()] == ["outbound_call"], "mode campaign")
        cur.execute("SELECT * FROM task_cancel.cancel_tasks(%s, %s, %s, %s)",
                    (customers[0], "all", None, 1))
        check([r[1] for r in cur.fetchall()] == ["inbound_call"],
              "mode all with arg None; automated_sms untouched")

    # Array form: a Python list binds as text[], duplicates are harmless.
    block = customers[10:20] + customers[10:12]
    with conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM task_cancel.cancel_tasks(%s, %s, %s, %s)",
                    (block, "all", None, 2))
        rows = cur.fetchall()
        keys = [(r[1], r[0]) for r in rows]
        check(len(rows) == 30 and keys == sorted(keys),
              "array form binds a list as text[]; 30 rows ordered by customer, task_id")
        # psycopg2 sends an empty list as '{}', which has no type: only
        # with ::text[] does it reach the array form (the text form
        # refuses it, test/client/psycopg3_lists.py).
        cur.execute("SELECT count(*) FROM task_cancel.cancel_tasks(%s::text[], %s, %s, %s)",
                    ([], "all", None, 2))
        check(cur.fetchone()[0] == 0, "an empty list typed ::text[] cancels nothing")

    # Bad calls: SQLSTATE and hint as doc/reference.md says.
    call = "SELECT * FROM task_cancel.cancel_tasks(%s, %s, %s, %s)"
    for params, want, what in [
        ((None, "all", None, 1), "22004", "customer None"),
        (("", "all", None, 1), "22023", "customer empty"),
        (([customers[1], None], "all", None, 1), "22004", "customers holding None"),
        (([], "all", None, 1), "22023", "an empty list without ::text[] (sent as '{}')"),
        ((customers[1], "bogus", None, 1), "22023", "unknown mode"),
        ((customers[1], "all", "x", 1), "22023", "mode all with an arg"),
        ((customers[1], "task_type", "fax", 1), "22023", "unknown task type"),
        ((customers[1], "task_type", "automated_sms", 1), "0A000", "never-cancelable type"),
        ((customers[1], "campaign", "spring", 1), "22P02", "campaign not an integer"),
        ((customers[1], "campaign", "77", 1), "22023", "unknown campaign"),
        ((customers[1], "all", None, None), "22004", "journey None"),
        ((customers[1], "all", None, 404), "22023", "unregistered journey"),
    ]:
        state, hint = sqlstate_of(conn, call, params)
        check(state == want, "%s raises %s (got %s)" % (what, want, state))
        if what == "unknown mode":
            check(hint and '"all", "task_type" and "campaign"' in hint, "unknown mode hint lists the modes")
        if what == "unregistered journey":
            check(hint and "register_journey" in hint, "unregistered journey hint names register_journey")
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM task_cancel.tasks WHERE customer = %s AND status = 'canceled'",
                    (customers[1],))
        check(cur.fetchone()[0] == 0, "bad calls changed nothing")
    pool.putconn(conn)

    # The race: agents accept while journeys cancel, from several threads.
    racers = customers[50:150]
    accepted = set()
    canceled = set()
    errors = []
    lock = threading.Lock()

    def agent(worker):
        c = pool.getconn()
        try:
            rnd = random.Random(worker)
            with c.cursor() as cur:
                cur.execute("SELECT id FROM task_cancel.tasks WHERE customer = ANY(%s) "
                            "AND task_type <> 'automated_sms' ORDER BY id", (racers,))
                ids = [r[0] for r in cur.fetchall()]
            c.commit()
            rnd.shuffle(ids)
            for task_id in ids[:150]:
                with c.cursor() as cur:
                    cur.execute("SELECT task_cancel.accept_task(%s, %s)", (task_id, "agent%d" % worker))
                    ok = cur.fetchone()[0]
                c.commit()
                if ok:
                    with lock:
                        accepted.add(task_id)
        except Exception as e:  # noqa: BLE001 - report any failure
            errors.append(repr(e))
        finally:
            pool.putconn(c)

    def journey(worker):
        c = pool.getconn()
        try:
            rnd = random.Random(100 + worker)
            for _ in range(40):
                if rnd.random() < 0.5:
                    params = (rnd.choice(racers), "all", None, 1)
                else:
                    params = (rnd.sample(racers, 5), "task_type", "inbound_call", 2)
                with c.cursor() as cur:
                    cur.execute(call, params)
                    got = [r[0] for r in cur.fetchall()]
                c.commit()
                with lock:
                    canceled.update(got)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            pool.putconn(c)

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=journey, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    check(not errors, "no errors under READ COMMITTED while racing (%s)" % "; ".join(errors[:3]))
    check(accepted and canceled, "the race accepted %d and canceled %d tasks" % (len(accepted), len(canceled)))
    check(not (accepted & canceled), "no task both accepted and canceled")
    conn = pool.getconn()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, status FROM task_cancel.tasks WHERE customer = ANY(%s)", (racers,))
        status = dict(cur.fetchall())
    pool.putconn(conn)
    check(all(status[i] == "assigned" for i in accepted), "every accepted task is assigned")
    check(all(status[i] == "canceled" for i in canceled), "every returned task is canceled")

    pool.closeall()
    admin("DROP DATABASE " + DB)
    return done()


if __name__ == "__main__":
    sys.exit(main())
