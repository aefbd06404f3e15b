#!/usr/bin/python3
"""Hostile input for every public function of task_cancel.

Calls each function with NULL in every position, then thousands of random
combinations of adversarial values: empty and 1 MB strings, bytes that are
not UTF-8, quotes and SQL-injection text, lists sent as text ("{a,b}"),
huge, negative and out-of-range ids, arrays of 100,000 elements, with
NULLs and duplicates, unknown modes, task types, campaigns and journeys.
NULLs go in as untyped literals, as drivers send them, so a call that
PostgreSQL cannot resolve to one function (42725) is a failure.  Every call must either succeed, with
a result that holds up, or raise an error whose SQLSTATE is one PostgreSQL
or doc/reference.md documents for that kind of input -- and an error must change no
row.  The backend must never crash: the connection never drops and the
server never restarts.

Usage: test/fuzz/fuzz.py [CALLS] [SEED]   (default 3000 random calls, seed 1)
against the cluster in PGHOST/PGPORT.  Prints "ok - ..." lines.
"""
import collections
import random
import sys

import psycopg2

DB = "tc_fuzz"
CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1

# SQLSTATEs an error may carry, and why each is legitimate.
ALLOWED = {
    "22004": "null value not allowed (doc/reference.md)",
    "22001": "customer longer than 1,000 bytes (doc/reference.md 1.2)",
    "22023": "invalid parameter value (doc/reference.md)",
    "22P02": "invalid text representation (campaign id)",
    "22003": "numeric value out of range (ids beyond bigint)",
    "0A000": "never-cancelable task type (doc/reference.md)",
    "23502": "not-null violation (register_* with NULL)",
    "23503": "foreign key violation (create_task with unknown type/campaign)",
    "23514": "check violation (campaign channel, empty names)",
    "22021": "invalid byte sequence for UTF8",
    "42883": "no function matches the argument types",
    "22008": "datetime field overflow (an interval of a million years past now())",
    "22007": "invalid datetime format",
}
# Not allowed, among others: 42725 (the call fits two functions), 54000
# (a value too big for an index: every customer argument is limited to
# 1,000 bytes since 1.3), XX000.

HUGE = "x" * (1 << 20)
TEXTS = [None, "", "a", "all", "task_type", "campaign", "ALL", "inbound_call",
         "automated_sms", "voicemail", "fax", "42", "7", " 42 ", "-1", "0", "1e3",
         "99999999999999999999", "9223372036854775807", "'", "''", "\\", '"x"',
         "'; DROP TABLE task_cancel.tasks; --", "1; DELETE FROM task_cancel.tasks",
         "$1", "%s", "+15550001", "+15550002", "☎📞 Ünïcödé", "\t\n", "agent_ann",
         "voice", "sms", "{+15550001,+15550002}", "{}", "{", HUGE]
INTS = [None, 0, 1, 2, 7, 42, -1, -(2 ** 63), 2 ** 63 - 1, 999999, 2 ** 64]
ARRAYS = [None, [], [None], ["+15550001", None], [""], ["+15550001"],
          ["+15550001", "+15550001", "+15550002"], ["'; DROP TABLE x; --"],
          ["+15550001"] * 100000, ["f%d" % i for i in range(100000)], [HUGE]]
