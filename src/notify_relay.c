/*-------------------------------------------------------------------------
 *
 * notify_relay.c
 *	  The notification relay (1.3): a background worker per database that
 *	  tells listeners of channel "task_cancel_events" about committed
 *	  cancels, after their commit, in batches, so that canceling
 *	  transactions keep group commit.
 *
 * Why: PostgreSQL lets one notifying transaction of a database commit at a
 * time.  PreCommit_Notify() takes a database-wide lock that is held until
 * the commit record is flushed, so when every cancel sent its own NOTIFY
 * (1.1, 1.2), concurrent cancels committed one after another: at 32
 * clients with fsync on, 0.14-0.16 times the throughput of version 1.0
 * (bench/commits).  Now the canceling transaction notifies nothing
 * itself; the relay, a background worker connected to the database, reads
 * the events committed since it last looked and sends their notifications
 * in one transaction of its own.  Only the relay's transactions take the
 * notification lock, and they commit asynchronously.
 *
 * What a listener hears is what it heard before: on channel
 * "task_cancel_events", the customer as payload (empty for a customer of
 * 8,000 bytes or more), once per customer per canceling transaction; never
 * for a cancel that rolled back.  What changed: a notification arrives a
 * little after the commit instead of with it (bench/notify_delay measures
 * how long), and cancels committed with COMMIT PREPARED are notified too.
 *
 * Exactly once.  The relay keeps its place in table notify_relay, a
 * snapshot cursor like cancel_events_since()'s (lower: every transaction
 * ended in it is done; upper, after_txid: of the transactions ended in
 * upper but not in lower, those up to after_txid are done), updated in the
 * transaction that sends the notifications: both commit or neither.  It
 * reads events transaction by transaction, never stopping inside one.
 * PostgreSQL folds equal notifications of one transaction into one, so
 * when one customer's events of two canceling transactions fall into one
 * batch, the relay commits before the second and goes on in a new
 * transaction; each canceling transaction's customer is heard once.
 *
 * Nobody left unheard.  A relay that finds nothing to do for a second
 * exits, so that it never holds a database that someone wants to drop;
 * a canceling transaction starts it again.  The hand-over:
 *
 *	- The relay holds lock L (an advisory-type tag of our own class, one
 *	  per database) in exclusive mode while it runs.
 *	- A canceling transaction, just before it commits, takes ROW EXCLUSIVE
 *	  on table notify_relay (a weak lock: PostgreSQL's fast path, no
 *	  contention between transactions), holds it through its commit, and
 *	  goes on only once it has seen L held: if L is free, no relay runs,
 *	  and it starts one (RegisterDynamicBackgroundWorker, no preloading
 *	  needed; one transaction at a time, the others wait for that relay:
 *	  tc_notify_relay_ensure()).
 *	- A relay that exits first lets go of L, then takes SHARE ROW
 *	  EXCLUSIVE on notify_relay, which waits for every canceling
 *	  transaction that holds ROW EXCLUSIVE, that is every one that may have
 *	  seen it alive, and reads once more: their events are committed by
 *	  then.  A transaction that comes later waits for that lock, then finds
 *	  L free and starts a new relay, which reads from the cursor.
 *	- A new relay takes the same lock once before it starts, so that it
 *	  never reads beside an old one finishing its hand-over (the mode
 *	  conflicts with itself).
 *	- A relay never leaves without its hand-over because of an error:
 *	  each step is guarded and tried again (undo_error()).  Only a FATAL
 *	  ends it early (pg_terminate_backend(), a crash); the transactions
 *	  that saw it are then notified when the next cancel starts a relay.
 *	- A transaction that made notify_relay itself (CREATE EXTENSION and a
 *	  cancel in one transaction) starts the relay just after its commit,
 *	  when the table can be seen.
 *
 * Where events are written: trigger stamp_cancel_event notes, on the node
 * that stores the event, that this transaction wrote one (commit_notify.c),
 * and the hand-over above runs there, at its commit.
 *
 * Not on Citus.  There cancel_events is a distributed table, and a relay
 * reading it would have Citus ask every node's shards, every few
 * milliseconds, over connections that do not give way to DDL as the relay
 * does (a DROP EXTENSION waited on them for ever in test/citus).  On a
 * node where Citus is created each canceling transaction notifies at its
 * own commit, on the node where the cancel ran, as in 1.2.
 *
 * If no background worker can be had (max_worker_processes), the
 * canceling transaction sends a notification itself, with an empty
 * payload (read cancel_events_since()); a relay started later may then
 * notify the same customer once more.  task_cancel.notify = off for a
 * session keeps its transactions from starting the relay; set for the
 * database (ALTER DATABASE ... SET), the relay, which reads it as a
 * session of that database, moves its cursor without notifying.  Setting
 * task_cancel.notify_relay = off (superuser) does the same always; a
 * database that is still on 1.2 or older has no notify_relay table and
 * notifies as before.
 *
 * IDENTIFICATION
 *	  src/notify_relay.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "task_cancel.h"

PGDLLEXPORT void tc_notify_relay_main(Datum main_arg);

bool		tc_notify_relay = true;

/* Lock L's class (objsubid in pg_locks); S and P are below. */
#define TC_RELAY_LOCK_CLASS 0x7446

