/*-------------------------------------------------------------------------
 *
 * block_list.c
 *	  The block list: block_customer(), unblock_customer(), and the
 *	  trigger block_list_guard() that creates a blocked customer's new
 *	  cancelable tasks already canceled.
 *
 * The race that matters is a block against a task being created for the
 * same customer at the same moment.  Neither transaction sees the other's
 * uncommitted row, so without care the block would cancel the tasks it
 * sees, the creator would find no block, and a pending task of a blocked
 * customer would survive both commits.  Each side therefore looks for the
 * other's uncommitted row, with a dirty snapshot (which shows rows of
 * transactions still in progress, as a unique index check does), and
 * waits for that transaction only -- a transaction of the same customer:
 *
 *	- The creator (trigger block_list_guard, BEFORE INSERT) finds a block
 *	  that is being recorded, waits for that transaction to end and looks
 *	  again: committed, the task is born canceled; rolled back, it is
 *	  created as asked.
 *	- block_customer(), after recording the block, finds the customer's
 *	  tasks that other transactions have inserted and not yet committed,
 *	  waits for those transactions, and then cancels what is waiting; its
 *	  READ COMMITTED cancel sees their tasks.
 *
 * That leaves the gap between a creator's look and its row reaching the
 * table: a creator that looked just before the block was recorded, whose
 * row the block's scan comes too early to see.  The creator covers the
 * gap with a lock in PostgreSQL's lock manager on the customer's bucket
 * (an advisory-type lock tag with our own class number, so it never
 * collides with the application's pg_advisory_lock() keys; customers are
 * hashed into TC_BLOCK_LOCK_BUCKETS buckets), in share mode, taken before
 * it looks and released by trigger zz_check_new_task (AFTER INSERT, see
 * tc_block_list_settle()) once the row is in the table and its indexes.  block_customer() takes the
 * bucket in exclusive mode after recording the block and releases it at
 * once: that waits for the creators of the bucket in the middle of an
 * insert, and only for them.
 *
 * Why this never deadlocks transactions that share no customer: the only
 * waits that last are for a transaction of the same customer.  The bucket
 * lock is held for one INSERT statement at most, by a creator that waits
 * for nothing of ours meanwhile (it lets go of its bucket before it waits
 * for a block being recorded), and the block holds it for no time at all.
 * Why buckets and not one lock per customer: one INSERT of 100,000
 * customers' tasks holds the lock of each until the statement ends, and
 * one lock per customer would run the shared lock table out of space; with
 * buckets it holds at most 256.  (A database still on 1.1 has no AFTER
 * trigger: there the bucket lock is kept until the transaction ends,
 * which is correct but lets a block wait for a whole transaction.)
 *
 *	- The trigger checks key equality itself: the hash index stores only
 *	  the hash code, and two customers may share one (every probe is
 *	  rechecked, as the executor would).
 *	- Under REPEATABLE READ or SERIALIZABLE, block_customer()'s snapshot
 *	  may predate a task committed before it got the lock.  After
 *	  canceling it looks again with the newest snapshot; a waiting task it
 *	  could not see raises 40001 for the caller to retry, rather than
 *	  leaving it behind.
 *	- A born-canceled task's event and lookups are written and read with
 *	  the rights of the table's owner, as ri_triggers.c checks foreign
 *	  keys: any role allowed to INSERT into tasks can create a blocked
 *	  customer's task, without rights on cancel_events or the lookup
 *	  tables.  The block list is probed as the owner too: on Citus,
 *	  Citus's function that finds its shard checks the caller's rights.
 *
 * Rows that carry an earlier created_at than the inserting transaction's
 * start -- what pg_dump restores, or an import of history -- are records
 * of the past and are stored as given.  A task created now has created_at
 * = now(), the transaction's start, from the column's default; or it has
 * no created_at (NULL), and the trigger sets it to the transaction's start
 * of the node that stores the row.  The second is how a task created
 * through a Citus coordinator arrives: Citus evaluates the functions of an
 * INSERT into a distributed table, now() in a default included, on the
 * node that plans it, whose transaction began before the worker's (and
 * may read another machine's clock), so the worker would take a task
 * created that moment for history.  On Citus the distributed table
 * therefore has no default for created_at (prepare_node() in citus.c),
 * and only the node that stores a row says when it was created.  A
 * restore always gives created_at (the column is NOT NULL).
 *
 * IDENTIFICATION
 *	  src/block_list.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_block_customer);
PG_FUNCTION_INFO_V1(tc_unblock_customer);
PG_FUNCTION_INFO_V1(tc_block_list_guard);

/* The block lock: class (objsubid in pg_locks), buckets (objid). */
#define TC_BLOCK_LOCK_CLASS 0x7443
#define TC_BLOCK_LOCK_BUCKETS 256