BOOLS = [None, True, False]
# small integers (max_events, max_tasks), timestamps and intervals
NUMBERS = [None, -2147483648, -1, 0, 1, 2, 100, 2147483647]
WHENS = [None, "-infinity", "infinity", "1970-01-01", "2100-01-01 00:00+00", "now", "epoch"]
SPANS = [None, "-1 day", "-infinity", "0", "1 second", "30 days", "infinity", "1000000 years"]
# cursors of cancel_events_since: none of these was returned by it (the
# origin is made up), so each must be refused with class 22 -- or NULL.
ORIGIN = "0123456789abcdef0123456789abcdef"
CURSORS = [None, "", "1", "1/", "2/" + ORIGIN + "/0:0:/1:1:/0", "1/" + ORIGIN,
           "1/" + ORIGIN + "/0:0:/1:1:/0", "1/" + ORIGIN.upper() + "/0:0:/1:1:/0",
           "1/" + ORIGIN + "/5:1:/9:9:/0", "1/" + ORIGIN + "/0:0:/3:9:4,4/0",
           "1/" + ORIGIN + "/0:0:/3:9:2/0", "1/" + ORIGIN + "/0:0:/1:99999999999999999999:/0",
           "1/" + ORIGIN + "/0:0:/1:18446744073709551615:/9223372036854775808",
           "1/" + ORIGIN + "/0:0:/1:9:" + ",".join(str(i) for i in range(2, 9)) + "/-1",
           "1/" + ORIGIN + "/0:0:/0:200000:" + ",".join(str(i) for i in range(1, 100000)) + "/0",
           "2/" + ORIGIN + "/1/0/0/0:0:/1:1:/0", "2/" + ORIGIN + "/0/0/0/0:0:/1:1:/0",
           "2/" + ORIGIN + "/1/0/x/0:0:/1:1:/0", "2/" + ORIGIN + "/1/0/0:0:/1:1:/0",
           "2/" + ORIGIN + "/4294967296/0/0:0:/1:1:/0", "2/" + ORIGIN + "/1/x/0:0:/1:1:/0",
           "2/" + ORIGIN + "/1/18446744073709551616/0:0:/1:1:/0", "2/" + ORIGIN + "/1/",
           "'; DROP TABLE task_cancel.cancel_events; --", HUGE]

# name, SQL with %s per argument, argument kinds
FUNCTIONS = [
    ("register_journey", "SELECT task_cancel.register_journey(%s, %s)", "it"),
    ("register_campaign", "SELECT task_cancel.register_campaign(%s, %s, %s)", "itt"),
    ("create_task", "SELECT task_cancel.create_task(%s, %s, %s, %s, %s)", "ttiit"),
    ("reserve_task", "SELECT task_cancel.reserve_task(%s, %s)", "it"),
    ("release_task", "SELECT task_cancel.release_task(%s)", "i"),
    ("accept_task", "SELECT task_cancel.accept_task(%s, %s)", "it"),
    ("wrap_task", "SELECT task_cancel.wrap_task(%s)", "i"),
    ("complete_task", "SELECT task_cancel.complete_task(%s)", "i"),
    ("cancel_tasks", "SELECT * FROM task_cancel.cancel_tasks(%s::text, %s, %s, %s)", "ttti"),
    ("cancel_tasks[]", "SELECT * FROM task_cancel.cancel_tasks(%s::text[], %s, %s, %s)", "atti"),
    ("preview_cancel", "SELECT * FROM task_cancel.preview_cancel(%s, %s, %s)", "ttt"),
    ("cancel_task", "SELECT * FROM task_cancel.cancel_task(%s, %s, %s, %s)", "ittb"),
    ("cancel_task(2)", "SELECT * FROM task_cancel.cancel_task(%s, %s)", "it"),
    ("cancel_task(3)", "SELECT * FROM task_cancel.cancel_task(%s, %s, %s)", "itt"),
    ("cancel_task(customer)", "SELECT * FROM task_cancel.cancel_task(%s, %s, %s, %s, %s)", "tittb"),
    ("reserve_task(customer)", "SELECT task_cancel.reserve_task(%s, %s, %s)", "tit"),
    ("release_task(customer)", "SELECT task_cancel.release_task(%s, %s)", "ti"),
    ("accept_task(customer)", "SELECT task_cancel.accept_task(%s, %s, %s)", "tit"),
    ("wrap_task(customer)", "SELECT task_cancel.wrap_task(%s, %s)", "ti"),
    ("complete_task(customer)", "SELECT task_cancel.complete_task(%s, %s)", "ti"),
    ("set_task_deadline(customer)", "SELECT task_cancel.set_task_deadline(%s, %s, %s::timestamptz)", "tiw"),
    ("block_customer", "SELECT task_cancel.block_customer(%s, %s, %s)", "tti"),
    ("unblock_customer", "SELECT task_cancel.unblock_customer(%s)", "t"),
    ("cancel_events_since", "SELECT * FROM task_cancel.cancel_events_since(%s)", "c"),
    ("cancel_events_since(n)", "SELECT * FROM task_cancel.cancel_events_since(%s, %s::int)", "cn"),
    ("set_task_deadline", "SELECT task_cancel.set_task_deadline(%s, %s::timestamptz)", "iw"),
    ("cancel_expired_tasks", "SELECT task_cancel.cancel_expired_tasks(%s::int)", "n"),
    ("purge_cancel_events", "SELECT task_cancel.purge_cancel_events(%s::interval)", "v"),
]