/* How often the relay looks, and after how long without work it exits. */
#define TC_RELAY_POLL_MS 10
#define TC_RELAY_IDLE_MS 1000

/* The relay's lock_timeout, and its pause after an error. */
#define TC_RELAY_LOCK_TIMEOUT_MS 50
#define TC_RELAY_RETRY_MS 100

/* Events read per relay transaction at most. */
#define TC_RELAY_BATCH 10000


static const char *const cursor_sql =
"SELECT r.lower, COALESCE(r.upper, pg_catalog.pg_current_snapshot()), r.after_txid,"
"       r.upper IS NULL"
"  FROM task_cancel.notify_relay AS r";

/*
 * The events of transactions that ended in upper ($2) but not in lower
 * ($1), those of transactions after $3, grouped by transaction.  Read in a
 * REPEATABLE READ transaction whose snapshot contains upper, so every such
 * event is visible.
 */
static const char *const events_sql =
"SELECT e.customer, e.txid"
"  FROM task_cancel.cancel_events AS e"
" WHERE e.txid >= pg_catalog.pg_snapshot_xmin($1)"
"   AND e.txid < pg_catalog.pg_snapshot_xmax($2)"
"   AND e.txid > $3"
"   AND pg_catalog.pg_visible_in_snapshot(e.txid, $2)"
"   AND NOT pg_catalog.pg_visible_in_snapshot(e.txid, $1)"
" ORDER BY e.txid, e.id";

static const char *const done_sql =
"UPDATE task_cancel.notify_relay SET lower = $1, upper = NULL, after_txid = '0'";

static const char *const part_done_sql =
"UPDATE task_cancel.notify_relay SET upper = $1, after_txid = $2";

/*
 * A payload of the current relay transaction, and the canceling
 * transaction it is for: its place among those this relay transaction
 * handles (0, 1, ...).
 */
typedef struct Heard
{
	char	   *payload;		/* hash key: the string it points to */
	int			group;
} Heard;

static uint32
heard_hash(const void *key, Size keysize pg_attribute_unused())
{
	const char *customer = *(char *const *) key;

	return string_hash(customer, strlen(customer) + 1);
}

static int
heard_match(const void *a, const void *b, Size keysize pg_attribute_unused())
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * relay_tag
 *		Lock L of database dbid.
 */
static void
relay_tag(LOCKTAG *tag, Oid dbid)
{
	SET_LOCKTAG_ADVISORY(*tag, dbid, 0, 0, TC_RELAY_LOCK_CLASS);
}

/*
 * relay_table
 *		OID of task_cancel.notify_relay, or InvalidOid (a database on 1.2 or
 *		older, or without the extension).
 */