static const char *const insert_block_sql =
"INSERT INTO task_cancel.blocked_customers"
" (customer, reason, blocked_by_journey_id)"
" VALUES ($1, $2, $3)"
" ON CONFLICT (customer) DO NOTHING";

static const char *const delete_block_sql =
"DELETE FROM task_cancel.blocked_customers WHERE customer = $1";

/* The customer's waiting, cancelable tasks, locked as cancel_tasks does. */
static const char *const lock_waiting_sql =
"SELECT t.id"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1"
"   AND t.status IN ('pending', 'reserved')"
"   AND t.completed_at IS NULL AND t.canceled_at IS NULL"
"   AND t.task_type = ANY ($2)"
" ORDER BY t.id"
"   FOR NO KEY UPDATE";

/* Run with the newest snapshot: is a waiting task left that we missed? */
static const char *const any_waiting_sql =
"SELECT t.id"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1"
"   AND t.status IN ('pending', 'reserved')"
"   AND t.completed_at IS NULL AND t.canceled_at IS NULL"
"   AND t.task_type = ANY ($2)"
" LIMIT 1";

/* A row of blocked_customers, as the trigger needs it. */
typedef struct CustomerBlock
{
	Datum		reason;			/* text */
	bool		has_journey;
	int64		journey_id;
} CustomerBlock;

/*
 * What the trigger looks up by name, once per backend: it runs for every
 * task created.  The column numbers of tasks it reads on every row, and
 * the ids of blocked_customers and its hash index.  Forgotten when the
 * relcache entry of either table is invalidated (ALTER TABLE, DROP
 * EXTENSION, ...), and looked up again.
 */
typedef struct GuardColumns
{
	Oid			relid;			/* tasks; InvalidOid: not looked up */
	AttrNumber	customer;
	AttrNumber	status;
	AttrNumber	created_at;
} GuardColumns;

static GuardColumns guard_cols = {InvalidOid};
static Oid	block_relid = InvalidOid;
static Oid	block_indexid = InvalidOid;
static bool callback_registered = false;

/*
 * set_bucket_locktag
 *		The block lock tag of customer's bucket.
 */
static void
set_bucket_locktag(LOCKTAG *tag, Datum customer)
{
	text	   *t = DatumGetTextPP(customer);
	uint32		h = hash_bytes((const unsigned char *) VARDATA_ANY(t),
							   VARSIZE_ANY_EXHDR(t));

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 0, h % TC_BLOCK_LOCK_BUCKETS,
						 TC_BLOCK_LOCK_CLASS);
}

/*
 * same_text
 *		Whether two text Datums hold the same bytes (the default collation
 *		is deterministic, so this is text equality).
 */
static bool
same_text(Datum a, Datum b)
{
	text	   *ta = DatumGetTextPP(a);
	text	   *tb = DatumGetTextPP(b);

	return VARSIZE_ANY_EXHDR(ta) == VARSIZE_ANY_EXHDR(tb) &&
		memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(ta)) == 0;
}

/*
 * block_reason
 *		The cancel_reason of a task canceled because of a block.
 */
static Datum
block_reason(Datum reason)
{
	return CStringGetTextDatum(psprintf("Customer is on the block list: %s",
										TextDatumGetCString(reason)));
}

/*
 * forget_relations
 *		Relcache callback: forget what was looked up about tasks or
 *		blocked_customers when it (or every relation, InvalidOid) is
 *		invalidated.
 */
