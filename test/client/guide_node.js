#!/usr/bin/env node
// task_cancel from node-pg (doc/client-guide.md); makes and drops database tc_guide_node.
const { Client } = require('pg');
const { setTimeout: sleep } = require('timers/promises');
const { isDeepStrictEqual: same } = require('util');
const CANCEL = "SELECT * FROM task_cancel.cancel_tasks($1, 'all', NULL, 101)";
const check = (ok, what) => { if (!ok) throw new Error(what); console.log(`ok - ${what}`); };

async function retry(client, work, attempts = 5) {  // work in a REPEATABLE READ transaction; again on 40001, 40P01
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');  // node-pg autocommits: BEGIN, COMMIT are ours
  return work(client).then(async (result) => { await client.query('COMMIT'); return result; }, async (err) => {
    await client.query('ROLLBACK');
    if (!['40001', '40P01'].includes(err.code) || attempts === 1) throw err;
    return retry(client, work, attempts - 1);
  });
}
async function consume(client, page = 2) {  // handle each new event once, read in pages: ids seen and new
  let [cursor, seen, fresh] = [(await client.query('SELECT cursor FROM consumer')).rows[0].cursor, [], []];
  for (;;) {
    const rows = await client.query('SELECT id, next_cursor FROM task_cancel.cancel_events_since($1, $2)',
      [cursor, page]).then((r) => r.rows, (err) => { if (err.code === '22023') return null; throw err; });
    if (!rows) { cursor = null; continue; }  // 22023, e.g. after a purge: from NULL, skip handled ids
    for (const { id, next_cursor: next } of rows) {
      seen.push(id);
      await retry(client, async (c) => {  // the event's effect, its id and the cursor: all or nothing
        const { rowCount } = await c.query('INSERT INTO handled VALUES ($1) ON CONFLICT DO NOTHING', [id]);
        if (rowCount) fresh.push(id);  // here: withdraw the agent's offer, call the webhook...
        await c.query('UPDATE consumer SET cursor = $1', [cursor = next]);
      });
    }
    if (rows.length < page) return [seen, fresh];
  }
}

async function run(db, router, listener) {
  await db.query(`CREATE EXTENSION task_cancel; SELECT task_cancel.register_journey(101, 'Said STOP');
    SELECT setval(pg_get_serial_sequence('task_cancel.tasks', 'id'), 9007199254740992);  -- as on Citus
    SELECT task_cancel.create_task(c, 'inbound_call') FROM unnest('{+2,+3,+4,+5}'::text[]) AS c;
    CREATE TABLE journey_log (note text); CREATE TABLE handled (event_id bigint PRIMARY KEY);
    CREATE TABLE consumer (cursor text); INSERT INTO consumer VALUES (NULL)`);
  await listener.query('LISTEN task_cancel_events');
  const woke = new Promise((resolve) => listener.once('notification', resolve));
  // bigint comes as a string ('9007199254740993'): keep ids as strings or use BigInt(id); Number() rounds
  const [t1, t2, t3] = (await db.query("SELECT task_cancel.create_task('+1', t) AS id FROM unnest($1::text[]) t",
    [['inbound_call', 'asap_callback', 'voicemail']])).rows.map((r) => r.id);
  await db.query("SELECT task_cancel.reserve_task($1, 'ann'), task_cancel.reserve_task($2, 'bob')", [t2, t3]);
  const accepted = [], accept = (r) => r.query("SELECT task_cancel.accept_task($1, 'ann') AS ok", [t2]);
  const rows = await retry(db, async (c) => {  // the journey's own write and the cancel, in one transaction
    await c.query("INSERT INTO journey_log VALUES ('+1 said STOP')");  // this fixes the snapshot
    accepted.push((await retry(router, accept)).rows[0].ok);  // the router gives t2 to ann before our cancel
    return (await c.query(CANCEL, ['+1'])).rows;
  });
  const log = (await db.query('SELECT count(*)::int AS n FROM journey_log')).rows[0].n;
  check(same(accepted, [true, false]) && log === 1, '40001 under REPEATABLE READ: retried, the first write undone');
  check(same(rows.map(Object.values), [[t1, 'inbound_call', 'pending'], [t3, 'voicemail', 'reserved']]) &&
    String(Number(t3)) !== t3, "rows of the tasks canceled, not ann's; 'reserved': withdraw bob's offer; ids exact");
  const arr = await db.query("SELECT * FROM task_cancel.cancel_tasks($1::text[], 'all', NULL, 101)", [['+2', '+3']]);
  check(same(arr.rows.map((r) => r.customer), ['+2', '+3']), 'a JS array typed $1::text[] cancels for each customer');
  const note = await Promise.race([woke, sleep(5000, null, { ref: false })]);  // notified, or 5 s passed
  const [seen, fresh] = await consume(listener);
  check(note && fresh.length === 3 && same(fresh, seen), 'LISTEN woke the consumer; it read 3 events in pages of 2');
  await router.query('BEGIN');  // begins first, commits last: its event is older than the next one
  await router.query(CANCEL, ['+4']);
  const [, handled] = await db.query(CANCEL, ['+5']).then(() => consume(listener));
  await router.query('COMMIT');
  await db.query('SELECT task_cancel.purge_cancel_events(now() - at) FROM task_cancel.cancel_events WHERE id = $1',
    handled);  // deletes the event of +4, not read yet, and all older ones; keeps the handled one of +5
  check(same(await consume(listener), [handled, []]), '22023 after a purge: from NULL again, skipping by id');
}

(async () => {
  const [admin, ...clients] = ['postgres', ...Array(3).fill('tc_guide_node')].map((d) => new Client({ database: d }));
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS tc_guide_node').then(() => admin.query('CREATE DATABASE tc_guide_node'));
  await Promise.all(clients.map((c) => c.connect())).then(() => run(...clients))
    .catch((err) => { console.log(`not ok - ${err.message}`); process.exitCode = 1; });
  await Promise.all(clients.map((c) => c.end()));
  await admin.query('DROP DATABASE tc_guide_node WITH (FORCE)');  // FORCE: the notification relay may linger
  await admin.end();
})();
