/*-------------------------------------------------------------------------
 *
 * event_order.c
 *	  One customer's cancel events in commit order (1.3): writers of the
 *	  same customer's events draw their ids in the order they commit.
 *
 * cancel_events_since() hands out events in batches of transactions that
 * ended between two snapshots, each batch in id order (see
 * cancel_events_since.c).  Across batches that is commit order; within a
 * batch it is commit order only if ids were drawn in commit order.  Two
 * cancels of one customer that lock disjoint tasks (two journeys, two task
 * types) never wait for each other, so the later id could commit first,
 * and a consumer that keeps "the latest cancel of each customer" would
 * keep the wrong one.
 *
 * So before an event of customer X gets its id, its writer looks for an
 * event of X that another transaction has written and not yet ended (a
 * dirty scan of the customer's events, newest first), and if there is
 * one, waits for that transaction to end and looks again.  The id is
 * drawn only once no other writer of X is in progress; the writer that
 * waited therefore commits after the one it waited for, with a larger id.
 *
 * Two writers could look at the same moment, each before the other's row
 * is in the index, and neither would wait.  A lock closes that gap: the
 * writer holds a lock on X from before its look until its row is in the
 * table and its indexes.  It is a lock in PostgreSQL's lock manager with
 * an advisory-type tag of our own class (TC_ORDER_LOCK_CLASS, so it never
 * meets the application's pg_advisory_lock() keys) and the customer's
 * 64-bit hash as key.  With it, of two writers of X in progress at once,
 * the second to look finds the first's row and waits.
 *
 * The look (a dirty index scan and a heap fetch) costs more than the rest
 * of the protocol, and most transactions write events of one customer or
 * a few.  So a transaction keeps the order locks of its first
 * TC_ORDER_KEEP customers until it ends: while it holds X's, no other
 * writer of X can write, and a writer that gets X's lock knows that every
 * earlier writer of X that kept its lock has ended.  Only writers that let
 * go of X's lock after their insert (customers beyond a transaction's
 * first TC_ORDER_KEEP) can be in progress unseen; such a transaction first
 * takes the "many customers" lock (TC_MANY_LOCK_CLASS, one per database)
 * in share mode and holds it to its end.  A writer that holds X's lock
 * therefore looks only if some transaction holds the many-customers lock:
 * a test of it in exclusive mode that never waits (its own share lock
 * does not count).  Hence:
 *
 *	- A writer never waits for a transaction while holding a lock it lets
 *	  go of at its insert (it lets go first); the locks it keeps are those
 *	  of customers whose events it has written, which other writers of
 *	  them would wait for anyway (for the commit of the transaction whose
 *	  event they would find).  A rollback to a savepoint lets go of the
 *	  locks kept since, with the events they guarded.  An insert of ours
 *	  made inside another (a cancel run by an operator's trigger on
 *	  cancel_events) sets the outer one's lock aside until it is done, and
 *	  waits while holding it; an operator's own insert made there keeps
 *	  its lock to the transaction's end.  A transaction holds at most
 *	  TC_ORDER_KEEP order locks to its end, plus one that it holds for an
 *	  insert, plus the many-customers lock, whatever the number of
 *	  customers in it (100,000 customers in one transaction take no more
 *	  lock-table space than five, plus one for each event an operator's
 *	  trigger inserts while one of ours goes in).
 *	- Transactions that share no customer never wait for each other's end.
 *	  Two customers whose 64-bit hashes collide may wait for each other.
 *	  Taking the many-customers lock waits at most for another writer's
 *	  instant test of it.
 *	- Only the newest visible event of X need be looked at: by the rules
 *	  above, an event of another transaction still in progress is newer
 *	  than every committed event of X.
 *	- Transactions that write events of a common customer may now wait for
 *	  each other even when they cancel disjoint tasks, and such a wait can
 *	  close a cycle with a row lock (a transaction that cancels X twice,
 *	  once waiting on a task the other holds): PostgreSQL's deadlock check
 *	  then fails one of them with 40P01, to be retried.  That is the price
 *	  of commit order per customer.
 *
 * Which inserts follow the protocol: those the extension makes itself
 * (every cancel path brackets its event insert with tc_event_order_begin()
 * and tc_event_order_end()), and inserts that leave id NULL (on Citus the
 * id is drawn on the node that stores the row).  An operator's INSERT with
 * an id, or a restore by pg_dump, keeps the id it brings.  An insert that
 * no bracket of ours surrounds in this backend -- an operator's INSERT with
 * a NULL id, or on Citus a row a coordinator sends to a worker -- follows
 * the same rules, except that an order lock it would let go of after the
 * insert is held until the backend's next event or the end of the
 * transaction: a writer of the same customer waits then for the commit,
 * as the protocol makes it do anyway.  The work is done
 * by trigger stamp_cancel_event (cancel_events_since.c), which fires on
 * the node and the shard that store the row, and under every
 * session_replication_role since 1.2 (ENABLE ALWAYS).
 *
 * IDENTIFICATION
 *	  src/event_order.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_collation_d.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "task_cancel.h"

/*
 * The order lock's class (objsubid in pg_locks), and the many-customers
 * lock's; block_list.c has 0x7443, notify_relay.c 0x7446 to 0x7448.
 */