# Functions whose first argument is one customer: a list sent as text or
# a customer over 1,000 bytes must be refused there (doc/reference.md 1.3), never
# taken for a customer.
CUSTOMER_FIRST = {"create_task", "cancel_tasks", "preview_cancel", "block_customer",
                  "unblock_customer", "cancel_task(customer)", "reserve_task(customer)",
                  "release_task(customer)", "accept_task(customer)", "wrap_task(customer)",
                  "complete_task(customer)", "set_task_deadline(customer)"}


def bad_customer(value):
    return isinstance(value, str) and (
        (value.startswith("{") and value.endswith("}")) or len(value.encode()) > 1000)


results = []


def check(ok, what):
    results.append(bool(ok))
    print(("ok - " if ok else "not ok - ") + what)


def value(kind, rnd):
    pool = {"t": TEXTS, "i": INTS, "a": ARRAYS, "b": BOOLS, "c": CURSORS,
            "n": NUMBERS, "w": WHENS, "v": SPANS}[kind]
    # the heavy values (1 MB, 100k elements) one time in twenty
    v = rnd.choice(pool)
    while (v is HUGE or (isinstance(v, list) and len(v) >= 1000)) and rnd.random() > 0.05:
        v = rnd.choice(pool)
    return v


def describe(args):
    def short(a):
        if isinstance(a, str) and len(a) > 30:
            return "<%d chars>" % len(a)
        if isinstance(a, list) and len(a) > 5:
            return "<array of %d>" % len(a)
        return repr(a)
    return "(" + ", ".join(short(a) for a in args) + ")"


def fingerprint(cur):
    cur.execute("""
        SELECT md5(coalesce((SELECT string_agg(t::text, '|' ORDER BY t.customer, t.id) FROM task_cancel.tasks t), '')
                || coalesce((SELECT string_agg(j::text, '|' ORDER BY j.id) FROM task_cancel.journeys j), '')
                || coalesce((SELECT string_agg(c::text, '|' ORDER BY c.id) FROM task_cancel.campaigns c), '')
                || coalesce((SELECT string_agg(e::text, '|' ORDER BY e.id) FROM task_cancel.cancel_events e), '')
                || coalesce((SELECT string_agg(b::text, '|' ORDER BY b.customer) FROM task_cancel.blocked_customers b), ''))""")
    return cur.fetchone()[0]