static void
forget_relations(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == block_relid)
	{
		block_relid = InvalidOid;
		block_indexid = InvalidOid;
	}
	if (relid == InvalidOid || relid == guard_cols.relid)
		guard_cols.relid = InvalidOid;
}

/*
 * register_callback
 *		Register forget_relations() once per backend.
 */
static void
register_callback(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_relations, (Datum) 0);
		callback_registered = true;
	}
}

/*
 * shard_relations
 *		On Citus (src/citus.c): the shard of table (in nsp) that holds
 *		customer, and that shard's copy of index, which Citus names
 *		"<index>_<shard id>" as it names the shard "<table>_<shard id>".
 *		False, and nothing set, where the table is not distributed.
 */
static bool
shard_relations(Oid nsp, const char *table, const char *index, Datum customer,
				Oid *relid, Oid *indexid)
{
	Oid			logical = get_relname_relid(table, nsp);
	Oid			shard;

	if (!OidIsValid(logical))
		elog(ERROR, "relation \"%s\" does not exist", table);
	shard = tc_shard_of(logical, customer);
	if (shard == logical)
		return false;
	*relid = shard;
	*indexid = get_relname_relid(psprintf("%s%s", index,
										  get_rel_name(shard) + strlen(table)),
								 get_rel_namespace(shard));
	if (!OidIsValid(*indexid))
		elog(ERROR, "index \"%s\" of relation \"%s\" does not exist",
			 index, get_rel_name(shard));
	return true;
}

/*
 * find_block
 *		Look customer up in blocked_customers (in schema nsp, where tasks
 *		is) with a dirty snapshot.  Returns true and fills *block, in the
 *		current memory context, if the customer is blocked; false if not,
 *		or if another transaction is recording a block right now -- then
 *		*wait_for is that transaction (else InvalidTransactionId), for the
 *		caller to wait for and look again.
 *
 * A block being lifted (unblock_customer() in progress) still counts: the
 * task is created before that unblock commits.
 *
 * A direct index probe rather than a query: this runs for every task
 * created, and a probe costs a small fraction of an executor start.  The
 * index is a hash index (blocked_customers_probe_idx): the probe is only
 * ever for equality, and hashing the key costs about half of a btree
 * descent through the primary key (measured: the whole check 16,700
 * instructions with the btree, 11,700 with the hash index).  A hash index
 * returns every row whose customer has the same hash code, so each row is
 * compared with the key.  Keeps the AccessShareLocks on the table and
 * index until the transaction ends, as a query would.
 */
static bool
find_block(Oid nsp, Datum customer, CustomerBlock *block,
		   TransactionId *wait_for)
{
	Relation	brel;
	Relation	irel;
	SnapshotData dirty;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	customer_col;
	Oid			shard;
	Oid			indexid;
	bool		found = false;

	register_callback();
	if (tc_citus_loaded() &&
		shard_relations(nsp, "blocked_customers", "blocked_customers_probe_idx",
						customer, &shard, &indexid))
		brel = table_open(shard, AccessShareLock);
	else if (!OidIsValid(block_relid))
	{
		Oid			relid = get_relname_relid("blocked_customers", nsp);

		if (!OidIsValid(relid))
			elog(ERROR, "relation \"blocked_customers\" does not exist");
		brel = table_open(relid, AccessShareLock);
		block_indexid = get_relname_relid("blocked_customers_probe_idx", nsp);
		if (!OidIsValid(block_indexid))
			elog(ERROR, "index \"blocked_customers_probe_idx\" does not exist");
		block_relid = relid;
		indexid = block_indexid;
	}
	else
	{
		brel = table_open(block_relid, AccessShareLock);
		indexid = block_indexid;
	}
	irel = index_open(indexid, AccessShareLock);
	customer_col = tc_column_number(brel, "customer", false);
	slot = table_slot_create(brel, NULL);
	InitDirtySnapshot(dirty);
	*wait_for = InvalidTransactionId;

	ScanKeyInit(&key, 1, HTEqualStrategyNumber, F_TEXTEQ, customer);
	key.sk_collation = irel->rd_indcollation[0];
	scan = tc_index_beginscan(brel, irel, &dirty, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, customer_col, &isnull);

		if (isnull || !same_text(value, customer))
			continue;			/* another customer with the same hash */
		if (TransactionIdIsValid(dirty.xmin))
		{
			*wait_for = dirty.xmin; /* being recorded right now */
			break;
		}
		found = true;
		block->reason = datumCopy(slot_getattr(slot,
											   tc_column_number(brel, "reason", false),
											   &isnull),
								  false, -1);
		block->journey_id = DatumGetInt64(
			slot_getattr(slot, tc_column_number(brel, "blocked_by_journey_id", false),
						 &isnull));
		block->has_journey = !isnull;
		break;
	}
	index_endscan(scan);

	ExecDropSingleTupleTableSlot(slot);
	index_close(irel, NoLock);
	table_close(brel, NoLock);

	return found;
}