#define TC_ORDER_LOCK_CLASS 0x7445
#define TC_MANY_LOCK_CLASS 0x7449

/* Customers whose order locks a transaction keeps until it ends. */
#define TC_ORDER_KEEP 4

/* Inside an insert of ours (tc_event_order_begin .. _end). */
static bool in_our_insert = false;

/*
 * The order lock this backend holds for one insert, if any: in flight
 * while the row of an insert of ours is on its way in (let go of by
 * tc_event_order_end()); else an operator's insert's, let go of at the
 * backend's next event.
 */
static bool holding = false;
static bool in_flight = false;
static int	held_depth;			/* pg_trigger_depth() when it was taken */
static LOCKTAG held_tag;

/*
 * The order locks this transaction keeps to its end, each with the
 * subtransaction that took it (a rollback to before it lets it go: the
 * event it guarded is gone); and the many-customers lock.
 */
typedef struct KeptLock
{
	LOCKTAG		tag;
	SubTransactionId subid;
} KeptLock;

static KeptLock kept[TC_ORDER_KEEP];
static int	nkept = 0;
static bool many = false;

/*
 * The inserts of ours under way, innermost last: an insert may run inside
 * another (a cancel that an operator's trigger on cancel_events makes).
 * Each frame keeps the state of the one around it, to be given back when
 * it ends, and the subtransaction it began in: an error that rolls that
 * subtransaction back ends the insert too, and nothing else does.
 */
typedef struct OrderFrame
{
	SubTransactionId subid;
	bool		in_our_insert;
	bool		holding;
	bool		in_flight;
	int			held_depth;
	LOCKTAG		tag;
} OrderFrame;

static OrderFrame *frames = NULL;
static int	nframes = 0;
static int	maxframes = 0;

static bool callbacks_registered = false;

static void let_go(const LOCKTAG *tag, LOCKMODE mode);

/*
 * release_held
 *		Let go of the order lock held for one insert, if this backend still
 *		holds it (an abort has released it already if the transaction
 *		failed).
 */
static void
release_held(void)
{
	if (holding && tc_lock_held_by_me(&held_tag, ExclusiveLock))
		let_go(&held_tag, ExclusiveLock);
	holding = false;
	in_flight = false;
}

/* End the innermost insert of ours, and give back the state around it. */
static void
pop_frame(void)
{
	OrderFrame *f = &frames[--nframes];

	release_held();
	in_our_insert = f->in_our_insert;
	holding = f->holding;
	in_flight = f->in_flight;
	held_depth = f->held_depth;
	held_tag = f->tag;
}

/* How deep in triggers we are: pg_trigger_depth(). */
static int
trigger_depth(void)
{
	LOCAL_FCINFO(fcinfo, 0);

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	return DatumGetInt32(pg_trigger_depth(fcinfo));
}

