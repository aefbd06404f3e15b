"""What the psycopg2 client tests share: "ok - ..." / "not ok - ..." lines
(the format test/run counts) and statements run on the postgres database
(making and dropping a test's own database)."""
import psycopg2

results = []


def check(ok, what):
    """Print one result line and remember it for the exit status."""
    results.append(bool(ok))
    print(("ok - " if ok else "not ok - ") + what)


def all_passed():
    return all(results)


def admin(sql):
    """Run sql on the postgres database, outside a transaction."""
    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()