/*
 * wait_for_creators
 *		Wait for every other transaction that has inserted a task of
 *		customer and not yet ended (a dirty scan of the customer's open
 *		tasks; only a creator of a waiting task matters, and such a task is
 *		open).  Called by block_customer() after it recorded the block and
 *		waited for the creators in the middle of an insert.
 *
 * tasks_open_idx (1.2) holds only open tasks, so the scan does not read the
 * customer's history; a 1.0 or 1.1 database has only tasks_pkey, whose
 * first column is customer too.
 */
static void
wait_for_creators(Oid nsp, Datum customer)
{
	Oid			relid;
	Oid			indexid;
	Relation	rel;
	Relation	irel;
	SnapshotData dirty;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	TransactionId *xids;
	int			nxids = 0;
	int			cap = 8;
	int			i;

	if (!tc_citus_loaded() ||
		!shard_relations(nsp, "tasks", "tasks_open_idx", customer, &relid,
						 &indexid))
	{
		relid = get_relname_relid("tasks", nsp);
		indexid = get_relname_relid("tasks_open_idx", nsp);
		if (!OidIsValid(indexid))
			indexid = get_relname_relid("tasks_pkey", nsp);
		if (!OidIsValid(relid) || !OidIsValid(indexid))
			elog(ERROR, "relation \"tasks\" or index \"tasks_pkey\" does not exist");
	}
	rel = table_open(relid, AccessShareLock);
	irel = index_open(indexid, AccessShareLock);
	slot = table_slot_create(rel, NULL);
	InitDirtySnapshot(dirty);
	xids = palloc(sizeof(TransactionId) * cap);

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ, customer);
	key.sk_collation = irel->rd_indcollation[0];
	scan = tc_index_beginscan(rel, irel, &dirty, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		if (!TransactionIdIsValid(dirty.xmin))
			continue;
		if (nxids == cap)
		{
			cap *= 2;
			xids = repalloc(xids, sizeof(TransactionId) * cap);
		}
		xids[nxids++] = dirty.xmin;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	for (i = 0; i < nxids; i++)
		XactLockTableWait(xids[i], rel, NULL, XLTW_None);

	index_close(irel, NoLock);
	table_close(rel, NoLock);
}

/*
 * journey_name
 *		The journey's current name as text, or (Datum) 0 if it is not
 *		registered.  Must run inside SPI, after tc_lookup_accept_changes().
 */
static Datum
journey_name(int64 journey_id)
{
	char	   *name = tc_journey_name(journey_id);

	return name != NULL ? CStringGetTextDatum(name) : (Datum) 0;
}

/*
 * block_customer(customer text, reason text, journey_id bigint DEFAULT NULL)
 *		RETURNS integer
 *
 * Records the block (blocking again keeps the first record) and cancels
 * every waiting, cancelable task of the customer now; returns how many.
 * customer or reason NULL: 22004, empty: 22023; the customer an array
 * literal: 22023, too long: 22001 (tc_customer_arg()); journey_id not
 * registered: 22023.  Waits for transactions recording a block of, or
 * creating a task for, the same customer (file header); takes the
 * customer's bucket lock in exclusive mode and releases it at once.  Locks the blocked_customers
 * row, then the tasks in ascending id order, until the transaction ends.  Under REPEATABLE READ or SERIALIZABLE, 40001 if a
 * waiting task committed that the transaction's snapshot cannot see.
 */
