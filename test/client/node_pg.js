#!/usr/bin/env node
// task_cancel through node-pg, which sends every parameter untyped: the
// server decides each parameter's type from the function it resolves to.
//
//  1. A JavaScript array passed as $1 to cancel_tasks($1, ...) reaches the
//     text form and is refused (22023), instead of canceling nothing;
//     typed $1::text[], the same array cancels.
//  2. Every function of the README resolves with untyped parameters,
//     cancel_task with 2, 3 and 4 of them (by id) and 5 (customer first).
//  3. 64-bit ids come back as strings, exact beyond 2^53, and go back in
//     as strings.
//
// Runs against the cluster in PGHOST/PGPORT (node-pg reads the same PG*
// variables as psql); makes and drops its own database.  Prints TAP:
// "ok N - ..." or "not ok N - ..." per check, then the plan "1..N" once
// every check has run (none if the script dies on the way, so that prove
// reports it as failed); exit 1 on any failure.
'use strict';
const { Client } = require('pg');

const DB = 'tc_node_pg';
let failures = 0;
let checks = 0;

// One line per check, and a "#" of the description cannot start a directive.
function check(ok, what) {
  checks++;
  const text = String(what).split('\n').join(' ').replace(/#/g, '\\#');
  console.log(`${ok ? 'ok' : 'not ok'} ${checks} - ${text}`);
  if (!ok) failures++;
}

// The SQLSTATE a call fails with, or null if it succeeds.
async function sqlstate(db, text, values) {
  try {
    await db.query(text, values);
    return null;
  } catch (e) {
    return e.code;
  }
}

async function main() {
  const admin = new Client({ database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB}`);
  const db = new Client({ database: DB });
  await db.connect();
  try {
    await run(db);
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE ${DB}`);
    await admin.end();
  }
}

async function run(db) {
  await db.query('CREATE EXTENSION task_cancel');
  await db.query('SELECT task_cancel.register_journey($1, $2)', [1, 'Block list sync']);
  const newTask = async (customer, type = 'inbound_call') =>
    (await db.query('SELECT task_cancel.create_task($1, $2) AS id', [customer, type])).rows[0].id;

  // 1. A native array: refused by the text form, canceled as text[].
  const blocked = ['+15550001', '+15550002'];
  await newTask(blocked[0]);
  await newTask(blocked[1]);
  const state = await sqlstate(db, "SELECT * FROM task_cancel.cancel_tasks($1, 'all', NULL, $2)", [blocked, 1]);
  check(state === '22023', `a JS array as $1 is refused with 22023, not 0 rows (got ${state})`);
  const { rows } = await db.query("SELECT * FROM task_cancel.cancel_tasks($1::text[], 'all', NULL, $2)", [blocked, 1]);
  check(rows.length === 2 && rows.map((r) => r.customer).join() === blocked.join(),
    `the same array typed $1::text[] cancels each customer's task (${rows.length} rows)`);

  // 2. Every function of the README, every parameter untyped.
  const c = '+15550003';
  const inHour = new Date(Date.now() + 3600 * 1000);
  const calls = [
    ['register_journey($1, $2)', [2, 'Opt-out handler']],
    ['register_campaign($1, $2, $3)', [42, 'Spring sale', 'voice']],
    ['create_task($1, $2)', [c, 'voicemail']],
    ['create_task($1, $2, $3, $4, $5)', [c, 'outbound_call', 42, 1, null]],
    ['reserve_task($1, $2)', [await newTask(c), 'agent_ann']],
    ['release_task($1)', [await newTask(c)]],
    ['accept_task($1, $2)', [await newTask(c), 'agent_ann']],
    ['wrap_task($1)', [await newTask(c)]],
    ['complete_task($1)', [await newTask(c)]],
    ['set_task_deadline($1, $2)', [await newTask(c), inHour]],
    ['reserve_task($1, $2, $3)', [c, await newTask(c), 'agent_ann']],
    ['release_task($1, $2)', [c, await newTask(c)]],
    ['accept_task($1, $2, $3)', [c, await newTask(c), 'agent_ann']],
    ['wrap_task($1, $2)', [c, await newTask(c)]],
    ['complete_task($1, $2)', [c, await newTask(c)]],
    ['set_task_deadline($1, $2, $3)', [c, await newTask(c), inHour]],
    ['cancel_task($1, $2)', [await newTask(c), 'agent_ann']],
    ['cancel_task($1, $2, $3)', [await newTask(c), 'agent_ann', 'Customer called back']],
    ['cancel_task($1, $2, $3, $4)', [await newTask(c), 'agent_ann', null, true]],
    ['cancel_task($1, $2, $3, $4, $5)', [c, await newTask(c), 'agent_ann', null, false]],
    ['cancel_tasks($1, $2, $3, $4)', [c, 'task_type', 'voicemail', 1]],
    ['cancel_tasks($1::text[], $2, $3, $4)', [[c], 'campaign', '42', 1]],
    ['preview_cancel($1, $2, $3)', [c, 'all', null]],
    ['block_customer($1, $2)', [c, 'Fraud']],
    ['block_customer($1, $2, $3)', [c, 'Opt-out', 2]],
    ['unblock_customer($1)', [c]],
    ['cancel_events_since($1)', [null]],
    ['cancel_events_since($1, $2)', [null, 10]],
    ['cancel_expired_tasks($1)', [1000]],
    ['purge_cancel_events($1)', ['30 days']],
  ];
  for (const [call, values] of calls) {
    const got = await sqlstate(db, `SELECT * FROM task_cancel.${call}`, values);
    check(got === null, `${call} resolves and runs with untyped parameters${got ? ` (got ${got})` : ''}`);
  }

  // 3. 64-bit ids: strings, exact past 2^53 (Number() would round them).
  await db.query("SELECT setval(pg_get_serial_sequence('task_cancel.tasks', 'id'), 9007199254740992)");
  const big = await newTask('+15550004');
  const canceled = (await db.query('SELECT task_id FROM task_cancel.cancel_task($1, $2)', [big, 'agent_ann'])).rows;
  check(typeof big === 'string' && big === '9007199254740993' && String(Number(big)) !== big,
    `bigint ids come back as strings (${JSON.stringify(big)}; as a Number ${Number(big)})`);
  check(canceled.length === 1 && canceled[0].task_id === big,
    'a 64-bit id passed back as a string finds its task');
}

main().then(
  () => {
    if (checks === 0) check(false, 'the script reported at least one check');
    console.log(`1..${checks}`);
    process.exit(failures ? 1 : 0);
  },
  (e) => {
    check(false, e.message);
    process.exit(1);
  },
);
