/*-------------------------------------------------------------------------
 *
 * lookup_cache.c
 *	  Per-backend cache of what cancel_tasks looks up in the small tables:
 *	  journey names, task types, campaign names.
 *
 * Every cancel needs the journey's current name and the cancelable task
 * types, and these change rarely, while the journey engine cancels
 * thousands of times a second.  Reading them through SPI costs an executor
 * start-up per call; this cache answers from backend memory instead.
 *
 * Why a cancel never uses lookups older than its own snapshot:
 *
 *	- Every change to journeys, task_types or campaigns fires trigger
 *	  tc_lookup_changed() (a row trigger for INSERT, UPDATE and DELETE, a
 *	  statement trigger for TRUNCATE), which queues a relcache invalidation
 *	  of that table.  PostgreSQL sends it to every backend when the changing
 *	  transaction commits (and to the changing backend itself at its next
 *	  command); a rolled-back change sends nothing.  Since 1.2 the triggers
 *	  are ENABLE ALWAYS, so changes made under session_replication_role =
 *	  replica -- a logical-replication apply worker, a data-only load --
 *	  invalidate too.  (ALTER TABLE ... DISABLE TRIGGER silences them until
 *	  they are enabled again; the ALTER itself empties every cache, both
 *	  times.)
 *	- A committing transaction becomes visible to new snapshots a moment
 *	  before it sends its invalidations (ProcArrayEndTransaction() runs
 *	  before AtEOXact_Inval() in CommitTransaction()).  A cancel in that
 *	  moment would see the change in its snapshot and miss it in the
 *	  cache.  So a transaction that changed a lookup table takes the
 *	  lookup lock in exclusive mode just before it commits
 *	  (XACT_EVENT_PRE_COMMIT), and holds it until its locks are released,
 *	  which is after its invalidations were sent.  Every READ COMMITTED
 *	  cancel tries the same lock in share mode without waiting, and lets go
 *	  of it at once, before it reads the pending invalidations
 *	  (tc_lookup_accept_changes()).  Got: no change was between becoming
 *	  visible and sending its invalidations, so the invalidations read
 *	  next cover every change visible so far, and the cache answers as a
 *	  query run at that moment would.  Not got: a change is committing
 *	  right now (or waiting for a synchronous standby, which the lock also
 *	  covers), and this call reads the tables with a fresh snapshot and
 *	  caches nothing.  No cancel ever waits for the lock, and a writer
 *	  waits only for the instant a reader holds it.  COMMIT PREPARED of a
 *	  change is not covered: the lock cannot be taken at PREPARE (a
 *	  prepared transaction holding it would make every cancel bypass the
 *	  cache until it is finished), so there the invalidation follows the
 *	  change's visibility by microseconds, as for any commit, and a cancel
 *	  in between may still use the values from before it.
 *	- The relcache callback registered here empties the whole cache when a
 *	  lookup table's invalidation arrives.  A read that an invalidation
 *	  overtook is used once but not cached (generation below).
 *	- Only READ COMMITTED cancels use the cache.  A REPEATABLE READ or
 *	  SERIALIZABLE cancel must see the lookups as of its transaction's
 *	  snapshot, which may be older than the cache (or newer than what was
 *	  cached before it began); it reads the tables with that snapshot and
 *	  caches nothing.
 *	- Only rows that exist are cached: an unknown journey, type or
 *	  campaign is looked up again on every call, and its error raised.

 * Memory: everything lives in one context under CacheMemoryContext, reset
 * as a whole on invalidation.  It holds at most the rows this backend has
 * used, and the task types table.
 *
 * IDENTIFICATION
 *	  src/lookup_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_lookup_changed);

/* A journey or campaign: id and name. */
typedef struct NamedEntry
{
	int64		id;				/* hash key */
	char	   *name;
} NamedEntry;

/* One row of task_types. */
typedef struct TaskTypeEntry
{
	char	   *name;
	char	   *label;
	bool		cancelable;
	bool		has_timeout;	/* queue_timeout is set (1.2) */
	Interval	timeout;
} TaskTypeEntry;

/* The task_types table, and its cancelable type names as a text[]. */
typedef struct TaskTypes
{
	int			n;
	TaskTypeEntry *entries;
	ArrayType  *cancelable;
} TaskTypes;

static MemoryContext cache_context = NULL;
static HTAB *journeys = NULL;
static HTAB *campaigns = NULL;
static TaskTypes *task_types = NULL;	/* NULL: not loaded */