static Oid
relay_table(void)
{
	static uint64 epoch = 0;
	static Oid	table = InvalidOid;
	uint64		now = tc_relcache_epoch();
	Oid			nsp;

	/* asked at every cancel: kept until a relcache invalidation (columns.c) */
	if (epoch == now)
		return table;
	nsp = get_namespace_oid("task_cancel", true);
	table = OidIsValid(nsp) ? get_relname_relid("notify_relay", nsp) : InvalidOid;
	epoch = now;
	return table;
}

/*
 * relay_table_now
 *		relay_table() from outside a transaction, in the relay.
 */
static Oid
relay_table_now(void)
{
	Oid			table;

	StartTransactionCommand();
	table = relay_table();
	CommitTransactionCommand();
	return table;
}

/*
 * tc_notify_relay_applies
 *		Whether this transaction's notifications go through the relay: the
 *		setting is on and the database has the relay's table (1.3).
 */
bool
tc_notify_relay_applies(void)
{
	return tc_notify_relay && !tc_citus_loaded() && OidIsValid(relay_table());
}

/*
 * start_relay
 *		Register a relay for this database; false if no background worker
 *		slot is free.  *handle tells whether it still runs.
 */
static bool
start_relay(BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "$libdir/task_cancel");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "tc_notify_relay_main");
	snprintf(worker.bgw_name, BGW_MAXLEN,
			 "task_cancel notify relay for database %u", MyDatabaseId);
	snprintf(worker.bgw_type, BGW_MAXLEN, "task_cancel notify relay");
	worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	worker.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/*
 * tc_notify_relay_commit
 *		Called just before a canceling transaction commits (commit_notify.c):
 *		holds ROW EXCLUSIVE on notify_relay through the commit and makes
 *		sure a relay runs (file header).  False if none can be started: the
 *		caller then notifies itself.
 */
static bool start_after_commit = false;

