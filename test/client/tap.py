"""What the client tests share: TAP output (test/run runs every suite
through prove) and statements run on the postgres database (making and
dropping a test's own database).

check() prints "ok N - ..." or "not ok N - ..." per check; done() ends
the script's output with the plan "1..N" and gives the exit status.  Only
done() prints the plan, so a script that dies on the way has none and
prove reports it as failed."""
import threading

results = []
_lock = threading.Lock()


def _line(ok, what, directive=None):
    # One line, and a "#" of the description cannot start a directive.
    what = " ".join(str(what).splitlines()).replace("#", "\\#")
    with _lock:
        results.append(bool(ok))
        print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), what,
                                " # " + directive if directive else ""),
              flush=True)


def check(ok, what):
    """Print one result line and remember it for the exit status."""
    _line(ok, what)


def diag(text):
    """Print text as TAP comments ("# ..."), for the reader."""
    for line in str(text).splitlines() or [""]:
        print("# " + line, flush=True)


def all_passed():
    return all(results)


def done():
    """Print the plan; return the exit status: 0 if every check passed.
    A script that reported no check at all fails."""
    if not results:
        check(False, "the script reported at least one check")
    print("1..%d" % len(results), flush=True)
    return 0 if all_passed() else 1


def admin(sql):
    """Run sql on the postgres database (psycopg2), outside a transaction."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()