/*
 * Bumped by every reset.  A lookup that reads a table notes it first and
 * caches what it read only if no reset happened meanwhile: an invalidation
 * processed during the read may stand for a change the read did not see.
 */
static uint64 generation = 0;
static Oid	cached_relids[3];	/* journeys, task_types, campaigns */
static bool callback_registered = false;

/*
 * The lookup lock: an advisory-type lock tag with our own class number
 * (objsubid in pg_locks), one per database.  block_list.c's block lock
 * uses another class.
 */
#define TC_LOOKUP_LOCK_CLASS 0x744c

/* This transaction changed a lookup table: lock at pre-commit. */
static bool changed_in_xact = false;

/* This call found a lookup change committing: it bypasses the cache. */
static bool change_committing = false;
static bool xact_callback_registered = false;

static const char *const journey_sql =
"SELECT name FROM task_cancel.journeys WHERE id = $1";

static const char *const campaign_sql =
"SELECT name FROM task_cancel.campaigns WHERE id = $1";

static const char *const task_types_sql =
"SELECT name, label, cancelable FROM task_cancel.task_types ORDER BY name";

/* The same since 1.2, which added queue_timeout. */
static const char *const task_types_1_2_sql =
"SELECT name, label, cancelable, queue_timeout"
"  FROM task_cancel.task_types ORDER BY name";

/*
 * reset_cache
 *		Forget everything; the next lookup starts again from the tables.
 */
static void
reset_cache(void)
{
	if (cache_context != NULL)
		MemoryContextReset(cache_context);
	journeys = NULL;
	campaigns = NULL;
	task_types = NULL;
	memset(cached_relids, 0, sizeof(cached_relids));
	generation++;
}

/*
 * is_cached_relation
 *		Whether relid is one of the lookup tables the cache holds rows of.
 */
static bool
is_cached_relation(Oid relid)
{
	int			i;

	for (i = 0; i < (int) lengthof(cached_relids); i++)
		if (cached_relids[i] == relid)
			return true;
	return false;
}

/*
 * invalidate_callback
 *		Relcache callback: empty the cache when one of our lookup tables
 *		(or every relation, InvalidOid) is invalidated.
 */
static void
invalidate_callback(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || is_cached_relation(relid))
		reset_cache();
}

/*
 * prepare_cache
 *		Make sure the context, the callback and the table ids are there.
 *
 * The relation ids are what the callback compares against; they are
 * looked up when the cache is (re)filled, so a dropped and recreated
 * extension is noticed too.
 */
static void
prepare_cache(void)
{
	Oid			nsp;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(invalidate_callback, (Datum) 0);
		callback_registered = true;
	}
	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "task_cancel lookup cache",
											  ALLOCSET_SMALL_SIZES);
	if (!OidIsValid(cached_relids[0]))
	{
		nsp = get_namespace_oid("task_cancel", false);
		cached_relids[0] = get_relname_relid("journeys", nsp);
		cached_relids[1] = get_relname_relid("task_types", nsp);
		cached_relids[2] = get_relname_relid("campaigns", nsp);
	}
}

/*
 * set_lookup_locktag
 *		The lookup lock's tag for this database.
 */
static void
set_lookup_locktag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 0, 0, TC_LOOKUP_LOCK_CLASS);
}

/*
 * lookup_xact_callback
 *		Just before a transaction that changed a lookup table commits, take
 *		the lookup lock in exclusive mode; the commit releases it after the
 *		invalidations are sent (see the file header).
 */
static void
lookup_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	LOCKTAG		tag;

	if (event == XACT_EVENT_PRE_COMMIT && changed_in_xact)
	{
		set_lookup_locktag(&tag);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
		changed_in_xact = false;
}

/*
 * tc_lookup_accept_changes
 *		Apply the invalidations of every lookup-table change committed
 *		before this call, so that a READ COMMITTED cancel's cache answers
 *		as a query run now would.  Called at the start of every cancel,
 *		inside SPI.
 *
 * If a lookup-table change is committing at this very moment, this call
 * bypasses the cache instead (file header); it never waits.  Under
 * REPEATABLE READ or SERIALIZABLE the cache is not used at all.
 */
void
tc_lookup_accept_changes(void)
{
	change_committing = false;
	if (!IsolationUsesXactSnapshot())
	{
		LOCKTAG		tag;

		set_lookup_locktag(&tag);
		if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
			change_committing = true;
		else
			LockRelease(&tag, ShareLock, false);
	}
	AcceptInvalidationMessages();
}

/*
 * use_cache
 *		Whether this lookup may read and fill the cache: a READ COMMITTED
 *		call that found no lookup change committing.
 */