/*
 * at_xact_end, at_subxact_end
 *		The end of the transaction releases every lock it took, and ends
 *		every insert.  A subtransaction's abort releases none of our locks
 *		by itself (they belong to the top-level transaction): here it ends
 *		the inserts of ours that began in it, letting go of their locks, and
 *		lets go of the order locks kept for events it wrote; an abort of a
 *		subtransaction that began inside an insert of ours (an operator's
 *		trigger catching an error) leaves that insert alone.  A
 *		subtransaction's commit hands what it had to its parent.  (The
 *		many-customers lock stays: it only makes other writers look.)
 */
static void
at_xact_end(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		in_our_insert = false;
		holding = false;
		in_flight = false;
		nframes = 0;
		nkept = 0;
		many = false;
	}
}

static void
at_subxact_end(SubXactEvent event, SubTransactionId mySubid,
			   SubTransactionId parentSubid,
			   void *arg pg_attribute_unused())
{
	int			i;
	int			n = 0;

	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = 0; i < nkept; i++)
			if (kept[i].subid == mySubid)
				kept[i].subid = parentSubid;
		for (i = 0; i < nframes; i++)
			if (frames[i].subid == mySubid)
				frames[i].subid = parentSubid;
		return;
	}
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (nframes > 0 && frames[nframes - 1].subid == mySubid)
		pop_frame();
	for (i = 0; i < nkept; i++)
	{
		if (kept[i].subid == mySubid)
			let_go(&kept[i].tag, ExclusiveLock);
		else
			kept[n++] = kept[i];
	}
	nkept = n;
}

/* The callbacks above, registered once per backend. */
static void
register_callbacks(void)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(at_xact_end, NULL);
		RegisterSubXactCallback(at_subxact_end, NULL);
		callbacks_registered = true;
	}
}

/*
 * order_tag
 *		The order lock of customer (a text datum) in this database.
 */
static void
order_tag(LOCKTAG *tag, Datum customer)
{
	text	   *t = DatumGetTextPP(customer);
	uint64		h = hash_bytes_extended((const unsigned char *) VARDATA_ANY(t),
										VARSIZE_ANY_EXHDR(t), 0);

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h,
						 TC_ORDER_LOCK_CLASS);
}

/*
 * acquire
 *		Take the order lock held_tag names.  It is taken and released with
 *		the top-level transaction's resource owner, not the current one:
 *		PostgreSQL releases a lock only for the owner that holds it, and the
 *		trigger that takes it may run under a portal's owner that is gone by
 *		the time tc_event_order_end() lets go of it (Citus), or in another
 *		subtransaction than the one that lets go of it (a savepoint between
 *		two events).
 */
static LockAcquireResult
take(const LOCKTAG *tag, LOCKMODE mode, bool dont_wait)
{
	ResourceOwner save = CurrentResourceOwner;
	LockAcquireResult result;

	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		result = LockAcquire(tag, mode, false, dont_wait);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save;
	}
	PG_END_TRY();
	return result;
}

static void
let_go(const LOCKTAG *tag, LOCKMODE mode)
{
	ResourceOwner save = CurrentResourceOwner;

	CurrentResourceOwner = TopTransactionResourceOwner;
	LockRelease(tag, mode, false);
	CurrentResourceOwner = save;
}

/*
 * many_writer_in_progress
 *		Whether another transaction holds the many-customers lock: one that
 *		may have written an event whose customer's order lock it no longer
 *		holds.  Tested without waiting (file header).
 */