bool
tc_notify_relay_commit(void)
{
	Oid			table = relay_table();
	Relation	rel;
	bool		made_now;

	if (!OidIsValid(table))
		return false;

	/*
	 * This lock may wait, for a relay that is handing over and waits for
	 * the commits in flight.  lock_timeout (for the rest of this
	 * transaction, which is committing) must not turn that into a failed
	 * COMMIT.
	 */
	(void) set_config_option("lock_timeout", "0", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	LockRelationOid(table, RowExclusiveLock);

	/*
	 * A table this transaction made (CREATE EXTENSION, or the update to 1.3,
	 * in the same transaction as a cancel) is invisible to a relay until
	 * the commit: a relay started now would take the database for one
	 * without the extension and leave.  No relay can have run for it
	 * before either, so there is no hand-over to wait for: one is started
	 * just after the commit instead (tc_notify_relay_committed()).
	 */
	rel = relation_open(table, NoLock);
	made_now = rel->rd_createSubid != InvalidSubTransactionId;
	relation_close(rel, NoLock);
	if (made_now)
	{
		start_after_commit = true;
		return true;
	}
	return tc_notify_relay_ensure(false);
}

/*
 * tc_notify_relay_committed
 *		At XACT_EVENT_COMMIT (commit_notify.c): start the relay that
 *		tc_notify_relay_commit() put off.  After the commit nothing may
 *		fail, so a missing worker slot is only a warning.
 */
void
tc_notify_relay_committed(void)
{
	BackgroundWorkerHandle *handle;

	if (!start_after_commit)
		return;
	start_after_commit = false;
	if (!start_relay(&handle))
		ereport(WARNING,
				(errmsg("task_cancel could not start its notification relay"),
				 errdetail("No background worker slot is free; this transaction's cancels will be notified when a relay next runs."),
				 errhint("Raise max_worker_processes.")));
}

/*
 * tc_notify_relay_forget
 *		At an abort: nothing to start.
 */
void
tc_notify_relay_forget(void)
{
	start_after_commit = false;
}

/*
 * relay_runs
 *		Whether a relay holds lock L of this database.
 */
static bool
relay_runs(void)
{
	LOCKTAG		tag;

	relay_tag(&tag, MyDatabaseId);
	if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	LockRelease(&tag, ShareLock, false);
	return false;
}

/* A short pause of the loops below, which look again after it. */
static void
pause_ms(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * tc_notify_relay_ensure
 *		Return once a relay holds L, having started one if none did; false
 *		if none can be started (the caller then notifies itself).  Called by
 *		a canceling transaction just before it commits, holding ROW
 *		EXCLUSIVE on notify_relay, and as one is prepared: the relay does
 *		not stop while the database has prepared transactions, so it is
 *		there to notify at COMMIT PREPARED.
 *
 * A relay seen holding L after our ROW EXCLUSIVE was taken will read our
 * events: it lets go of L only to hand over, which waits for us (file
 * header).  A relay merely registered is not enough for the others, who
 * must see it hold L too; and many transactions committing at once after
 * a quiet second must not register one each: a dynamic worker takes a
 * slot of max_worker_processes from its registration until it exits, so
 * thirty-two of them could take every slot, and the transactions that
 * found none would notify themselves, and a customer would be heard twice.
 * So starts are serialized by lock S (class TC_START_LOCK_CLASS, per
 * database): its holder registers one relay and waits until it holds L
 * (a few milliseconds: a process starting and connecting); the others
 * wait for S to be free and look at L again.  They poll rather than wait
 * in the lock manager, so that neither lock_timeout nor the deadlock
 * detector is involved; a cancel request or statement_timeout during the
 * wait fails the COMMIT as it would during any wait of a commit, and the
 * transaction rolls back whole.
 *
 * preparing: called at PREPARE TRANSACTION, which cannot notify; without a
 * relay, its cancels are notified when a relay next runs.
 */
#define TC_START_LOCK_CLASS 0x7448
#define TC_START_WAIT_MS 10000	/* for a relay to show, at most */

bool
tc_notify_relay_ensure(bool preparing)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   TC_START_WAIT_MS);
	LOCKTAG		start;
	int			attempts = 0;

	SET_LOCKTAG_ADVISORY(start, MyDatabaseId, 0, 0, TC_START_LOCK_CLASS);
	while (!relay_runs())
	{
		BackgroundWorkerHandle *handle = NULL;
		pid_t		pid;

		if (GetCurrentTimestamp() >= deadline || attempts == 3)
			break;
		if (LockAcquire(&start, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		{
			pause_ms(1);		/* another transaction starts one */
			continue;
		}

		/*
		 * No waiting for a slot to come free: a relay in its hand-over
		 * keeps its slot until it has waited for us.
		 */
		attempts++;
		if (!start_relay(&handle))
		{
			LockRelease(&start, ExclusiveLock, false);
			ereport(WARNING,
					(errmsg("task_cancel could not start its notification relay"),
					 preparing
					 ? errdetail("No background worker slot is free; this transaction's cancels will be notified when a relay next runs.")
					 : errdetail("No background worker slot is free; this transaction notifies listeners itself."),
					 errhint("Raise max_worker_processes.")));
			return false;
		}

		/* until it holds L, or has exited (another relay got L first) */
		while (!relay_runs() &&
			   GetBackgroundWorkerPid(handle, &pid) != BGWH_STOPPED &&
			   GetCurrentTimestamp() < deadline)
			pause_ms(1);
		LockRelease(&start, ExclusiveLock, false);
		pfree(handle);
	}
	if (relay_runs())
		return true;
	ereport(WARNING,
			(errmsg("task_cancel's notification relay did not start"),
			 preparing
			 ? errdetail("This transaction's cancels will be notified when a relay next runs.")
			 : errdetail("This transaction notifies listeners itself."),
			 errhint("The server log may say why the relay stopped.")));
	return false;
}

/*
 * A transaction being prepared that canceled something holds lock P (an
 * advisory-type tag of our own class, per database) in share mode for its
 * session from XACT_EVENT_PRE_PREPARE until it is prepared
 * (XACT_EVENT_PREPARE) or aborted: pg_prepared_xacts does not show it yet
 * in between, and a relay deciding to stop takes P in exclusive mode, which
 * waits for it to show (hand_over()).  A session lock, so that PREPARE does
 * not hand it to the prepared transaction to keep until COMMIT PREPARED.
 */
#define TC_PREPARE_LOCK_CLASS 0x7447
static bool prepare_lock_held = false;
static LOCKTAG prepare_tag;

/*
 * tc_notify_relay_prepare
 *		At XACT_EVENT_PRE_PREPARE of a transaction that canceled something
 *		(commit_notify.c): the lock above, and a relay that will be there
 *		at COMMIT PREPARED (it does not stop while the database has prepared
 *		transactions).
 */
void
tc_notify_relay_prepare(void)
{
	if (!OidIsValid(relay_table()))
		return;
	SET_LOCKTAG_ADVISORY(prepare_tag, MyDatabaseId, 0, 0, TC_PREPARE_LOCK_CLASS);
	(void) LockAcquire(&prepare_tag, ShareLock, true, false);
	prepare_lock_held = true;
	(void) tc_notify_relay_ensure(true);
}

/*
 * tc_notify_relay_prepared
 *		At XACT_EVENT_PREPARE or an abort: the transaction shows in
 *		pg_prepared_xacts now, or never will; let go of the lock.
 */
void
tc_notify_relay_prepared(void)
{
	if (!prepare_lock_held)
		return;
	LockRelease(&prepare_tag, ShareLock, true);
	prepare_lock_held = false;
}

/*
 * relay_once
 *		One relay transaction: notify the events that committed since the
 *		cursor, whole canceling transactions at a time, up to the first one
 *		that would repeat a payload this relay transaction already sends for
 *		an earlier one (PostgreSQL would fold the two into one), or to about
 *		TC_RELAY_BATCH events; and move the cursor.  Returns how many events
 *		it handled (at least 1 when it stopped early: look again at once), 0
 *		when there was nothing, -1 when the database no longer has the
 *		relay's table.
 *
 * Events are read by transaction, then id, and the cursor remembers the
 * last transaction done, never a place inside one: so a transaction's
 * customer is notified once even when, as customers too long for a
 * payload all do, payloads of two transactions interleave by id.
 */
static int
relay_once(void)
{
	static SPIPlanPtr cursor_plan = NULL;
	static SPIPlanPtr events_plan = NULL;
	static SPIPlanPtr done_plan = NULL;
	static SPIPlanPtr part_plan = NULL;
	Oid			events_types[3] = {PG_SNAPSHOTOID, PG_SNAPSHOTOID, XID8OID};
	Oid			part_types[2] = {PG_SNAPSHOTOID, XID8OID};
	Datum		args[3];
	Datum		lower;
	Datum		upper;
	Datum		after;
	Portal		portal;
	bool		isnull;
	bool		stopped = false;
	bool		fresh;
	bool		more = true;
	HASHCTL		ctl;
	HTAB	   *heard;
	List	   *pending = NIL;	/* payloads of the current group, unsent */
	int			group = -1;
	uint64		group_txid = 0;
	int			group_events = 0;
	uint64		done_txid = 0;
	int			handled = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* one snapshot for the cursor, the events and the update */
	XactIsoLevel = XACT_REPEATABLE_READ;
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	if (!OidIsValid(relay_table()))
	{
		PopActiveSnapshot();
		SPI_finish();
		CommitTransactionCommand();
		return -1;
	}

	if (tc_execute_kept(&cursor_plan, cursor_sql, 0, NULL, NULL, NULL,
						SPI_OK_SELECT) != 1)
		elog(ERROR, "task_cancel.notify_relay must hold one row");
	lower = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	upper = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
						  &isnull);
	after = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3,
						  &isnull);
	fresh = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 4, &isnull));
	/* copied out of the tuple table, which the next statement frees */
	lower = datumCopy(lower, false, -1);
	upper = datumCopy(upper, false, -1);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(Heard);
	ctl.hash = heard_hash;
	ctl.match = heard_match;
	ctl.hcxt = CurrentMemoryContext;	/* SPI's: goes with SPI_finish() */
	heard = hash_create("task_cancel relay", 64, &ctl,
						HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);

	args[0] = lower;
	args[1] = upper;
	args[2] = after;
	portal = SPI_cursor_open(NULL,
							 tc_kept_plan(&events_plan, events_sql, 3,
										  events_types),
							 args, NULL, true);
	while (more && !stopped)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, 1000);
		more = SPI_processed > 0;
		/* one row past the end closes the last group */
		for (i = 0; i <= SPI_processed && !stopped; i++)
		{
			bool		last_row = i == SPI_processed;
			uint64		txid = 0;
			char	   *payload = NULL;
			Heard	   *h;
			bool		found;

			if (!last_row)
			{
				HeapTuple	tuple = SPI_tuptable->vals[i];
				TupleDesc	desc = SPI_tuptable->tupdesc;

				payload = SPI_getvalue(tuple, desc, 1);
				txid = U64FromFullTransactionId(
					DatumGetFullTransactionId(SPI_getbinval(tuple, desc, 2,
															&isnull)));

				/*
				 * Customers too long for a payload are all notified
				 * with "", which PostgreSQL folds like any payload.
				 */
				if (strlen(payload) >= TC_NOTIFY_PAYLOAD_MAX)
					payload = "";
			}
			else if (more)
				break;			/* the next fetch goes on */

			/* a group ends: send it, and stop after enough events */
			if (group >= 0 && (last_row || txid != group_txid))
			{
				ListCell   *lc;

				/* off for the database (ALTER DATABASE ... SET): move on silently */
				foreach(lc, pending)
				{
					if (tc_notify)
						Async_Notify(TC_EVENTS_CHANNEL, (char *) lfirst(lc));
				}
				list_free(pending);
				pending = NIL;
				handled += group_events;
				done_txid = group_txid;
				if (!last_row && handled >= TC_RELAY_BATCH)
					stopped = true;
			}
			if (last_row || stopped)
				break;

			if (group < 0 || txid != group_txid)
			{
				group++;
				group_txid = txid;
				group_events = 0;
			}
			group_events++;
			h = hash_search(heard, &payload, HASH_ENTER, &found);
			if (!found)
			{
				h->payload = payload;
				h->group = group;
				pending = lappend(pending, payload);
			}
			else if (h->group != group)
			{
				/* sent for an earlier group: this one starts the next look */
				stopped = true;
			}
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);

	if (stopped)
	{
		args[0] = upper;
		args[1] = FullTransactionIdGetDatum(FullTransactionIdFromU64(done_txid));
		tc_execute_kept(&part_plan, part_done_sql, 2, part_types, args, NULL,
						SPI_OK_UPDATE);
	}
	else if (handled > 0 || !fresh)
		tc_execute_kept(&done_plan, done_sql, 1, &events_types[1], &upper,
						NULL, SPI_OK_UPDATE);

	/*
	 * Else nothing committed since lower, and the cursor stays: the next
	 * look reads from lower to its own snapshot just as well.  A relay
	 * kept waiting by a prepared transaction writes nothing while idle.
	 */

	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	return stopped ? Max(handled, 1) : handled;
}