static bool
use_cache(void)
{
	return !IsolationUsesXactSnapshot() && !change_committing;
}

/*
 * named_lookup
 *		Name of id in *table (journeys or campaigns), read with sql on a
 *		miss (always when use_cache() says no: such a call neither reads
 *		nor fills the cache); NULL if no such row.  Must run inside SPI.  The result is
 *		palloc'd in the current context: the cache may be emptied by any
 *		later statement of the call.
 */
static char *
named_lookup(HTAB **table, SPIPlanPtr *plan, const char *sql, int64 id)
{
	NamedEntry *entry;
	bool		found;
	Oid			argtype = INT8OID;
	Datum		arg = Int64GetDatum(id);
	bool		isnull;
	char	   *name;
	uint64		read_at;

	prepare_cache();
	if (*table == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(NamedEntry);
		ctl.hcxt = cache_context;
		*table = hash_create("task_cancel lookup names", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	if (use_cache())
	{
		entry = hash_search(*table, &id, HASH_FIND, NULL);
		if (entry != NULL)
			return pstrdup(entry->name);
	}

	read_at = generation;
	if (tc_execute_kept(plan, sql, 1, &argtype, &arg, NULL,
						SPI_OK_SELECT) == 0)
		return NULL;
	name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1,
											 &isnull));
	if (generation == read_at && use_cache())
	{
		entry = hash_search(*table, &id, HASH_ENTER, &found);
		entry->name = MemoryContextStrdup(cache_context, name);
	}
	return name;
}

/*
 * tc_journey_name
 *		The current name of journey id, or NULL if it is not registered.
 *		Must run inside SPI; the result is palloc'd in the current context.
 */
char *
tc_journey_name(int64 id)
{
	static SPIPlanPtr plan = NULL;

	return named_lookup(&journeys, &plan, journey_sql, id);
}

/*
 * tc_campaign_name
 *		The name of campaign id, or NULL if there is none.  As
 *		tc_journey_name().
 */
char *
tc_campaign_name(int64 id)
{
	static SPIPlanPtr plan = NULL;

	return named_lookup(&campaigns, &plan, campaign_sql, id);
}

/*
 * read_task_types
 *		Read the whole task_types table (a few rows) in the current memory
 *		context.  Must run inside SPI.
 */
static TaskTypes *
read_task_types(void)
{
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr plan_1_2 = NULL;
	TaskTypes  *tt = palloc(sizeof(TaskTypes));
	Datum	   *names;
	int			ncancelable = 0;
	bool		with_timeout;
	uint64		n;
	uint64		i;

	/* A database still on 1.0 or 1.1 has no queue_timeout column. */
	with_timeout = get_attnum(cached_relids[1], "queue_timeout") != InvalidAttrNumber;
	if (with_timeout)
		n = tc_execute_kept(&plan_1_2, task_types_1_2_sql, 0, NULL, NULL, NULL,
							SPI_OK_SELECT);
	else
		n = tc_execute_kept(&plan, task_types_sql, 0, NULL, NULL, NULL,
							SPI_OK_SELECT);
	tt->n = (int) n;
	tt->entries = palloc(sizeof(TaskTypeEntry) * Max(n, 1));
	names = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		TaskTypeEntry *e = &tt->entries[i];
		bool		isnull;

		e->name = TextDatumGetCString(SPI_getbinval(tuple, tupdesc, 1, &isnull));
		e->label = TextDatumGetCString(SPI_getbinval(tuple, tupdesc, 2, &isnull));
		e->cancelable = DatumGetBool(SPI_getbinval(tuple, tupdesc, 3, &isnull));
		e->has_timeout = false;
		if (with_timeout)
		{
			Datum		timeout = SPI_getbinval(tuple, tupdesc, 4, &isnull);

			if (!isnull)
			{
				e->has_timeout = true;
				e->timeout = *DatumGetIntervalP(timeout);
			}
		}
		if (e->cancelable)
			names[ncancelable++] = CStringGetTextDatum(e->name);
	}
	tt->cancelable = construct_array_builtin(names, ncancelable, TEXTOID);
	return tt;
}

/*
 * copy_task_types
 *		A deep copy of tt in the current memory context.
 */