static bool
many_writer_in_progress(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0, 0, TC_MANY_LOCK_CLASS);
	if (take(&tag, ExclusiveLock, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	let_go(&tag, ExclusiveLock);
	return false;
}

/*
 * keep_or_declare_many
 *		The order lock of tag is ours and the look is done: keep it to the
 *		transaction's end if this is one of its first TC_ORDER_KEEP
 *		customers (true); otherwise hold the many-customers lock, from now
 *		to the end, and return false: the caller lets go of the order lock
 *		once the row is in.
 */
static bool
keep_or_declare_many(const LOCKTAG *tag)
{
	if (nkept < TC_ORDER_KEEP)
	{
		kept[nkept].tag = *tag;
		kept[nkept].subid = GetCurrentSubTransactionId();
		nkept++;
		return true;
	}
	if (!many)
	{
		LOCKTAG		many_tag;

		SET_LOCKTAG_ADVISORY(many_tag, MyDatabaseId, 0, 0, TC_MANY_LOCK_CLASS);
		(void) take(&many_tag, ShareLock, false);
		many = true;
	}
	return false;
}

/* Whether this transaction keeps tag's order lock to its end. */
static bool
is_kept(const LOCKTAG *tag)
{
	for (int i = 0; i < nkept; i++)
		if (memcmp(&kept[i].tag, tag, sizeof(LOCKTAG)) == 0)
			return true;
	return false;
}

/*
 * tc_event_order_begin
 *		An insert into cancel_events made by the extension follows: its
 *		rows get their ids from trigger stamp_cancel_event, in commit order
 *		per customer.  It may run inside another (file header): the outer
 *		insert's order lock is set aside, still held, until this one ends.
 */
void
tc_event_order_begin(void)
{
	OrderFrame *f;

	register_callbacks();
	/* an operator's insert's lock goes now, as at any next event */
	if (holding && !in_flight)
		release_held();
	if (nframes == maxframes)
	{
		int			n = maxframes == 0 ? 4 : maxframes * 2;

		frames = frames == NULL
			? MemoryContextAlloc(TopMemoryContext, sizeof(OrderFrame) * n)
			: repalloc(frames, sizeof(OrderFrame) * n);
		maxframes = n;
	}
	f = &frames[nframes++];
	f->subid = GetCurrentSubTransactionId();
	f->in_our_insert = in_our_insert;
	f->holding = holding;
	f->in_flight = in_flight;
	f->held_depth = held_depth;
	f->tag = held_tag;
	holding = false;
	in_flight = false;
	in_our_insert = true;
}

/*
 * tc_event_order_end
 *		The insert is done: every row is in the table and its indexes, so
 *		the last customer's order lock can go (unless the transaction keeps
 *		it); the state of an insert around it comes back.
 */
void
tc_event_order_end(void)
{
	if (nframes > 0)
		pop_frame();
	else
	{
		/* an error ended the insert's subtransaction already */
		release_held();
		in_our_insert = false;
	}
}

/*
 * tc_event_id_left_null
 *		Whether an insert of ours may leave the event's id NULL for trigger
 *		stamp_cancel_event to draw: it fires unless a 1.1 database runs
 *		under session_replication_role = replica (1.2 enabled it ALWAYS).
 *		Otherwise the insert takes the column's default, and the trigger,
 *		where it fires, draws the id again.
 */
bool
tc_event_id_left_null(void)
{
	return SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA;
}

/*
 * tc_event_order_applies
 *		Whether the row about to be inserted draws its id in commit order:
 *		it is one of ours, or its id was left NULL.
 */
bool
tc_event_order_applies(bool id_null)
{
	return in_our_insert || id_null;
}

/*
 * customer_index
 *		An index of rel (cancel_events, or its shard on a Citus worker) whose
 *		leading columns are (customer, id), ascending, valid, without
 *		predicate or expressions: the primary key as the scripts make it.
 *		InvalidOid if there is none.
 */
static Oid
customer_index(Relation rel, AttrNumber customer_col, AttrNumber id_col)
{
	static Oid	for_rel = InvalidOid;
	static uint64 epoch = 0;
	static Oid	found = InvalidOid;
	uint64		now = tc_relcache_epoch();
	List	   *indexes;
	ListCell   *lc;

	/* kept until any relcache invalidation (columns.c) */
	if (RelationGetRelid(rel) == for_rel && epoch == now)
		return found;
	found = InvalidOid;
	indexes = RelationGetIndexList(rel);

	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index index = irel->rd_index;
		bool		usable;

		usable = irel->rd_rel->relam == BTREE_AM_OID &&
			index->indisvalid && index->indnkeyatts >= 2 &&
			index->indkey.values[0] == customer_col &&
			index->indkey.values[1] == id_col &&
			(irel->rd_indoption[0] & INDOPTION_DESC) == 0 &&
			RelationGetIndexPredicate(irel) == NIL;
		index_close(irel, AccessShareLock);
		if (usable)
		{
			found = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	for_rel = RelationGetRelid(rel);
	epoch = now;
	return found;
}

/*
 * writer_in_progress
 *		The transaction of another backend that has written an event of
 *		customer and not yet ended, or InvalidTransactionId.  Looks at the
 *		customer's newest event under a dirty snapshot (file header); where
 *		cancel_events lacks its primary key, at all of them.
 */
static TransactionId
writer_in_progress(Relation rel, Datum customer, AttrNumber customer_col,
				   AttrNumber id_col)
{
	Oid			indexid = customer_index(rel, customer_col, id_col);
	SnapshotData dirty;
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TransactionId writer = InvalidTransactionId;

	InitDirtySnapshot(dirty);
	if (OidIsValid(indexid))
	{
		/*
		 * No lock of our own: the insert that fires this trigger opened the
		 * table's indexes, and holds ROW EXCLUSIVE on each (ExecOpenIndices).
		 */
		Relation	irel = index_open(indexid, NoLock);
		ScanKeyData key;
		IndexScanDesc scan;

		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ, customer);
		key.sk_collation = irel->rd_indcollation[0];
		scan = tc_index_beginscan(rel, irel, &dirty, 1, 0);
		index_rescan(scan, &key, 1, NULL, 0);
		/* the first row the dirty snapshot shows is the newest event */
		if (index_getnext_slot(scan, BackwardScanDirection, slot) &&
			TransactionIdIsValid(dirty.xmin) &&
			!TransactionIdIsCurrentTransactionId(dirty.xmin))
			writer = dirty.xmin;
		index_endscan(scan);
		index_close(irel, NoLock);
	}
	else
	{
		/* an operator's change left no such index: read every event */
		ScanKeyData key;
		SysScanDesc scan;

		ScanKeyInit(&key, customer_col, BTEqualStrategyNumber, F_TEXTEQ,
					customer);
		key.sk_collation = DEFAULT_COLLATION_OID;
		scan = systable_beginscan(rel, InvalidOid, false, &dirty, 1, &key);
		while (systable_getnext(scan) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			if (TransactionIdIsValid(dirty.xmin) &&
				!TransactionIdIsCurrentTransactionId(dirty.xmin))
			{
				writer = dirty.xmin;
				break;
			}
		}
		systable_endscan(scan);
	}
	ExecDropSingleTupleTableSlot(slot);
	return writer;
}

/*
 * tc_event_order_wait
 *		Called by trigger stamp_cancel_event before it draws the id of a row
 *		of customer for rel: returns once no other transaction that wrote an
 *		event of customer is in progress, holding the customer's order lock:
 *		to the end of the transaction, or until the next event or
 *		tc_event_order_end() (file header).
 */
void
tc_event_order_wait(Relation rel, Datum customer, AttrNumber customer_col,
					AttrNumber id_col)
{
	LOCKTAG		tag;
	bool		inside;

	register_callbacks();

	/*
	 * inside: this row is inserted while the row of an insert of ours is
	 * on its way in -- by an operator's trigger that fires for that row,
	 * so deeper in triggers than the stamp of that row was: that row's
	 * lock stays held, and this one's, if not kept, is held to the
	 * transaction's end.  At the same depth this is the next row of the
	 * same statement, and the previous row is in: its lock goes now, as
	 * does a lock left by an operator's earlier insert.
	 */
	inside = holding && in_flight && trigger_depth() > held_depth;
	if (!inside)
		release_held();
	order_tag(&tag, customer);
	/* no other writer of the customer has written since we took it */
	if (is_kept(&tag) ||
		(inside && memcmp(&tag, &held_tag, sizeof(LOCKTAG)) == 0))
		return;
	for (;;)
	{
		TransactionId writer;

		(void) take(&tag, ExclusiveLock, false);
		if (!many_writer_in_progress())
			break;
		writer = writer_in_progress(rel, customer, customer_col, id_col);
		if (!TransactionIdIsValid(writer))
			break;
		let_go(&tag, ExclusiveLock);
		XactLockTableWait(writer, rel, NULL, XLTW_None);
	}
	if (keep_or_declare_many(&tag) || inside)
		return;
	held_tag = tag;
	holding = true;
	in_flight = in_our_insert;
	held_depth = trigger_depth();
}