/*
 * prepared_transactions
 *		Whether database dbid has prepared transactions, which may have
 *		canceled something and commit later.
 */
static bool
prepared_transactions(Oid dbid)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtype = OIDOID;
	Datum		arg = ObjectIdGetDatum(dbid);
	bool		any;

	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	any = tc_execute_kept(&plan,
						  "SELECT 1 FROM pg_catalog.pg_prepared_xacts AS p"
						  "  JOIN pg_catalog.pg_database AS d ON d.datname = p.database"
						  " WHERE d.oid = $1 LIMIT 1",
						  1, &argtype, &arg, NULL, SPI_OK_SELECT) > 0;
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
	return any;
}

/*
 * Errors.  The relay must not exit without its hand-over, or transactions
 * that saw it running would go unheard until the next cancel starts a new
 * one.  So every step of its loops runs guarded: an error (most often the
 * relay's lock_timeout, when DDL such as DROP EXTENSION holds a table it
 * reads; or pg_cancel_backend()) is logged and undone, and the relay tries
 * again a little later.  Only a FATAL (pg_terminate_backend(), shutdown)
 * ends it without a hand-over.
 *
 * Undoing the transaction also lets go of the relay's session lock on
 * notify_relay, if it held one (PostgreSQL releases a session's
 * relation locks at an abort); *failed tells the caller to take it again
 * (take_hand_over_lock() takes it only if it is not held).
 */