static TaskTypes *
copy_task_types(const TaskTypes *tt)
{
	TaskTypes  *copy = palloc(sizeof(TaskTypes));
	int			i;

	copy->n = tt->n;
	copy->entries = palloc(sizeof(TaskTypeEntry) * Max(tt->n, 1));
	for (i = 0; i < tt->n; i++)
	{
		copy->entries[i].name = pstrdup(tt->entries[i].name);
		copy->entries[i].label = pstrdup(tt->entries[i].label);
		copy->entries[i].cancelable = tt->entries[i].cancelable;
		copy->entries[i].has_timeout = tt->entries[i].has_timeout;
		copy->entries[i].timeout = tt->entries[i].timeout;
	}
	copy->cancelable = DatumGetArrayTypePCopy(PointerGetDatum(tt->cancelable));
	return copy;
}

/*
 * current_task_types
 *		The task_types table, from the cache or read now (and cached if no
 *		invalidation arrived while reading, and the transaction reads with
 *		fresh snapshots).  Must run inside SPI.  The
 *		result may belong to the cache, which the next statement can empty:
 *		callers copy what they keep before running one.
 */
static const TaskTypes *
current_task_types(void)
{
	TaskTypes  *tt;
	uint64		read_at;
	MemoryContext old;

	prepare_cache();
	if (!use_cache())
		return read_task_types();
	if (task_types != NULL)
		return task_types;

	read_at = generation;
	tt = read_task_types();
	if (generation == read_at)
	{
		old = MemoryContextSwitchTo(cache_context);
		task_types = copy_task_types(tt);
		MemoryContextSwitchTo(old);
	}
	return tt;
}

/*
 * tc_task_type
 *		Label and cancelable flag of the task type called name; false if
 *		there is no such type.  Must run inside SPI; *label is palloc'd in
 *		the current context.
 */
bool
tc_task_type(const char *name, char **label, bool *cancelable)
{
	const TaskTypes *tt = current_task_types();
	int			i;

	for (i = 0; i < tt->n; i++)
	{
		if (strcmp(tt->entries[i].name, name) == 0)
		{
			*label = pstrdup(tt->entries[i].label);
			*cancelable = tt->entries[i].cancelable;
			return true;
		}
	}
	return false;
}

/*
 * tc_task_type_timeout
 *		The queue_timeout of the task type called name into *timeout; false
 *		if the type has none, does not exist, or the database predates 1.2.
 *		Must run inside SPI, after tc_lookup_accept_changes().
 */
bool
tc_task_type_timeout(const char *name, Interval *timeout)
{
	const TaskTypes *tt = current_task_types();
	int			i;

	for (i = 0; i < tt->n; i++)
	{
		if (strcmp(tt->entries[i].name, name) == 0)
		{
			if (!tt->entries[i].has_timeout)
				return false;
			*timeout = tt->entries[i].timeout;
			return true;
		}
	}
	return false;
}

/*
 * tc_cancelable_types
 *		Every cancelable task type, as a text[] Datum (empty if none, so a
 *		cancel finds nothing rather than everything).  Must run inside SPI;
 *		the array is palloc'd in the current context.
 */
Datum
tc_cancelable_types(void)
{
	return PointerGetDatum(DatumGetArrayTypePCopy(
		PointerGetDatum(current_task_types()->cancelable)));
}

/*
 * tc_lookup_changed
 *		AFTER trigger on journeys, task_types and campaigns -- FOR EACH ROW
 *		for INSERT, UPDATE and DELETE, FOR EACH STATEMENT for TRUNCATE:
 *		queue a relcache invalidation of the table, which every backend's
 *		lookup cache obeys once this transaction commits, and take the
 *		lookup lock at pre-commit (file header).
 *
 * Row triggers, because a logical-replication apply worker fires no
 * statement triggers for the rows it applies.  Raises 39P01 when attached
 * as a BEFORE trigger.
 */
Datum
tc_lookup_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"lookup_changed\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"lookup_changed\" must be fired AFTER INSERT, UPDATE, DELETE or TRUNCATE")));

	CacheInvalidateRelcache(trigdata->tg_relation);

	/*
	 * On Citus the trigger fires on a shard (journeys_102009), while the
	 * caches watch the tables by their own oids: invalidate those.  On one
	 * server tg_relation is always one of them.
	 */
	prepare_cache();
	if (!is_cached_relation(RelationGetRelid(trigdata->tg_relation)))
	{
		int			i;

		for (i = 0; i < (int) lengthof(cached_relids); i++)
			if (OidIsValid(cached_relids[i]))
				CacheInvalidateRelcacheByRelid(cached_relids[i]);
	}
	if (!xact_callback_registered)
	{
		RegisterXactCallback(lookup_xact_callback, NULL);
		xact_callback_registered = true;
	}
	changed_in_xact = true;

	return PointerGetDatum(NULL);
}