Datum
tc_block_customer(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr insert_plan = NULL;
	static SPIPlanPtr lock_plan = NULL;
	static SPIPlanPtr check_plan = NULL;
	Datum		customer = PointerGetDatum(tc_customer_arg(fcinfo, 0));
	Datum		reason = PointerGetDatum(tc_text_arg(fcinfo, 1, "reason"));
	bool		has_journey = !PG_ARGISNULL(2);
	Oid			insert_types[3] = {TEXTOID, TEXTOID, INT8OID};
	Datum		insert_values[3];
	char		insert_nulls[3] = {' ', ' ', ' '};
	Oid			lock_types[2] = {TEXTOID, TEXTARRAYOID};
	Datum		lock_values[2];
	CancelAudit audit = {0};
	CustomerBlock existing;
	LOCKTAG		bucket;
	Oid			nsp;
	uint64		n;

	audit.mode = "block";
	audit.arg = reason;
	audit.has_journey = has_journey;
	audit.journey_id = has_journey ? PG_GETARG_INT64(2) : 0;
	audit.reason = block_reason(reason);

	SPI_connect();
	tc_lookup_accept_changes();
	if (has_journey)
	{
		audit.journey_name = journey_name(audit.journey_id);
		if (audit.journey_name == (Datum) 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("journey %lld is not registered",
							(long long) audit.journey_id),
					 errhint("Register it first with task_cancel.register_journey(id, name), or pass NULL.")));
	}

	/*
	 * Wait for another block of this customer being recorded right now, so
	 * that the INSERT below does not have to.
	 */
	nsp = get_namespace_oid("task_cancel", false);
	for (;;)
	{
		TransactionId wait_for;

		(void) find_block(nsp, customer, &existing, &wait_for);
		if (!TransactionIdIsValid(wait_for))
			break;
		XactLockTableWait(wait_for, NULL, NULL, XLTW_None);
	}
	insert_values[0] = customer;
	insert_values[1] = reason;
	insert_values[2] = Int64GetDatum(audit.journey_id);
	insert_nulls[2] = has_journey ? ' ' : 'n';
	tc_execute_kept(&insert_plan, insert_block_sql, 3, insert_types,
					insert_values, insert_nulls, SPI_OK_INSERT);

	/*
	 * Creators that look from now on find the block.  Wait for those that
	 * looked before and are still inserting (the bucket lock, file header),
	 * then for every transaction whose task of the customer is not yet
	 * committed; after that the cancel below sees all of their tasks.
	 */
	set_bucket_locktag(&bucket, customer);
	(void) LockAcquire(&bucket, ExclusiveLock, false, false);
	LockRelease(&bucket, ExclusiveLock, false);
	wait_for_creators(nsp, customer);

	lock_values[0] = customer;
	lock_values[1] = tc_cancelable_types();
	n = tc_execute_kept(&lock_plan, lock_waiting_sql, 2, lock_types,
						lock_values, NULL, SPI_OK_SELECT);
	if (n > 0)
	{
		Datum	   *ids = palloc(sizeof(Datum) * n);
		uint64		row;
		bool		isnull;

		for (row = 0; row < n; row++)
			ids[row] = SPI_getbinval(SPI_tuptable->vals[row],
									 SPI_tuptable->tupdesc, 1, &isnull);
		tc_cancel_one(customer,
					  PointerGetDatum(construct_array_builtin(ids, (int) n,
															  INT8OID)),
					  n, &audit);
	}

	if (IsolationUsesXactSnapshot())
	{
		int			rc;

		rc = SPI_execute_snapshot(tc_kept_plan(&check_plan, any_waiting_sql,
											   2, lock_types),
								  lock_values, NULL, GetLatestSnapshot(),
								  InvalidSnapshot, false, false, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "SPI_execute_snapshot returned %s",
				 SPI_result_code_string(rc));
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to a task created concurrently for the customer"),
					 errdetail("A waiting task of the customer was committed after this transaction's snapshot was taken."),
					 errhint("The transaction might succeed if retried.")));
	}
	SPI_finish();

	PG_RETURN_INT32((int32) n);
}