static void
undo_error(MemoryContext context)
{
	MemoryContextSwitchTo(context);
	EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 TC_RELAY_RETRY_MS, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
}

/*
 * relay_once_guarded
 *		relay_once(), after a look for interrupts, guarded (above).
 */
static int
relay_once_guarded(bool *failed)
{
	MemoryContext context = CurrentMemoryContext;
	volatile int handled = 0;

	*failed = false;
	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
		handled = relay_once();
	}
	PG_CATCH();
	{
		undo_error(context);
		*failed = true;
		handled = 1;			/* not idle: look again */
	}
	PG_END_TRY();
	return handled;
}

/*
 * prepared_transactions_guarded
 *		prepared_transactions(), guarded; true (stay) after an error.
 */
static bool
prepared_transactions_guarded(Oid dbid)
{
	MemoryContext context = CurrentMemoryContext;
	volatile bool any = true;

	PG_TRY();
	{
		any = prepared_transactions(dbid);
	}
	PG_CATCH();
	{
		undo_error(context);
	}
	PG_END_TRY();
	return any;
}

/*
 * take_relay_lock
 *		Take L for this session.  A canceling transaction's look at L
 *		(relay_runs()) holds it for an instant in share mode, so a busy
 *		lock is tried a few times before it is taken for another relay's.
 */