def main():
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS " + DB)
        cur.execute("CREATE DATABASE " + DB)
        cur.execute("SELECT pg_postmaster_start_time()")
        started = cur.fetchone()[0]

    conn = psycopg2.connect(dbname=DB)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION task_cancel")
    cur.execute("SELECT task_cancel.register_journey(1, 'Fuzz journey')")
    cur.execute("SELECT task_cancel.register_campaign(42, 'Fuzz campaign', 'voice')")
    for c in ("+15550001", "+15550002"):
        for t in ("inbound_call", "voicemail", "automated_sms", "outbound_call"):
            cur.execute("SELECT task_cancel.create_task(%s, %s, %s, 1)",
                        (c, t, 42 if t == "outbound_call" else None))

    rnd = random.Random(SEED)
    calls = []
    # NULL in every position of every function
    for name, sql, kinds in FUNCTIONS:
        for pos in range(len(kinds)):
            args = [{"t": "+15550001", "i": 1, "a": ["+15550001"], "b": False, "c": None,
                     "n": 1, "w": None, "v": "30 days"}[k]
                    for k in kinds]
            if name.startswith("cancel_tasks"):
                args[1], args[2] = "all", None
            args[pos] = None
            calls.append((name, sql, args))
    # random combinations
    for _ in range(CALLS):
        name, sql, kinds = rnd.choice(FUNCTIONS)
        calls.append((name, sql, [value(k, rnd) for k in kinds]))
    # bytes that are not UTF-8, as a string literal and as a parameter
    calls.append(("cancel_tasks", "SELECT * FROM task_cancel.cancel_tasks(E'\\xff\\xfe'::text, 'all', NULL, 1)", []))
    calls.append(("cancel_tasks", "SELECT * FROM task_cancel.cancel_tasks(convert_from('\\xfffe'::bytea, 'UTF8'), 'all', NULL, 1)", []))
    calls.append(("create_task", "SELECT task_cancel.create_task(%s, %s)", [b"\xff\xfe", "inbound_call"]))

    ok_calls = errors = 0
    states = collections.Counter()
    bad_state = []
    changed_on_error = []
    crashed = []
    wrong = []
    for name, sql, args in calls:
        before = fingerprint(cur)
        try:
            cur.execute(sql, args)
            rows = cur.fetchall()
            ok_calls += 1
            if name in CUSTOMER_FIRST and args and bad_customer(args[0]):
                wrong.append(name + describe(args) + " accepted a list or an over-long customer")
            if name == "cancel_events_since" and args[0] is not None:
                wrong.append(name + describe(args) + " accepted a made-up cursor")
            if name.startswith("cancel_task") and rows:
                ids = [r[0] for r in rows]
                cur.execute("SELECT count(*) FROM task_cancel.tasks WHERE id = ANY(%s) AND status = 'canceled'", (ids,))
                if cur.fetchone()[0] != len(set(ids)):
                    wrong.append(name + describe(args))
            if name == "create_task":
                cur.execute("SELECT count(*) FROM task_cancel.tasks WHERE id = %s", (rows[0][0],))
                if cur.fetchone()[0] != 1:
                    wrong.append(name + describe(args))
        except psycopg2.Error as e:
            # psycopg2 raises OperationalError for SQLSTATE classes 53-58
            # too (54000 among them); only a closed connection is lost.
            if conn.closed:
                crashed.append("%s%s: %s" % (name, describe(args), e))
                conn = psycopg2.connect(dbname=DB)
                conn.autocommit = True
                cur = conn.cursor()
                continue
            errors += 1
            states[e.pgcode] += 1
            if e.pgcode not in ALLOWED:
                bad_state.append("%s%s: %s %s" % (name, describe(args), e.pgcode, str(e).splitlines()[0]))
            if fingerprint(cur) != before:
                changed_on_error.append(name + describe(args))

    total = len(calls)
    check(not crashed, "%d calls, no connection lost%s" % (total, "" if not crashed else ": " + crashed[0]))
    check(not bad_state, "%d errors, every SQLSTATE documented (%s)%s" % (
        errors, ", ".join("%s: %d" % kv for kv in sorted(states.items())),
        "" if not bad_state else "; e.g. " + "; ".join(bad_state[:3])))
    check(not changed_on_error, "no error changed any row%s" % (
        "" if not changed_on_error else ": " + changed_on_error[0]))
    check(not wrong, "%d successful calls, results consistent with the tables%s" % (
        ok_calls, "" if not wrong else ": " + wrong[0]))
    with admin.cursor() as acur:
        acur.execute("SELECT pg_postmaster_start_time()")
        check(acur.fetchone()[0] == started, "the server never restarted")
        cur.close()
        conn.close()
        acur.execute("DROP DATABASE " + DB)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