/*
 * unblock_customer(customer text) RETURNS boolean
 *
 * Takes the customer off the block list; true if they were on it.  Tasks
 * already canceled stay canceled.  customer NULL: 22004, empty or an array
 * literal: 22023, too long: 22001 (tc_customer_arg()).
 */
Datum
tc_unblock_customer(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	Datum		customer = PointerGetDatum(tc_customer_arg(fcinfo, 0));
	Oid			argtype = TEXTOID;
	uint64		n;

	SPI_connect();
	n = tc_execute_kept(&plan, delete_block_sql, 1, &argtype, &customer,
						NULL, SPI_OK_DELETE);
	SPI_finish();

	PG_RETURN_BOOL(n > 0);
}

/*
 * guard_columns
 *		The column numbers of tasks that every row needs, found by name
 *		once per backend (see guard_cols).  The rare path of a blocked
 *		customer looks up the others when it needs them.
 */
static const GuardColumns *
guard_columns(Relation rel)
{
	register_callback();
	if (guard_cols.relid != RelationGetRelid(rel))
	{
		guard_cols.relid = InvalidOid;
		guard_cols.customer = tc_column_number(rel, "customer", false);
		guard_cols.status = tc_column_number(rel, "status", false);
		guard_cols.created_at = tc_column_number(rel, "created_at", false);
		guard_cols.relid = RelationGetRelid(rel);
	}
	return &guard_cols;
}

/*
 * is_waiting_status
 *		Whether a status text is "pending" or "reserved".
 */
static bool
is_waiting_status(Datum status)
{
	char	   *s = TextDatumGetCString(status);

	return strcmp(s, "pending") == 0 || strcmp(s, "reserved") == 0;
}

/*
 * born_canceled
 *		newtuple, canceled because of block: the audit columns filled, its
 *		event written and notified.  NULL if its type is not cancelable.
 *
 * Connects to SPI itself and runs as the table's owner (file header); the
 * returned tuple is made in the caller's memory context.
 */
static HeapTuple
born_canceled(Relation rel, HeapTuple newtuple, Datum customer,
			  const CustomerBlock *block)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec_context;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	CancelAudit audit = {0};
	char	   *label;
	bool		cancelable;
	bool		isnull;
	Datum		id;
	int64		event_id;
	int			columns[7];
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, true};
	int			ncolumns = 6;
	HeapTuple	result;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(RelationGetForm(rel)->relowner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
	SPI_connect();
	tc_lookup_accept_changes();
	if (!tc_task_type(TextDatumGetCString(heap_getattr(newtuple,
													   tc_column_number(rel, "task_type", false),
													   tupdesc, &isnull)),
					  &label, &cancelable) || !cancelable)
	{
		SPI_finish();
		SetUserIdAndSecContext(save_userid, save_sec_context);
		return NULL;
	}

	audit.mode = "block";
	audit.arg = block->reason;
	audit.has_journey = block->has_journey;
	audit.journey_id = block->journey_id;
	if (block->has_journey)
		audit.journey_name = journey_name(block->journey_id);
	audit.reason = block_reason(block->reason);

	id = heap_getattr(newtuple, tc_column_number(rel, "id", false), tupdesc, &isnull);
	event_id = tc_insert_event(customer,
							   PointerGetDatum(construct_array_builtin(&id, 1,
																	   INT8OID)),
							   &audit);

	columns[0] = tc_column_number(rel, "status", false);
	values[0] = CStringGetTextDatum("canceled");
	columns[1] = tc_column_number(rel, "canceled_at", false);
	values[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	columns[2] = tc_column_number(rel, "canceled_by_journey_id", false);
	values[2] = Int64GetDatum(audit.journey_id);
	nulls[2] = !audit.has_journey;
	columns[3] = tc_column_number(rel, "canceled_by_journey_name", false);
	values[3] = audit.journey_name;
	nulls[3] = audit.journey_name == (Datum) 0;
	columns[4] = tc_column_number(rel, "cancel_reason", false);
	values[4] = audit.reason;
	columns[5] = tc_column_number(rel, "cancel_event_id", false);
	values[5] = Int64GetDatum(event_id);
	/* a canceled task has no deadline (1.2) */
	columns[6] = tc_column_number(rel, "expires_at", true);
	values[6] = (Datum) 0;
	if (columns[6] != InvalidAttrNumber)
		ncolumns = 7;

	MemoryContextSwitchTo(caller);
	result = heap_modify_tuple_by_cols(newtuple, tupdesc, ncolumns, columns,
									   values, nulls);
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);

	return result;
}