static bool
take_relay_lock(LOCKTAG *tag)
{
	int			i;

	for (i = 0; i < 50; i++)
	{
		if (LockAcquire(tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL)
			return true;
		pg_usleep(1000L);
	}
	return false;
}

/*
 * take_hand_over_lock
 *		SHARE ROW EXCLUSIVE on notify_relay for this session, waiting for
 *		the canceling transactions that hold ROW EXCLUSIVE (no lock_timeout:
 *		they are committing); exiting, also for the transactions in the
 *		middle of PREPARE to show (lock P).  Guarded, and tried again until
 *		it succeeds.  False if the table is gone.
 */
static bool
take_hand_over_lock(LockRelId *relid, bool exiting)
{
	MemoryContext context = CurrentMemoryContext;

	for (;;)
	{
		volatile bool done = false;

		PG_TRY();
		{
			CHECK_FOR_INTERRUPTS();
			StartTransactionCommand();
			relid->relId = relay_table();
			SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
			if (OidIsValid(relid->relId))
			{
				LOCKTAG		held;

				/* an error outside a transaction leaves it held */
				SET_LOCKTAG_RELATION(held, relid->dbId, relid->relId);
				if (!tc_lock_held_by_me(&held, ShareRowExclusiveLock))
					LockRelationIdForSession(relid, ShareRowExclusiveLock);
			}
			if (OidIsValid(relid->relId) && exiting)
			{
				LOCKTAG		preparing;

				SET_LOCKTAG_ADVISORY(preparing, relid->dbId, 0, 0,
									 TC_PREPARE_LOCK_CLASS);
				(void) LockAcquire(&preparing, ExclusiveLock, false, false);
				LockRelease(&preparing, ExclusiveLock, false);
			}
			SetConfigOption("lock_timeout", CppAsString2(TC_RELAY_LOCK_TIMEOUT_MS),
							PGC_SUSET, PGC_S_OVERRIDE);
			CommitTransactionCommand();
			done = true;
		}
		PG_CATCH();
		{
			undo_error(context);
			SetConfigOption("lock_timeout", CppAsString2(TC_RELAY_LOCK_TIMEOUT_MS),
							PGC_SUSET, PGC_S_OVERRIDE);
		}
		PG_END_TRY();
		if (done)
			return OidIsValid(relid->relId);
	}
}

/*
 * hand_over
 *		Take SHARE ROW EXCLUSIVE on notify_relay for this session (file
 *		header); an exiting relay then reads until nothing is left.  Lets go
 *		of the lock again.  False if the table is gone, or if an exiting
 *		relay must stay after all: a transaction that was being prepared
 *		as it decided to stop has shown up in pg_prepared_xacts (the lock
 *		waited for it) and L could be taken back.
 */
static bool
hand_over(Oid dbid, bool exiting, LOCKTAG *tag)
{
	LockRelId	relid;

	relid.dbId = dbid;
	if (!take_hand_over_lock(&relid, exiting))
		return false;
	if (exiting)
	{
		for (;;)
		{
			bool		failed;
			int			handled = relay_once_guarded(&failed);

			/* the abort let go of the session lock: take it again */
			if (failed && !take_hand_over_lock(&relid, exiting))
				return false;
			if (!failed && handled <= 0)
				break;
		}
		if (prepared_transactions_guarded(dbid) && take_relay_lock(tag))
		{
			UnlockRelationIdForSession(&relid, ShareRowExclusiveLock);
			return false;		/* stay: L is ours again */
		}
	}
	UnlockRelationIdForSession(&relid, ShareRowExclusiveLock);
	return true;
}

/*
 * tc_notify_relay_main
 *		The relay: bgw_main_arg is the database.  Runs while there is work,
 *		exits after TC_RELAY_IDLE_MS without (file header).
 */
void
tc_notify_relay_main(Datum main_arg)
{
	Oid			dbid = DatumGetObjectId(main_arg);
	LOCKTAG		tag;
	TimestampTz last_work;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);
	pgstat_report_appname("task_cancel notify relay");

	/* its own transactions may commit asynchronously: nothing waits */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * The relay gives way to DDL: it waits for a table lock at most this
	 * long, less than any sensible deadlock_timeout, so that in a deadlock
	 * with, say, DROP EXTENSION it is always the relay that fails (and
	 * tries again), never the operator's command.
	 */
	SetConfigOption("lock_timeout", CppAsString2(TC_RELAY_LOCK_TIMEOUT_MS),
					PGC_SUSET, PGC_S_OVERRIDE);

	relay_tag(&tag, dbid);
	if (!take_relay_lock(&tag))
		proc_exit(0);			/* another relay runs */
	if (!hand_over(dbid, false, &tag))
		proc_exit(0);			/* the extension is gone */

again:
	last_work = GetCurrentTimestamp();
	for (;;)
	{
		int			handled;
		bool		failed;

		handled = relay_once_guarded(&failed);
		if (handled < 0)
			proc_exit(0);		/* the extension is gone */
		if (handled > 0)
		{
			last_work = GetCurrentTimestamp();
			continue;
		}
		if (TimestampDifferenceExceeds(last_work, GetCurrentTimestamp(),
									   TC_RELAY_IDLE_MS))
		{
			if (!prepared_transactions_guarded(dbid))
				break;
			last_work = GetCurrentTimestamp();	/* wait for their commit */
		}
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 TC_RELAY_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}

	/*
	 * Idle: hand over.  Let go of L, wait for every canceling transaction
	 * that may have seen it held, then read until nothing is left.
	 */
	LockRelease(&tag, ExclusiveLock, true);
	if (!hand_over(dbid, true, &tag) && OidIsValid(relay_table_now()))
		goto again;
	proc_exit(0);
}