/*
 * tc_block_list_settle
 *		The row tuple of rel (tasks) is in the table: release its
 *		customer's bucket lock, if this backend holds it (file header).
 *		Called by the AFTER INSERT trigger check_new_task().
 */
void
tc_block_list_settle(Relation rel, HeapTuple tuple)
{
	const GuardColumns *cols = guard_columns(rel);
	bool		isnull;
	Datum		customer = heap_getattr(tuple, cols->customer,
										RelationGetDescr(rel), &isnull);
	LOCKTAG		bucket;

	if (isnull)
		return;
	set_bucket_locktag(&bucket, customer);
	if (tc_lock_held_by_me(&bucket, ShareLock))
		LockRelease(&bucket, ShareLock, false);
}

/*
 * tc_block_list_guard
 *		BEFORE INSERT FOR EACH ROW trigger on task_cancel.tasks.
 *
 * Returns the row to insert: as given, or -- for a waiting, cancelable
 * task of a blocked customer, created now -- canceled with the block's
 * audit and a cancel event.  For every row created now in a waiting
 * status it takes the customer's bucket lock in share mode, which the
 * AFTER INSERT trigger releases once the row is in the table (file
 * header); it lets go of the lock while it waits for a block being
 * recorded.  Raises 39P01 when attached any other way.  A row without
 * created_at is created now: it gets this transaction's start.
 */
Datum
tc_block_list_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	const GuardColumns *cols;
	HeapTuple	newtuple;
	Datum		value;
	Datum		customer;
	bool		isnull;
	CustomerBlock block;
	LOCKTAG		bucket;
	HeapTuple	canceled;
	bool		blocked;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"block_list_guard\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"block_list_guard\" must be fired BEFORE INSERT FOR EACH ROW")));

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	cols = guard_columns(rel);
	newtuple = trigdata->tg_trigtuple;

	/*
	 * No created_at: a task created now, stamped here (file header).
	 * History (restores, imports) and non-waiting tasks pass untouched.
	 */
	value = heap_getattr(newtuple, cols->created_at, tupdesc, &isnull);
	if (isnull)
	{
		int			column = cols->created_at;
		Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		bool		notnull = false;

		newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &column,
											 &now, &notnull);
	}
	else if (DatumGetTimestampTz(value) < GetCurrentTransactionStartTimestamp())
		return PointerGetDatum(newtuple);
	value = heap_getattr(newtuple, cols->status, tupdesc, &isnull);
	if (isnull || !is_waiting_status(value))
		return PointerGetDatum(newtuple);
	customer = heap_getattr(newtuple, cols->customer, tupdesc, &isnull);
	if (isnull)
		return PointerGetDatum(newtuple);	/* NOT NULL will reject it */

	set_bucket_locktag(&bucket, customer);
	for (;;)
	{
		TransactionId wait_for;
		Oid			save_userid;
		int			save_sec_context;

		(void) LockAcquire(&bucket, ShareLock, false, false);
		/* as the owner: on Citus, finding the shard checks SELECT rights */
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(RelationGetForm(rel)->relowner,
							   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_NOFORCE_RLS);
		blocked = find_block(RelationGetNamespace(rel), customer, &block,
							 &wait_for);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		if (!TransactionIdIsValid(wait_for))
			break;
		LockRelease(&bucket, ShareLock, false);
		XactLockTableWait(wait_for, rel, NULL, XLTW_None);
	}
	if (!blocked)
		return PointerGetDatum(newtuple);

	canceled = born_canceled(rel, newtuple, customer, &block);
	return PointerGetDatum(canceled != NULL ? canceled : newtuple);
}
