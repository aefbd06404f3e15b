/*-------------------------------------------------------------------------
 *
 * cancel_direct.c
 *	  The fast path of cancel_tasks() and preview_cancel() (1.2): the
 *	  customers' open tasks read straight from tasks_open_idx, locked with
 *	  table_tuple_lock(), and canceled with the executor's single-row
 *	  routines, instead of planning, starting and ending three SQL
 *	  statements per call through SPI.
 *
 * It does what the SPI path (cancel_tasks.c, cancel_write.c) does, step by
 * step, and keeps each of its promises:
 *
 *	- Snapshot: like every SPI statement of ours, a call takes a new
 *	  snapshot under READ COMMITTED (the transaction's under REPEATABLE
 *	  READ and SERIALIZABLE) after advancing the command counter.
 *	- Lock order: customers in the order of ORDER BY customer (the index's
 *	  collation), each customer's tasks by ascending id, as lock_many_sql's
 *	  sort does; the lock is FOR NO KEY UPDATE and waits.
 *	- Re-check: under READ COMMITTED a row updated meanwhile is followed to
 *	  its newest committed version, which is locked and judged again by
 *	  the same conditions (what EvalPlanQual does for the SELECT ... FOR NO
 *	  KEY UPDATE); under REPEATABLE READ it raises 40001 as the executor
 *	  would.  The result shows each task's status as locked.
 *	- Writes: as cancel_write.c's statements, one cancel_events row per
 *	  customer (one INSERT) and then each customer's tasks (one UPDATE
 *	  each), each step in a command of its own whose AFTER triggers fire
 *	  at its end (write_cancel()); through ExecSimpleRelation-
 *	  Insert/Update, which fire the row triggers (foreign keys, the
 *	  operator's own), check constraints and maintain every index.  Our
 *	  own BEFORE ROW triggers -- the status guard on tasks, the event
 *	  stamp on cancel_events -- run as the code they call, on the row
 *	  about to be written, in the trigger's place, when each fires now
 *	  and is the only enabled BEFORE ROW trigger of its event
 *	  (runs_alone()); beside an operator's, the trigger manager runs them
 *	  all in their order (and the statements update the tasks:
 *	  write_cancel()).  Row triggers that would do nothing for the write
 *	  are left out of the executor's copy (leave_out_triggers()):
 *	  disabled ones, the cancel stream where wal_level is below logical,
 *	  and the checks of foreign keys that a cancel leaves as they are.
 *	  A partial index that no canceled row can enter is not opened
 *	  (open_indexes()).  Values and defaults are those of the statements, the event id the
 *	  one stored (RETURNING id); the notification is queued the same way.
 *	  cancel_events is locked only when there is something to write.
 *	  Predicate locks for SERIALIZABLE are taken by the index and heap
 *	  access methods themselves.
 *	- What does not change between calls is worked out once per backend
 *	  (until a relcache invalidation): the tables' column numbers, which
 *	  trigger functions are ours, and each index's IndexInfo.
 *
 * Where one of these could differ, the fast path declines before it does
 * anything and the caller runs the SPI path: the setting
 * task_cancel.fast_path is off; Citus is loaded (it manages the tables,
 * and only SQL is routed to the shards); the transaction is read-only (so
 * the error is the one SQL gives); the caller lacks a privilege the
 * statements would check; tasks or cancel_events has row-level security,
 * rules, statement-level or transition-table triggers, stored generated
 * columns, CHECK constraints or index expressions that call a function
 * other than PostgreSQL's immutable ones (writes_run_outside_code()), or
 * columns or defaults we do not know; tasks_open_idx is
 * missing, not valid, or not an ascending index of every open task by
 * (customer, id) in the customer column's (deterministic) collation; a
 * column's type is not exactly the one we write, or tasks has inheritance
 * children.  If a table turns out to be unusual only once it is locked
 * for writing (a trigger made while the cancel waited for a row), the rows
 * already locked are written with the statements; and once an operator's
 * code has run SQL among the writes, the tasks still to update are
 * (write_cancel()).
 *
 * IDENTIFICATION
 *	  src/cancel_direct.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_opfamily_d.h"
#include "catalog/pg_proc_d.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type_d.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parse_relation.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"
#include "utils/xid8.h"

#include "task_cancel.h"

bool		tc_fast_path = true;

/* Column numbers of tasks the fast path reads or writes. */
enum
{
	T_ID, T_CUSTOMER, T_TASK_TYPE, T_CAMPAIGN, T_STATUS, T_COMPLETED_AT,
	T_CANCELED_AT, T_JOURNEY_ID, T_JOURNEY_NAME, T_AGENT, T_REASON,
	T_EVENT_ID, T_NCOLS
};
static const char *const task_columns[T_NCOLS] = {
	"id", "customer", "task_type", "campaign_id", "status", "completed_at",
	"canceled_at", "canceled_by_journey_id", "canceled_by_journey_name",
	"canceled_by_agent", "cancel_reason", "cancel_event_id"
};
static const Oid task_types[T_NCOLS] = {
	INT8OID, TEXTOID, TEXTOID, INT8OID, TEXTOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID
};

/* The columns of tasks a cancel sets (cancel_row()). */
static const int cancel_sets[] = {T_STATUS, T_CANCELED_AT, T_JOURNEY_ID,
T_JOURNEY_NAME, T_AGENT, T_REASON, T_EVENT_ID};

/* Every column of cancel_events, which the fast path fills all of. */
enum
{
	E_ID, E_AT, E_CUSTOMER, E_JOURNEY_ID, E_JOURNEY_NAME, E_AGENT, E_MODE,
	E_ARG, E_TASK_IDS, E_TXID, E_NCOLS
};
static const char *const event_columns[E_NCOLS] = {
	"id", "at", "customer", "canceled_by_journey_id",
	"canceled_by_journey_name", "canceled_by_agent", "mode", "arg",
	"task_ids", "txid"
};
static const Oid event_types[E_NCOLS] = {
	INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, INT8ARRAYOID, XID8OID
};

/*
 * column_as_expected
 *		Whether column attnum of rel has exactly the type we read or write
 *		(no typmod, no domain): the single-row routines store our Datums as
 *		they are, where a statement would coerce them and check the type.
 */
static bool
column_as_expected(Relation rel, AttrNumber attnum, Oid type)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

	return att->atttypid == type && att->atttypmod == -1;
}

/*
 * What the fast path found out about the tables, once per backend and again
 * after any relcache invalidation (DDL, GRANT, index builds; columns.c).
 */
typedef struct DirectTables
{
	uint64		epoch;			/* tc_relcache_epoch() when loaded; 0: never */
	bool		usable;			/* the tables are as the fast path needs */
	Oid			tasks;
	Oid			open_idx;
	Oid			events;
	Oid			events_seq;		/* identity sequence of cancel_events.id */
	Oid			customer_collation;	/* of tasks.customer and the index */
	Oid			guard_func;		/* status_guard(), if it is ours */
	Oid			stamp_func;		/* stamp_cancel_event(), if it is ours */
	Oid			stream_func;	/* stream_cancel_event(), if it is ours */
	int			nkey_checks;
	Oid			key_checks[8];	/* find_key_checks() */
	AttrNumber	t[T_NCOLS];
	AttrNumber	e[E_NCOLS];
	AttrNumber	expires_at;		/* tasks.expires_at (1.2), or 0 */
	/* in tables_context, made once: copy what the executor is given */
	Bitmapset  *updated_cols;	/* what a cancel sets (writer_begin()) */
	Bitmapset  *inserted_cols;	/* every column of cancel_events */
	char	   *cancel_nulls;	/* set_written_columns() */
} DirectTables;

/* Emptied by every load_tables(). */
static MemoryContext tables_context = NULL;

static DirectTables tables;

/* Whether tables is current: loaded in this relcache epoch (columns.c). */
static bool
tables_current(void)
{
	return tables.epoch == tc_relcache_epoch();
}

/*
 * open_index_covers_open_tasks
 *		Whether irel is a valid btree of tasks on (customer, id) whose
 *		predicate, if any, holds for every open task: the planner's own
 *		test (predicate_implied_by) against "completed_at IS NULL AND
 *		canceled_at IS NULL".
 */
static bool
open_index_covers_open_tasks(Relation irel, const AttrNumber *t,
							 Oid customer_collation)
{
	Form_pg_index index = irel->rd_index;
	List	   *open_clauses = NIL;
	AttrNumber	nullcols[2] = {t[T_COMPLETED_AT], t[T_CANCELED_AT]};
	int			i;

	/*
	 * The scan must return a customer's rows by ascending id, and compare
	 * customers as ORDER BY customer and "customer = $1" do: ascending, and
	 * in the column's own collation, which must be deterministic (equal
	 * means byte for byte, as row_matches() compares).
	 */
	if (index->indrelid != tables.tasks || !index->indisvalid ||
		!index->indisready || !index->indislive ||
		irel->rd_rel->relam != BTREE_AM_OID ||
		index->indnkeyatts != 2 ||
		index->indkey.values[0] != t[T_CUSTOMER] ||
		index->indkey.values[1] != t[T_ID] ||
		irel->rd_opfamily[0] != TEXT_BTREE_FAM_OID ||
		irel->rd_opfamily[1] != INTEGER_BTREE_FAM_OID ||
		irel->rd_indoption[0] != 0 || irel->rd_indoption[1] != 0 ||
		irel->rd_indcollation[0] != customer_collation ||
		!OidIsValid(customer_collation) ||
		!get_collation_isdeterministic(customer_collation) ||
		RelationGetIndexExpressions(irel) != NIL)
		return false;

	for (i = 0; i < 2; i++)
	{
		NullTest   *test = makeNode(NullTest);

		test->arg = (Expr *) makeVar(1, nullcols[i], TIMESTAMPTZOID, -1,
									 InvalidOid, 0);
		test->nulltesttype = IS_NULL;
		test->argisrow = false;
		test->location = -1;
		open_clauses = lappend(open_clauses, test);
	}
	return predicate_implied_by(RelationGetIndexPredicate(irel),
								open_clauses, false);
}

/*
 * default_is_call
 *		Whether column attnum of rel defaults to a call of funcid with no
 *		arguments (now(), pg_current_xact_id()).
 */
static bool
default_is_call(Relation rel, AttrNumber attnum, Oid funcid)
{
	Node	   *expr = build_column_default(rel, attnum);

	return expr != NULL && IsA(expr, FuncExpr) &&
		((FuncExpr *) expr)->funcid == funcid &&
		((FuncExpr *) expr)->args == NIL;
}

/*
 * events_as_expected
 *		Whether cancel_events has exactly the columns we fill, with the
 *		defaults of sql/task_cancel--1.0--1.1.sql: id an identity column,
 *		at now(), txid pg_current_xact_id(), the rest none; and no
 *		generated columns.
 */
static bool
events_as_expected(Relation erel, AttrNumber *e)
{
	TupleDesc	desc = RelationGetDescr(erel);
	int			live = 0;
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			live++;
	if (live != E_NCOLS ||
		(desc->constr != NULL && desc->constr->has_generated_stored))
		return false;

	for (i = 0; i < E_NCOLS; i++)
	{
		Form_pg_attribute att;

		e[i] = tc_column_number(erel, event_columns[i], true);
		if (e[i] == InvalidAttrNumber ||
			!column_as_expected(erel, e[i], event_types[i]))
			return false;
		att = TupleDescAttr(desc, e[i] - 1);
		if (i == E_ID)
		{
			if (att->attidentity == '\0')
				return false;
		}
		else if (i == E_AT)
		{
			if (!default_is_call(erel, e[i], F_NOW))
				return false;
		}
		else if (i == E_TXID)
		{
			if (!default_is_call(erel, e[i], F_PG_CURRENT_XACT_ID))
				return false;
		}
		else if (att->atthasdef)
			return false;
	}
	return true;
}

/*
 * our_trigger_function
 *		The oid of function nsp.name(), if it runs the C function fn of this
 *		library (so that running fn in the trigger's place does what the
 *		trigger would do); InvalidOid otherwise.
 */
static Oid
our_trigger_function(const char *name, PGFunction fn)
{
	Oid			func = LookupFuncName(list_make2(makeString("task_cancel"),
												 makeString((char *) name)),
									  0, NULL, true);
	FmgrInfo	finfo;

	if (!OidIsValid(func))
		return InvalidOid;
	fmgr_info(func, &finfo);
	return finfo.fn_addr == fn ? func : InvalidOid;
}

/*
 * find_key_checks
 *		Fill tables.key_checks: the triggers of tasks that check a foreign
 *		key of its own on UPDATE (RI_FKey_check_upd) which a cancel's
 *		update never needs -- MATCH SIMPLE, on columns that neither the
 *		update nor the status guard (status_guard.c) writes.  For each
 *		updated row the trigger manager asks the foreign key code whether
 *		to queue such a check, and it answers no when the key is as it was
 *		and the old row version was not written by this transaction (it
 *		then checks: the check of that row's INSERT may not have run).
 *		The fast path leaves these triggers out instead of asking, when it
 *		knows both (write_cancel()).  At most lengthof(key_checks) are
 *		kept; further ones are asked about as before.
 */
static void
find_key_checks(Relation rel)
{
	TriggerDesc *trig = rel->trigdesc;
	/* what the cancel sets, and what the guard may: completed_at, expires_at */
	AttrNumber	written[lengthof(cancel_sets) + 2];

	for (int i = 0; i < (int) lengthof(cancel_sets); i++)
		written[i] = tables.t[cancel_sets[i]];
	written[lengthof(cancel_sets)] = tables.t[T_COMPLETED_AT];
	written[lengthof(cancel_sets) + 1] = tables.expires_at;

	for (int i = 0; trig != NULL && i < trig->numtriggers &&
		 tables.nkey_checks < (int) lengthof(tables.key_checks); i++)
	{
		const Trigger *trigger = &trig->triggers[i];
		HeapTuple	tup;
		Form_pg_constraint con;
		bool		keeps_key = false;

		if (trigger->tgfoid != F_RI_FKEY_CHECK_UPD)
			continue;
		tup = SearchSysCache1(CONSTROID,
							  ObjectIdGetDatum(trigger->tgconstraint));
		if (!HeapTupleIsValid(tup))
			continue;
		con = (Form_pg_constraint) GETSTRUCT(tup);
		if (con->contype == CONSTRAINT_FOREIGN &&
			con->conrelid == RelationGetRelid(rel) &&
			con->confmatchtype == FKCONSTR_MATCH_SIMPLE)
		{
			bool		isnull;
			Datum		conkey = SysCacheGetAttr(CONSTROID, tup,
												 Anum_pg_constraint_conkey,
												 &isnull);
			Datum	   *keys;
			int			nkeys;

			if (!isnull)
			{
				deconstruct_array_builtin(DatumGetArrayTypeP(conkey), INT2OID,
										  &keys, NULL, &nkeys);
				keeps_key = nkeys > 0;
				for (int k = 0; k < nkeys; k++)
					for (int w = 0; w < (int) lengthof(written); w++)
						if (DatumGetInt16(keys[k]) == written[w])
							keeps_key = false;
			}
		}
		ReleaseSysCache(tup);
		if (keeps_key)
			tables.key_checks[tables.nkey_checks++] = trigger->tgoid;
	}
}

/*
 * set_written_columns
 *		Fill what tables keeps of the columns a cancel writes:
 *		- updated_cols: the columns a cancel sets, the updated columns of its
 *		  range table entry (so per-column triggers fire as for the UPDATE
 *		  statement); inserted_cols: every column of cancel_events;
 *		- cancel_nulls, for open_indexes(): what every new version of a
 *		  canceled task surely has -- a status, canceled_at, a reason and an
 *		  event id (cancel_row()), and no expires_at, which the status guard
 *		  clears.  It holds only while the guard's code runs alone on the
 *		  row (runs_alone()): another BEFORE trigger may change any column.
 */
static void
set_written_columns(Relation rel)
{
	static const int never_null[] = {T_STATUS, T_CANCELED_AT, T_REASON,
	T_EVENT_ID};
	MemoryContext old = MemoryContextSwitchTo(tables_context);
	int			i;

	for (i = 0; i < (int) lengthof(cancel_sets); i++)
		tables.updated_cols =
			bms_add_member(tables.updated_cols, tables.t[cancel_sets[i]] -
						   FirstLowInvalidHeapAttributeNumber);
	for (i = 0; i < E_NCOLS; i++)
		tables.inserted_cols =
			bms_add_member(tables.inserted_cols, tables.e[i] -
						   FirstLowInvalidHeapAttributeNumber);
	tables.cancel_nulls = palloc0(RelationGetDescr(rel)->natts);
	for (i = 0; i < (int) lengthof(never_null); i++)
		tables.cancel_nulls[tables.t[never_null[i]] - 1] = 'v';
	if (tables.expires_at != InvalidAttrNumber)
		tables.cancel_nulls[tables.expires_at - 1] = 'n';
	MemoryContextSwitchTo(old);
}

/*
 * Whether func is not one of PostgreSQL's own immutable functions: the
 * operator's, or one with effects (set_config(), for one).
 */
static bool
outside_function(Oid func, void *context pg_attribute_unused())
{
	return func >= FirstNormalObjectId ||
		func_volatile(func) != PROVOLATILE_IMMUTABLE;
}

static bool
calls_outside_function(Node *node, void *context)
{
	if (node == NULL)
		return false;
	/*
	 * A domain's CHECK constraints may call anything, and so may the
	 * comparison of a value of a type not built in (a range over an
	 * operator's operator class, say) through a built-in function.
	 */
	if (IsA(node, CoerceToDomain) ||
		(IsA(node, Var) && ((Var *) node)->vartype >= FirstNormalObjectId) ||
		(IsA(node, Const) && ((Const *) node)->consttype >= FirstNormalObjectId) ||
		check_functions_in_node(node, outside_function, context))
		return true;
	return expression_tree_walker(node, calls_outside_function, context);
}

/*
 * Whether an index's operator classes call a function not built in, or
 * it has a column of a type not built in (see calls_outside_function()).
 */
static bool
index_calls_outside_function(Relation irel)
{
	int			nprocs = IndexRelationGetNumberOfKeyAttributes(irel) *
		irel->rd_indam->amsupport;

	for (int i = 0; i < RelationGetDescr(irel)->natts; i++)
		if (TupleDescAttr(RelationGetDescr(irel), i)->atttypid >=
			FirstNormalObjectId)
			return true;

	for (int i = 0; i < nprocs; i++)
		if (irel->rd_support[i] >= FirstNormalObjectId)
			return true;
	for (int i = 0; irel->rd_exclprocs != NULL &&
		 i < IndexRelationGetNumberOfKeyAttributes(irel); i++)
		if (irel->rd_exclprocs[i] >= FirstNormalObjectId)
			return true;
	return false;
}

/*
 * writes_run_outside_code
 *		Whether writing a row of rel evaluates a function that is not one of
 *		PostgreSQL's immutable ones: in a CHECK constraint (a domain's
 *		included), in an index's expressions or predicate, or in its
 *		operator classes.  Such a function runs between the fast
 *		path's writes, and could change what it decided before them (a
 *		task it locked, session_replication_role); the statements read and
 *		judge afresh at every step, so they run instead.  The extension's
 *		own tables have none (their row rules are triggers).
 */
static bool
writes_run_outside_code(Relation rel)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	for (int i = 0; constr != NULL && i < constr->num_check; i++)
		if (calls_outside_function(stringToNode(constr->check[i].ccbin), NULL))
			return true;
	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);
		bool		outside;

		outside = calls_outside_function((Node *) RelationGetIndexExpressions(irel),
										 NULL) ||
			calls_outside_function((Node *) RelationGetIndexPredicate(irel),
								   NULL) ||
			index_calls_outside_function(irel);
		index_close(irel, AccessShareLock);
		if (outside)
			return true;
	}
	return false;
}

/*
 * load_tables
 *		Fill tables: the oids, the column numbers, and whether the fast
 *		path may use them.  Runs with the relations locked by the caller
 *		where they exist.
 */
static void
load_tables(void)
{
	Oid			nsp = get_namespace_oid("task_cancel", true);
	Relation	rel;
	Relation	irel;
	Relation	erel;
	int			i;

	memset(&tables, 0, sizeof(tables));
	if (tables_context == NULL)
		tables_context = AllocSetContextCreate(CacheMemoryContext,
											   "task_cancel fast path tables",
											   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(tables_context);
	/*
	 * Stamped before reading: an invalidation processed while we read
	 * leaves what we read stale, and the next check loads it again.
	 */
	tables.epoch = tc_relcache_epoch();
	if (!OidIsValid(nsp))
		return;
	tables.tasks = get_relname_relid("tasks", nsp);
	tables.events = get_relname_relid("cancel_events", nsp);
	if (!OidIsValid(tables.tasks) || !OidIsValid(tables.events))
		return;

	/*
	 * The index is looked up with tasks locked, so that it cannot be
	 * dropped (DROP INDEX locks the table) between the lookup and the open.
	 */
	rel = try_table_open(tables.tasks, AccessShareLock);
	if (rel == NULL)
		return;
	tables.open_idx = get_relname_relid("tasks_open_idx", nsp);
	erel = OidIsValid(tables.open_idx)
		? try_table_open(tables.events, AccessShareLock) : NULL;
	if (erel == NULL)
	{
		table_close(rel, AccessShareLock);
		return;
	}
	irel = index_open(tables.open_idx, AccessShareLock);

	tables.usable = rel->rd_rel->relkind == RELKIND_RELATION &&
		erel->rd_rel->relkind == RELKIND_RELATION;
	for (i = 0; i < T_NCOLS && tables.usable; i++)
	{
		tables.t[i] = tc_column_number(rel, task_columns[i], true);
		if (tables.t[i] == InvalidAttrNumber ||
			!column_as_expected(rel, tables.t[i], task_types[i]))
			tables.usable = false;
	}
	if (tables.usable)
	{
		TupleDesc	desc = RelationGetDescr(rel);

		tables.customer_collation =
			TupleDescAttr(desc, tables.t[T_CUSTOMER] - 1)->attcollation;
		/* stored generated columns: see plain_for_us() */
		tables.usable =
			!(desc->constr != NULL && desc->constr->has_generated_stored) &&
			open_index_covers_open_tasks(irel, tables.t,
										 tables.customer_collation) &&
			events_as_expected(erel, tables.e) &&
			!writes_run_outside_code(rel) && !writes_run_outside_code(erel);
	}
	if (tables.usable)
	{
		tables.events_seq = tc_identity_sequence(erel, tables.e[E_ID]);
		tables.guard_func = our_trigger_function("status_guard",
												 tc_status_guard);
		tables.stamp_func = our_trigger_function("stamp_cancel_event",
												 tc_stamp_cancel_event);
		tables.stream_func = our_trigger_function("stream_cancel_event",
												  tc_stream_cancel_event);
		tables.expires_at = tc_column_number(rel, "expires_at", true);
		find_key_checks(rel);
		set_written_columns(rel);
	}

	table_close(erel, AccessShareLock);
	index_close(irel, AccessShareLock);
	table_close(rel, AccessShareLock);
}

/*
 * plain_for_us
 *		Whether rel runs nothing an UPDATE or INSERT statement would run and
 *		the single-row routines do not: row-level security, rewrite rules,
 *		statement-level triggers and triggers with transition tables; and
 *		has no inheritance children, which the statements would read too.
 */
static bool
plain_for_us(Relation rel, CmdType cmd)
{
	TriggerDesc *trig = rel->trigdesc;

	/* children of the table: FROM task_cancel.tasks reads them too */
	if (rel->rd_rel->relrowsecurity || rel->rd_rules != NULL ||
		rel->rd_rel->relhassubclass)
		return false;
	if (trig == NULL)
		return true;
	if (cmd == CMD_UPDATE)
		return !trig->trig_update_before_statement &&
			!trig->trig_update_after_statement &&
			!trig->trig_update_old_table && !trig->trig_update_new_table;
	return !trig->trig_insert_before_statement &&
		!trig->trig_insert_after_statement &&
		!trig->trig_insert_new_table;
}

/*
 * fires_now
 *		Whether trigger fires under the current session_replication_role,
 *		as the trigger manager judges it.
 */
static bool
fires_now(const Trigger *trigger)
{
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return trigger->tgenabled == TRIGGER_FIRES_ALWAYS ||
			trigger->tgenabled == TRIGGER_FIRES_ON_REPLICA;
	return trigger->tgenabled == TRIGGER_FIRES_ALWAYS ||
		trigger->tgenabled == TRIGGER_FIRES_ON_ORIGIN;
}

/*
 * runs_alone
 *		Whether func's trigger is the one BEFORE ROW trigger of rel for
 *		event (TRIGGER_TYPE_UPDATE or _INSERT) that may fire, fires now, and
 *		is a plain one: no arguments, no WHEN, no column list.  The fast path
 *		then runs func's code itself on the row it writes, and leaves the
 *		trigger out (leave_out_triggers()): the trigger manager would
 *		otherwise fetch and lock the row again and form the row anew, for
 *		nothing the code does not do as well.  With an operator's BEFORE
 *		trigger beside ours, which could change the row before ours judges
 *		it, the trigger manager runs them all, in their order.  An
 *		operator's trigger counts unless it is disabled, whatever
 *		session_replication_role says now: another trigger of the operator's
 *		could change the role on the way, and then the trigger manager
 *		judges each trigger by the role as it comes to it.
 */
static bool
runs_alone(Relation rel, int16 event, Oid func)
{
	TriggerDesc *trig = rel->trigdesc;
	bool		found = false;

	if (!OidIsValid(func) || trig == NULL)
		return false;
	for (int i = 0; i < trig->numtriggers; i++)
	{
		const Trigger *t = &trig->triggers[i];

		if (!TRIGGER_TYPE_MATCHES(t->tgtype, TRIGGER_TYPE_ROW,
								  TRIGGER_TYPE_BEFORE, event) ||
			t->tgenabled == TRIGGER_DISABLED)
			continue;
		if (found || t->tgfoid != func || !fires_now(t) || t->tgnargs != 0 ||
			t->tgqual != NULL || t->tgnattr != 0)
			return false;
		found = true;
	}
	return found;
}

/*
 * What the fast path leaves out of its copy of a table's triggers for one
 * write (leave_out_triggers()).
 */
typedef struct LeaveOut
{
	int16		event;			/* TRIGGER_TYPE_UPDATE or _INSERT: our write */
	Oid			inline_func;	/* a BEFORE ROW trigger's function whose code
								 * we run ourselves (runs_alone()), or 0 */
	Oid			inert_func;		/* an AFTER ROW trigger's function that does
								 * nothing in this server, or 0 */
	const Oid  *key_checks;		/* foreign key checks our update cannot
								 * need (tables.key_checks), or NULL */
	int			nkey_checks;
} LeaveOut;

/* Whether leave_out_triggers() leaves t out, by lo. */
static bool
left_out(const Trigger *t, const LeaveOut *lo)
{
	int16		type = t->tgtype;

	if (!TRIGGER_FOR_ROW(type))
		return false;
	if (t->tgenabled == TRIGGER_DISABLED)
		return true;
	if (OidIsValid(lo->inline_func) && t->tgfoid == lo->inline_func &&
		TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE,
							 lo->event))
		return true;
	if (OidIsValid(lo->inert_func) && t->tgfoid == lo->inert_func &&
		TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_AFTER,
							 lo->event) &&
		t->tgqual == NULL)
		return true;
	for (int i = 0; i < lo->nkey_checks; i++)
		if (t->tgoid == lo->key_checks[i])
			return true;
	return false;
}

/*
 * leave_out_triggers
 *		Leave out of the result relation's copy of the triggers, which
 *		InitResultRelInfo() has just made (its per-trigger arrays, filled
 *		on first use, are still empty), the row triggers that would do
 *		nothing for our write, or whose work we do ourselves:
 *
 *		- every disabled row trigger: a disabled BEFORE ROW trigger would
 *		  still make the trigger manager fetch and lock the row again, to
 *		  run nothing (one enabled for another session_replication_role
 *		  stays: the trigger manager judges it by the role as it fires);
 *		- lo->inline_func's BEFORE ROW trigger, whose code we run
 *		  (runs_alone());
 *		- lo->inert_func's AFTER ROW trigger: stream_cancel_event, which
 *		  returns at once where wal_level is below logical, a setting that
 *		  holds until the server restarts;
 *		- lo->key_checks: the foreign key checks of tasks whose columns our
 *		  update leaves as they are (load_tables()).  For such a row the
 *		  trigger manager asks the foreign key code, row by row, and it
 *		  answers that no check is needed -- unless the row version was
 *		  written by this transaction, and then the caller passes none.
 *
 *		Then says whether an AFTER ROW trigger of lo->event is left, for
 *		which the write must be bracketed as a query (writer_statement_
 *		begin()).
 */
static bool
leave_out_triggers(ResultRelInfo *rri, const LeaveOut *lo)
{
	TriggerDesc *trig = rri->ri_TrigDesc;
	int			kept = 0;

	if (trig == NULL)
		return false;
	trig->trig_insert_before_row = trig->trig_insert_after_row = false;
	trig->trig_insert_instead_row = false;
	trig->trig_update_before_row = trig->trig_update_after_row = false;
	trig->trig_update_instead_row = false;
	trig->trig_delete_before_row = trig->trig_delete_after_row = false;
	trig->trig_delete_instead_row = false;
	for (int i = 0; i < trig->numtriggers; i++)
	{
		Trigger    *t = &trig->triggers[i];
		int16		type = t->tgtype;

		if (left_out(t, lo))
			continue;
		trig->triggers[kept++] = *t;
		if (!TRIGGER_FOR_ROW(type))
			continue;
		if (TRIGGER_FOR_BEFORE(type))
		{
			trig->trig_insert_before_row |= TRIGGER_FOR_INSERT(type);
			trig->trig_update_before_row |= TRIGGER_FOR_UPDATE(type);
			trig->trig_delete_before_row |= TRIGGER_FOR_DELETE(type);
		}
		else if (TRIGGER_FOR_INSTEAD(type))
		{
			trig->trig_insert_instead_row |= TRIGGER_FOR_INSERT(type);
			trig->trig_update_instead_row |= TRIGGER_FOR_UPDATE(type);
			trig->trig_delete_instead_row |= TRIGGER_FOR_DELETE(type);
		}
		else
		{
			trig->trig_insert_after_row |= TRIGGER_FOR_INSERT(type);
			trig->trig_update_after_row |= TRIGGER_FOR_UPDATE(type);
			trig->trig_delete_after_row |= TRIGGER_FOR_DELETE(type);
		}
	}
	trig->numtriggers = kept;
	return lo->event == TRIGGER_TYPE_UPDATE ? trig->trig_update_after_row
		: trig->trig_insert_after_row;
}

static bool
has_privileges(Oid relid, AclMode mode)
{
	return pg_class_aclmask(relid, GetUserId(), mode, ACLMASK_ALL) == mode;
}

/*
 * may_run
 *		The checks that need no relation: the setting, Citus, a read-only
 *		or parallel transaction.  writes: the call would lock and write.
 */
static bool
may_run(bool writes)
{
	if (!tc_fast_path)
		return false;
	/* on Citus the rows are in the shards (src/citus.c) */
	if (tc_citus_loaded())
		return false;
	if ((writes && XactReadOnly) || IsInParallelMode())
		return false;
	return true;
}

/* One text value as pointer and length, for byte-wise comparison. */
typedef struct TextRef
{
	const char *data;
	int			len;
} TextRef;

static TextRef
text_ref(Datum value)
{
	text	   *t = DatumGetTextPP(value);
	TextRef		ref = {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};

	return ref;
}

static bool
text_ref_is(TextRef ref, const char *data, int len)
{
	return ref.len == len && memcmp(ref.data, data, len) == 0;
}

static bool
text_is(Datum value, const char *data, int len)
{
	return text_ref_is(text_ref(value), data, len);
}

/* The collation compare_customers() sorts by (qsort has no argument). */
static Oid	customer_sort_collation;

static int
compare_customers(const void *a, const void *b)
{
	TextRef		x = text_ref(*(const Datum *) a);
	TextRef		y = text_ref(*(const Datum *) b);

	return varstr_cmp(x.data, x.len, y.data, y.len, customer_sort_collation);
}

/*
 * What a cancel looks for, ready for comparing with a row: the SQL's
 * conditions "status IN ('pending', 'reserved') AND completed_at IS NULL
 * AND canceled_at IS NULL AND task_type = ANY ($2) AND ($3 IS NULL OR
 * campaign_id = $3)" and "customer = ANY ($1)".  Text equality is byte
 * equality, as texteq's is under a deterministic collation (the index
 * check makes sure the customer's is one; task types are compared with
 * the default collation, which always is).
 */
typedef struct Match
{
	Datum	   *customers;		/* sorted as ORDER BY customer, distinct */
	int			ncustomers;
	TextRef    *types;
	int			ntypes;
	bool		has_campaign;
	int64		campaign_id;
} Match;

/*
 * row_matches
 *		Whether the row in slot is one the cancel looks for.  Its customer
 *		must be customers[expected] -- or, with any_customer (a row that was
 *		updated while we waited for it), any of the customers.  *which
 *		gets the customer's index.
 */
static bool
row_matches(TupleTableSlot *slot, const Match *m, int expected,
			bool any_customer, int *which)
{
	const AttrNumber *t = tables.t;
	bool		isnull;
	Datum		value;
	TextRef		ref;
	int			i;

	value = slot_getattr(slot, t[T_STATUS], &isnull);
	if (isnull)
		return false;
	ref = text_ref(value);
	if (!text_ref_is(ref, "pending", 7) && !text_ref_is(ref, "reserved", 8))
		return false;
	(void) slot_getattr(slot, t[T_COMPLETED_AT], &isnull);
	if (!isnull)
		return false;
	(void) slot_getattr(slot, t[T_CANCELED_AT], &isnull);
	if (!isnull)
		return false;
	if (m->has_campaign)
	{
		value = slot_getattr(slot, t[T_CAMPAIGN], &isnull);
		if (isnull || DatumGetInt64(value) != m->campaign_id)
			return false;
	}
	value = slot_getattr(slot, t[T_TASK_TYPE], &isnull);
	if (isnull)
		return false;
	ref = text_ref(value);
	for (i = 0; i < m->ntypes; i++)
		if (text_ref_is(ref, m->types[i].data, m->types[i].len))
			break;
	if (i == m->ntypes)
		return false;

	value = slot_getattr(slot, t[T_CUSTOMER], &isnull);
	if (isnull)
		return false;
	ref = text_ref(m->customers[expected]);
	if (text_is(value, ref.data, ref.len))
	{
		*which = expected;
		return true;
	}
	if (any_customer)
	{
		Datum	   *hit;

		customer_sort_collation = tables.customer_collation;
		hit = bsearch(&value, m->customers, m->ncustomers, sizeof(Datum),
					  compare_customers);
		if (hit != NULL)
		{
			*which = (int) (hit - m->customers);
			return true;
		}
	}
	return false;
}

/* A task the call found (preview) or locked (cancel). */
typedef struct FoundTask
{
	ItemPointerData tid;		/* the version locked */
	HeapTuple	row;			/* a copy of it, for the writes; or NULL */
	int			customer;		/* index into the sorted customers */
	int64		id;
	Datum		task_type;
	Datum		status;			/* as found or locked: previous_status */
} FoundTask;

typedef struct Found
{
	FoundTask  *tasks;
	int			n;
	int			cap;
} Found;

/*
 * remember
 *		Add the row version in slot to found; with keep_row, a copy of it
 *		too, which cancel_row() starts from (the version we hold locked
 *		does not change, so reading it again from the table would give the
 *		same values, at the cost of a buffer lookup per task).
 */
static void
remember(Found *found, TupleTableSlot *slot, int customer, bool keep_row)
{
	FoundTask  *task;
	bool		isnull;

	if (found->n == found->cap)
	{
		found->cap = found->cap == 0 ? 8 : found->cap * 2;
		found->tasks = found->tasks == NULL
			? palloc(sizeof(FoundTask) * found->cap)
			: repalloc(found->tasks, sizeof(FoundTask) * found->cap);
	}
	task = &found->tasks[found->n++];
	task->tid = slot->tts_tid;
	task->row = keep_row ? ExecCopySlotHeapTuple(slot) : NULL;
	task->customer = customer;
	task->id = DatumGetInt64(slot_getattr(slot, tables.t[T_ID], &isnull));
	task->task_type = PointerGetDatum(
		DatumGetTextPCopy(slot_getattr(slot, tables.t[T_TASK_TYPE], &isnull)));
	task->status = PointerGetDatum(
		DatumGetTextPCopy(slot_getattr(slot, tables.t[T_STATUS], &isnull)));
}

/*
 * lock_found
 *		Lock the row version in slot (found by the scan for customer
 *		expected) FOR NO KEY UPDATE, waiting for other holders; true, with
 *		*which its customer now, if the version locked still matches.  Mirrors ExecLockRows(): under READ COMMITTED the newest
 *		version is locked and re-checked, under REPEATABLE READ a row
 *		changed since the snapshot raises 40001.
 */
static bool
lock_found(Relation rel, TupleTableSlot *slot, Snapshot snapshot,
		   CommandId cid, const Match *m, int expected, int *which)
{
	ItemPointerData tid = slot->tts_tid;
	TM_FailureData tmfd;
	TM_Result	result;
	uint8		flags = 0;

	if (!IsolationUsesXactSnapshot())
		flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;

	result = table_tuple_lock(rel, &tid, snapshot, slot, cid,
							  LockTupleNoKeyExclusive, LockWaitBlock, flags,
							  &tmfd);
	switch (result)
	{
		case TM_Ok:
			if (!tmfd.traversed)
			{
				*which = expected;
				return true;
			}

			/*
			 * Updated while we waited: judge the newest version, as
			 * EvalPlanQual would; "customer = ANY ($1)" lets the array form
			 * keep a task that moved to another of its customers.
			 */
			return row_matches(slot, m, expected, true, which);

		case TM_SelfModified:
			/* changed by a later command of this one: not ours to lock */
			return false;

		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			if (result == TM_Deleted)
				return false;
			elog(ERROR, "unexpected table_tuple_lock status: %u", result);
			break;

		default:
			elog(ERROR, "unexpected table_tuple_lock status: %u", result);
	}
	return false;				/* keep compiler quiet */
}

/*
 * sort_customers
 *		The customers in the order of ORDER BY customer under collation,
 *		without duplicates; *n is updated.
 */
static void
sort_customers(Datum *customers, int *n, Oid collation)
{
	int			kept = 0;
	int			i;

	customer_sort_collation = collation;
	qsort(customers, *n, sizeof(Datum), compare_customers);
	for (i = 0; i < *n; i++)
	{
		if (kept > 0 && compare_customers(&customers[kept - 1],
										  &customers[i]) == 0)
			continue;
		customers[kept++] = customers[i];
	}
	*n = kept;
}

static int
compare_found(const void *a, const void *b)
{
	const FoundTask *x = a;
	const FoundTask *y = b;

	if (x->customer != y->customer)
		return x->customer < y->customer ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
}

/*
 * find_tasks
 *		Scan tasks_open_idx for each of m's customers (sorted) and remember
 *		the rows that match; with lock, lock each in (customer, id) order
 *		first and remember it only if the version locked matches.  found
 *		ends sorted by (customer, id), also when a task moved to another of
 *		the customers, or took another id, while we waited for it.
 */
static void
find_tasks(Relation rel, Relation irel, Snapshot snapshot, const Match *m,
		   bool lock, Found *found)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = tc_index_beginscan(rel, irel, snapshot, 1, 0);
	CommandId	cid = GetCurrentCommandId(lock);
	ItemPointerData *candidates = NULL;
	int			cap = 0;
	int			c;

	for (c = 0; c < m->ncustomers; c++)
	{
		ScanKeyData key;
		int			ncand = 0;
		int			which;
		int			i;

		CHECK_FOR_INTERRUPTS();
		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ, m->customers[c]);
		key.sk_collation = irel->rd_indcollation[0];
		index_rescan(scan, &key, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			if (!row_matches(slot, m, c, false, &which))
				continue;
			if (!lock)
			{
				remember(found, slot, c, false);
				continue;
			}
			if (ncand == cap)
			{
				cap = cap == 0 ? 8 : cap * 2;
				candidates = candidates == NULL
					? palloc(sizeof(ItemPointerData) * cap)
					: repalloc(candidates, sizeof(ItemPointerData) * cap);
			}
			candidates[ncand++] = slot->tts_tid;
		}

		/* The index returns a customer's rows by ascending id. */
		for (i = 0; i < ncand; i++)
		{
			if (!table_tuple_fetch_row_version(rel, &candidates[i], snapshot,
											   slot))
				elog(ERROR, "task found by the scan is no longer visible");
			if (lock_found(rel, slot, snapshot, cid, m, c, &which))
				remember(found, slot, which, true);
		}
	}

	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	/* a task may have moved to another customer, or taken another id */
	if (lock)
		qsort(found->tasks, found->n, sizeof(FoundTask), compare_found);
}

/*
 * tc_init_range_table
 *		The executor's range table of the two target relations, each with
 *		the columns it writes, as a statement's would have them.  PostgreSQL
 *		16 moved the privilege fields into RTEPermissionInfo; 18 added the
 *		set of unpruned relations.
 */
static void
tc_init_range_table(EState *estate, RangeTblEntry *tasks_rte,
					Bitmapset *updated, RangeTblEntry *events_rte,
					Bitmapset *inserted)
{
	List	   *rtable = list_make2(tasks_rte, events_rte);
#if PG_VERSION_NUM >= 160000
	List	   *perminfos = NIL;
	RTEPermissionInfo *perm;

	perm = addRTEPermissionInfo(&perminfos, tasks_rte);
	perm->requiredPerms = ACL_SELECT | ACL_UPDATE;
	perm->updatedCols = updated;
	perm = addRTEPermissionInfo(&perminfos, events_rte);
	perm->requiredPerms = ACL_SELECT | ACL_INSERT;
	perm->insertedCols = inserted;
#if PG_VERSION_NUM >= 180000
	ExecInitRangeTable(estate, rtable, perminfos, bms_add_range(NULL, 1, 2));
#else
	ExecInitRangeTable(estate, rtable, perminfos);
#endif
#else
	tasks_rte->requiredPerms = ACL_SELECT | ACL_UPDATE;
	tasks_rte->updatedCols = updated;
	events_rte->requiredPerms = ACL_SELECT | ACL_INSERT;
	events_rte->insertedCols = inserted;
	ExecInitRangeTable(estate, rtable);
#endif
}

/*
 * The executor state for writing: tasks is range table entry 1, with the
 * columns a cancel sets as its updated columns (so per-column triggers
 * fire as for the UPDATE statement), cancel_events entry 2.
 */
typedef struct Writer
{
	EState	   *estate;
	ResultRelInfo *tasks;
	ResultRelInfo *events;
	EPQState	epq;
	bool		guard_inline;	/* we run status_guard()'s code: runs_alone() */
	bool		stamp_inline;	/* we run stamp_cancel_event()'s code */
	bool		tasks_after;	/* AFTER ROW UPDATE triggers left on tasks */
	bool		events_after;	/* AFTER ROW INSERT ones on cancel_events */
	/*
	 * What the writes need of tables, copied: an operator's code that runs
	 * among them may run a cancel of its own, whose load_tables() empties
	 * tables (and fills it only if it can).
	 */
	AttrNumber	t[T_NCOLS];
	AttrNumber	e[E_NCOLS];
	Oid			events_seq;
} Writer;

/*
 * What ExecOpenIndices() works out for a table we write -- its indexes and
 * an IndexInfo of each (BuildIndexInfo()) -- kept for the backend in
 * kept_context, with the relcache epoch it was made in (columns.c): any
 * change to the table or its indexes makes it stale, and it is made again.
 * Kept too: a partial index's predicate, compiled once, when it is only
 * IS [NOT] NULL tests of columns joined by AND, OR and NOT (as ours are),
 * whose evaluation keeps nothing between rows.  Any other predicate (an
 * operator's) is compiled per call by the executor, as it always is.
 */
typedef struct KeptIndexes
{
	uint64		epoch;			/* 0: never made */
	Oid			relid;
	MemoryContext context;		/* what follows lives here */
	int			n;
	Oid		   *oids;
	IndexInfo **infos;
} KeptIndexes;

static KeptIndexes kept_tasks_indexes;
static KeptIndexes kept_events_indexes;

/* Whether a predicate is only IS [NOT] NULL tests of columns. */
static bool
null_tests_only(Node *node)
{
	if (node == NULL)
		return false;
	if (IsA(node, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) node)
			if (!null_tests_only(lfirst(lc)))
				return false;
		return true;
	}
	if (IsA(node, NullTest))
		return ((NullTest *) node)->arg != NULL &&
			IsA(((NullTest *) node)->arg, Var) &&
			!((NullTest *) node)->argisrow;
	if (IsA(node, BoolExpr))
		return null_tests_only((Node *) ((BoolExpr *) node)->args);
	return false;
}

/*
 * make_kept_indexes
 *		Fill kept for rel, whose indexes the caller's lock keeps as they
 *		are.
 */
static void
make_kept_indexes(KeptIndexes *kept, Relation rel)
{
	MemoryContext old;
	List	   *oids;
	ListCell   *lc;
	int			i = 0;

	kept->epoch = 0;
	/*
	 * The old description may still be in use: by the cancel whose AFTER
	 * trigger on cancel_events ran this one, for instance.  It is handed to
	 * the transaction, which frees it at its end; no writer outlives it.
	 */
	if (kept->context != NULL)
		MemoryContextSetParent(kept->context, TopTransactionContext);
	kept->context = AllocSetContextCreate(TopMemoryContext,
										  "task_cancel kept indexes",
										  ALLOCSET_SMALL_SIZES);

	old = MemoryContextSwitchTo(kept->context);
	oids = RelationGetIndexList(rel);
	kept->n = list_length(oids);
	kept->oids = palloc(sizeof(Oid) * Max(kept->n, 1));
	kept->infos = palloc(sizeof(IndexInfo *) * Max(kept->n, 1));
	foreach(lc, oids)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);
		IndexInfo  *info = BuildIndexInfo(irel);

		if (info->ii_Predicate != NIL &&
			null_tests_only((Node *) info->ii_Predicate))
		{
			Expr	   *planned;

			planned = expression_planner(make_ands_explicit(info->ii_Predicate));
			info->ii_PredicateState =
				ExecInitQual(make_ands_implicit(planned), NULL);
		}
		kept->oids[i] = lfirst_oid(lc);
		kept->infos[i] = info;
		i++;
		/* open_indexes() locks the ones a write enters */
		index_close(irel, AccessShareLock);
	}
	MemoryContextSwitchTo(old);
	kept->relid = RelationGetRelid(rel);
	kept->epoch = tc_relcache_epoch();
}

/*
 * predicate_value
 *		What a predicate of IS [NOT] NULL tests (null_tests_only()) gives
 *		for every row in which column k + 1 is surely null where nulls[k] is
 *		'n', surely not null where it is 'v', and may be either where it is
 *		0: PRED_FALSE, PRED_TRUE or PRED_EITHER.
 */
typedef enum
{
	PRED_FALSE, PRED_TRUE, PRED_EITHER
} PredValue;

static PredValue
predicate_value(Node *node, const char *nulls, int natts)
{
	if (IsA(node, List) ||
		(IsA(node, BoolExpr) && ((BoolExpr *) node)->boolop != NOT_EXPR))
	{
		bool		is_and = IsA(node, List) ||
			((BoolExpr *) node)->boolop == AND_EXPR;
		List	   *args = IsA(node, List) ? (List *) node :
			((BoolExpr *) node)->args;
		PredValue	value = is_and ? PRED_TRUE : PRED_FALSE;
		ListCell   *lc;

		foreach(lc, args)
		{
			PredValue	arg = predicate_value(lfirst(lc), nulls, natts);

			/* false decides an AND, true an OR */
			if (arg == (is_and ? PRED_FALSE : PRED_TRUE))
				return arg;
			if (arg == PRED_EITHER)
				value = PRED_EITHER;
		}
		return value;
	}
	if (IsA(node, BoolExpr))
	{
		PredValue	arg = predicate_value(linitial(((BoolExpr *) node)->args),
										  nulls, natts);

		return arg == PRED_EITHER ? arg : arg == PRED_TRUE ? PRED_FALSE :
			PRED_TRUE;
	}
	if (IsA(node, NullTest))
	{
		NullTest   *test = (NullTest *) node;
		AttrNumber	attno = ((Var *) test->arg)->varattno;
		char		known = attno >= 1 && attno <= natts ? nulls[attno - 1] : 0;

		if (known == 0)
			return PRED_EITHER;
		return (known == 'n') == (test->nulltesttype == IS_NULL) ?
			PRED_TRUE : PRED_FALSE;
	}
	return PRED_EITHER;
}

/*
 * open_indexes
 *		ExecOpenIndices(rri, false), from what is kept: each index opened
 *		and locked as the executor does, with a copy of its kept IndexInfo.
 *		The caller's lock on the table keeps its set of indexes as it is.
 *
 *		nulls (or NULL): what every row version written through rri surely
 *		has, as for predicate_value().  A partial index whose kept
 *		predicate is false for all of them is left closed, its slot in
 *		ri_IndexRelationDescs NULL, which ExecInsertIndexTuples() and
 *		ExecCloseIndices() pass over: the rows do not enter it, and no
 *		lock of it is needed to keep them out (the table's lock keeps it
 *		from being dropped or rebuilt).  A cancel's new versions all have
 *		canceled_at and never expires_at, so tasks_open_idx and
 *		tasks_expires_at_idx are not opened.
 */
static void
open_indexes(ResultRelInfo *rri, KeptIndexes *kept, const char *nulls)
{
	Relation	rel = rri->ri_RelationDesc;
	int			i;

	if (kept->epoch != tc_relcache_epoch() ||
		kept->relid != RelationGetRelid(rel))
		make_kept_indexes(kept, rel);
	rri->ri_NumIndices = kept->n;
	if (kept->n == 0)
		return;
	rri->ri_IndexRelationDescs = palloc(sizeof(Relation) * kept->n);
	rri->ri_IndexRelationInfo = palloc(sizeof(IndexInfo *) * kept->n);
	for (i = 0; i < kept->n; i++)
	{
		IndexInfo  *info = makeNode(IndexInfo);

		memcpy(info, kept->infos[i], sizeof(IndexInfo));
		rri->ri_IndexRelationInfo[i] = info;
		if (nulls != NULL && info->ii_PredicateState != NULL &&
			predicate_value((Node *) info->ii_Predicate, nulls,
							RelationGetDescr(rel)->natts) == PRED_FALSE)
		{
			rri->ri_IndexRelationDescs[i] = NULL;
			continue;
		}
		rri->ri_IndexRelationDescs[i] = index_open(kept->oids[i],
												   RowExclusiveLock);
		/* what an access method keeps for the statement, as it would be */
		info->ii_Context = CurrentMemoryContext;
		info->ii_AmCache = NULL;
	}
}

static RangeTblEntry *
target_rte(Relation rel)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	return rte;
}

static void
writer_begin(Writer *w, Relation rel, Relation erel, bool own_rows)
{
	LeaveOut	tasks_lo = {0};
	LeaveOut	events_lo = {0};
	RangeTblEntry *tasks_rte = target_rte(rel);
	RangeTblEntry *events_rte = target_rte(erel);

	memcpy(w->t, tables.t, sizeof(w->t));
	memcpy(w->e, tables.e, sizeof(w->e));
	w->events_seq = tables.events_seq;
	w->estate = CreateExecutorState();
	tc_init_range_table(w->estate, tasks_rte, bms_copy(tables.updated_cols),
						events_rte, bms_copy(tables.inserted_cols));

	w->tasks = makeNode(ResultRelInfo);
	InitResultRelInfo(w->tasks, rel, 1, NULL, 0);
	w->events = makeNode(ResultRelInfo);
	InitResultRelInfo(w->events, erel, 2, NULL, 0);
	w->guard_inline = runs_alone(rel, TRIGGER_TYPE_UPDATE, tables.guard_func);
	w->stamp_inline = runs_alone(erel, TRIGGER_TYPE_INSERT, tables.stamp_func);
	tasks_lo.event = TRIGGER_TYPE_UPDATE;
	if (w->guard_inline)
	{
		tasks_lo.inline_func = tables.guard_func;
		/* no other BEFORE trigger fires: we know every column we change */
		if (!own_rows)
		{
			tasks_lo.key_checks = tables.key_checks;
			tasks_lo.nkey_checks = tables.nkey_checks;
		}
	}
	w->tasks_after = leave_out_triggers(w->tasks, &tasks_lo);
	events_lo.event = TRIGGER_TYPE_INSERT;
	if (w->stamp_inline)
		events_lo.inline_func = tables.stamp_func;
	if (!XLogLogicalInfoActive())
		events_lo.inert_func = tables.stream_func;
	w->events_after = leave_out_triggers(w->events, &events_lo);
	w->estate->es_opened_result_relations =
		list_make2(w->tasks, w->events);
	/* without the guard inline the statements update the tasks */
	if (w->guard_inline)
		open_indexes(w->tasks, &kept_tasks_indexes, tables.cancel_nulls);
	open_indexes(w->events, &kept_events_indexes, NULL);
	tc_eval_plan_qual_init(&w->epq, w->estate);
}

/*
 * writer_statement_begin / _end
 *		Bracket the writes of one of the SPI path's statements: a new command
 *		(and under READ COMMITTED a new snapshot) as SPI gives each, and the
 *		AFTER ROW triggers queued by the writes fired at its end.  after:
 *		whether the table's copy of the triggers has any AFTER ROW trigger
 *		of the write's event left (leave_out_triggers()); without one the
 *		writes queue nothing, and there is no after-trigger query to open.
 */
static void
writer_statement_begin(Writer *w, bool after)
{
	PopActiveSnapshot();
	PushActiveSnapshot(GetTransactionSnapshot());
	CommandCounterIncrement();
	UpdateActiveSnapshotCommandId();
	w->estate->es_snapshot = GetActiveSnapshot();
	w->estate->es_output_cid = GetCurrentCommandId(true);
	if (after)
		AfterTriggerBeginQuery();
}

static void
writer_statement_end(Writer *w, bool after)
{
	if (after)
		AfterTriggerEndQuery(w->estate);
}

/*
 * close_indexes
 *		ExecCloseIndices(rri), but keeping the locks to the end of the
 *		transaction, as a statement keeps those its planning took on the
 *		same indexes: each lock released now would only be taken again
 *		by the next cancel of the transaction, two trips to the lock
 *		manager per index, where the transaction's end releases them all
 *		at once.
 */
static void
close_indexes(ResultRelInfo *rri)
{
	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	irel = rri->ri_IndexRelationDescs[i];

		if (irel == NULL)
			continue;
#if PG_VERSION_NUM >= 170000
		index_insert_cleanup(irel, rri->ri_IndexRelationInfo[i]);
#endif
		index_close(irel, NoLock);
	}
	rri->ri_NumIndices = 0;
}

static void
writer_end(Writer *w)
{
	EvalPlanQualEnd(&w->epq);
	close_indexes(w->tasks);
	close_indexes(w->events);
	ExecCloseResultRelations(w->estate);
	ExecResetTupleTable(w->estate->es_tupleTable, false);
	FreeExecutorState(w->estate);
}

/*
 * insert_event
 *		Insert one customer's cancel_events row, as insert_event_sql does
 *		(defaults included), queue its notification, and set *event_id to
 *		its id -- as stored: trigger stamp_cancel_event draws it again in
 *		commit order per customer (event_order.c), and a BEFORE trigger of
 *		the operator's may change it too (RETURNING id).  False if a BEFORE
 *		trigger skipped the row.
 */
static bool
insert_event(Writer *w, TupleTableSlot *slot, Datum customer, Datum ids,
			 const CancelAudit *audit, int64 *event_id)
{
	const AttrNumber *e = w->e;
	bool		isnull;
	Datum		id;
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
	}
#define SET_EVENT(col, value) \
	(slot->tts_values[e[col] - 1] = (value), \
	 slot->tts_isnull[e[col] - 1] = false)
	/* the trigger draws the id, in commit order per customer */
	if (!tc_event_id_left_null())
		SET_EVENT(E_ID, Int64GetDatum(nextval_internal(w->events_seq, false)));
	SET_EVENT(E_AT, TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
	SET_EVENT(E_CUSTOMER, customer);
	if (audit->has_journey)
		SET_EVENT(E_JOURNEY_ID, Int64GetDatum(audit->journey_id));
	if (audit->journey_name != (Datum) 0)
		SET_EVENT(E_JOURNEY_NAME, audit->journey_name);
	if (audit->agent != (Datum) 0)
		SET_EVENT(E_AGENT, audit->agent);
	SET_EVENT(E_MODE, CStringGetTextDatum(audit->mode));
	if (audit->arg != (Datum) 0)
		SET_EVENT(E_ARG, audit->arg);
	SET_EVENT(E_TASK_IDS, ids);
	SET_EVENT(E_TXID, FullTransactionIdGetDatum(GetTopFullTransactionId()));
#undef SET_EVENT

	tc_event_order_begin();
	if (w->stamp_inline)
		tc_stamp_event(w->events->ri_RelationDesc, slot->tts_values,
					   slot->tts_isnull);
	ExecStoreVirtualTuple(slot);
	ExecSimpleRelationInsert(w->events, w->estate, slot);
	tc_event_order_end();
	/* skipped by a BEFORE trigger: reported at the customer's turn */
	if (!ItemPointerIsValid(&slot->tts_tid))
		return false;
	id = slot_getattr(slot, e[E_ID], &isnull);
	if (isnull)
		return false;

	tc_notify_at_commit(TextDatumGetCString(customer));
	ResetPerTupleExprContext(w->estate);
	*event_id = DatumGetInt64(id);
	return true;
}

/*
 * cancel_row
 *		Cancel the locked task, as update_one_sql does: status,
 *		canceled_at = now(), the audit and the event id.  oldslot takes
 *		the copy of the version locked (remember()); the update goes to
 *		its tid.  False if a BEFORE trigger skipped it.
 */
static bool
cancel_row(Writer *w, TupleTableSlot *oldslot, TupleTableSlot *newslot,
		   const FoundTask *task, const CancelAudit *audit, Datum status,
		   int64 event_id)
{
	Relation	rel = w->tasks->ri_RelationDesc;
	const AttrNumber *t = w->t;
	int			natts = RelationGetDescr(rel)->natts;

	task->row->t_self = task->tid;
	task->row->t_tableOid = RelationGetRelid(rel);
	ExecStoreHeapTuple(task->row, oldslot, false);
	slot_getallattrs(oldslot);

	ExecClearTuple(newslot);
	memcpy(newslot->tts_values, oldslot->tts_values, sizeof(Datum) * natts);
	memcpy(newslot->tts_isnull, oldslot->tts_isnull, sizeof(bool) * natts);
	/* as an UPDATE's target list does: a dropped column's data goes */
	for (int i = 0; i < natts; i++)
	{
		if (TupleDescAttr(RelationGetDescr(rel), i)->attisdropped)
		{
			newslot->tts_values[i] = (Datum) 0;
			newslot->tts_isnull[i] = true;
		}
	}
#define SET_TASK(col, value, null) \
	(newslot->tts_values[t[col] - 1] = (value), \
	 newslot->tts_isnull[t[col] - 1] = (null))
	SET_TASK(T_STATUS, status, false);
	SET_TASK(T_CANCELED_AT,
			 TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
	SET_TASK(T_JOURNEY_ID, Int64GetDatum(audit->journey_id),
			 !audit->has_journey);
	SET_TASK(T_JOURNEY_NAME, audit->journey_name,
			 audit->journey_name == (Datum) 0);
	SET_TASK(T_AGENT, audit->agent, audit->agent == (Datum) 0);
	SET_TASK(T_REASON, audit->reason, false);
	SET_TASK(T_EVENT_ID, Int64GetDatum(event_id), false);
#undef SET_TASK
	/* only with the guard's code inline are tasks updated here */
	Assert(w->guard_inline);
	tc_guard_task_update(rel, oldslot->tts_values, oldslot->tts_isnull,
						 newslot->tts_values, newslot->tts_isnull);
	ExecStoreVirtualTuple(newslot);

	ExecSimpleRelationUpdate(w->tasks, w->estate, &w->epq, oldslot, newslot);
	ResetPerTupleExprContext(w->estate);
	/* the update stores the new version's TID; a skipped one leaves none */
	return ItemPointerIsValid(&newslot->tts_tid);
}

/* The ids of found->tasks[first .. last] as an int8[]. */
static Datum
ids_of(const Found *found, int first, int last)
{
	Datum	   *ids = palloc(sizeof(Datum) * (last - first + 1));
	int			i;

	for (i = first; i <= last; i++)
		ids[i - first] = Int64GetDatum(found->tasks[i].id);
	return PointerGetDatum(construct_array_builtin(ids, last - first + 1,
												   INT8OID));
}

/*
 * write_with_statements
 *		Write the cancel of the locked tasks with cancel_write.c's
 *		statements: when cancel_events turned out, once locked, to be
 *		something the single-row routines must not write.  Must run inside
 *		SPI.
 */
static void
write_with_statements(const Match *m, const Found *found,
					  const CancelAudit *audit)
{
	Datum	   *customers;
	int			i;

	if (m->ncustomers == 1)
	{
		(void) tc_cancel_one(m->customers[0], ids_of(found, 0, found->n - 1),
							 found->n, audit);
		return;
	}
	customers = palloc(sizeof(Datum) * found->n);
	for (i = 0; i < found->n; i++)
		customers[i] = m->customers[found->tasks[i].customer];
	tc_cancel_many(PointerGetDatum(construct_array_builtin(customers, found->n,
														   TEXTOID)),
				   ids_of(found, 0, found->n - 1), (Datum) 0, found->n, audit);
}

/* The last of found's tasks from first on that have first's customer. */
static int
last_of_customer(const Found *found, int first)
{
	int			last = first;

	while (last + 1 < found->n &&
		   found->tasks[last + 1].customer == found->tasks[first].customer)
		last++;
	return last;
}

/*
 * write_cancel
 *		Write the cancel of the locked tasks, in cancel_write.c's order and
 *		steps: the events of all customers first (one statement's worth),
 *		then the tasks (another).  cancel_events is locked only now, as the
 *		INSERT statement would lock it: a cancel that finds nothing never
 *		touches it.
 */
static void
write_cancel(Relation rel, const Match *m, const Found *found,
			 const CancelAudit *audit)
{
	Oid			events = tables.events;
	Relation	erel;
	Writer		w;
	TupleTableSlot *eventslot;
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot;
	int64	   *event_ids = palloc(sizeof(int64) * m->ncustomers);
	Datum		canceled = CStringGetTextDatum("canceled");
	bool	   *event_written = palloc(sizeof(bool) * m->ncustomers);
	bool		own_rows = false;
	bool		statements;
	CommandId	ours;
	uint64		written = 0;
	int			first;
	int			last;
	int			i;

	/*
	 * The UPDATE statement's table lock (the SELECT took ROW SHARE), and
	 * the INSERT's.  A trigger, rule or policy made while we waited for
	 * rows needs a lock these conflict with; once we hold them, nothing
	 * of the kind can appear, so what we see now is what the statements
	 * would see.
	 */
	LockRelationOid(RelationGetRelid(rel), RowExclusiveLock);
	erel = try_table_open(events, RowExclusiveLock);
	if (erel == NULL)
	{
		write_with_statements(m, found, audit);
		return;
	}
	if (!tables_current())
		load_tables();
	if (!tables.usable || tables.events != events ||
		tables.tasks != RelationGetRelid(rel) ||
		!plain_for_us(rel, CMD_UPDATE) || !plain_for_us(erel, CMD_INSERT))
	{
		table_close(erel, NoLock);
		write_with_statements(m, found, audit);
		return;
	}

	/*
	 * Whether this transaction wrote a version we are about to update
	 * (it made the task, or changed it before this call): then the
	 * trigger manager keeps asking about the foreign key checks.  The raw
	 * xmin, as the foreign key code reads it: a row this transaction
	 * loaded with COPY FREEZE reads as frozen otherwise.
	 */
	for (i = 0; i < found->n && !own_rows; i++)
		own_rows = TransactionIdIsCurrentTransactionId(
			HeapTupleHeaderGetRawXmin(found->tasks[i].row->t_data));

	writer_begin(&w, rel, erel, own_rows);
	eventslot = ExecInitExtraTupleSlot(w.estate, RelationGetDescr(erel),
									   &TTSOpsVirtual);
	oldslot = ExecInitExtraTupleSlot(w.estate, RelationGetDescr(rel),
									 &TTSOpsHeapTuple);
	newslot = ExecInitExtraTupleSlot(w.estate, RelationGetDescr(rel),
									 &TTSOpsVirtual);

	writer_statement_begin(&w, w.events_after);
	ours = GetCurrentCommandId(false);
	for (first = 0; first < found->n; first = last + 1)
	{
		int			customer = found->tasks[first].customer;

		last = last_of_customer(found, first);
		event_written[customer] =
			insert_event(&w, eventslot, m->customers[customer],
						 ids_of(found, first, last), audit,
						 &event_ids[customer]);
	}
	writer_statement_end(&w, w.events_after);

	/*
	 * The tasks, one customer after another, updated here as long as no
	 * code but ours can have changed them since they were locked.  The
	 * statements' own UPDATE, which finds what such code made, does it
	 * instead:
	 *
	 * - for all of them where an operator's BEFORE UPDATE trigger runs on
	 *   tasks (the status guard's code is then not run inline): it runs
	 *   on the row being updated, and may change it, or another;
	 * - for the remaining ones once an operator's code has run SQL among
	 *   our writes (a trigger, a foreign key's check, a function a domain
	 *   calls): every SQL statement that writes or locks advances the
	 *   command counter, and our own writes do not.
	 *
	 * With an AFTER ROW UPDATE trigger on tasks each customer's update is a
	 * command of its own whose triggers fire at its end, as the statements'
	 * one UPDATE per customer; without one, and without BEFORE triggers or
	 * functions in constraints (writes_run_outside_code()), no code but
	 * ours runs among the updates, and one command for all is the same.
	 * As in the statements, a skipped event is reported at its customer's
	 * turn, a skipped task once all are written.
	 */
	statements = !w.guard_inline || GetCurrentCommandId(false) != ours;
	if (!statements)
	{
		writer_statement_begin(&w, w.tasks_after);
		ours = GetCurrentCommandId(false);
	}
	for (first = 0; first < found->n; first = last + 1)
	{
		int			customer = found->tasks[first].customer;

		last = last_of_customer(found, first);
		if (!statements && first > 0)
		{
			if (w.tasks_after)
				writer_statement_end(&w, true);
			statements = GetCurrentCommandId(false) != ours;
			if (!statements && w.tasks_after)
			{
				writer_statement_begin(&w, true);
				ours = GetCurrentCommandId(false);
			}
		}
		if (!event_written[customer])
			tc_report_skipped_write(true);
		if (statements)
		{
			written += tc_update_customer_tasks(m->customers[customer],
												ids_of(found, first, last),
												event_ids[customer],
												(Datum) 0, audit);
			continue;
		}
		for (i = first; i <= last; i++)
			written += cancel_row(&w, oldslot, newslot, &found->tasks[i],
								  audit, canceled, event_ids[customer]);
	}
	if (!statements && w.tasks_after)
		writer_statement_end(&w, true);
	if (written != (uint64) found->n)
		tc_report_skipped_write(false);

	writer_end(&w);
	table_close(erel, NoLock);
}

/*
 * put_rows
 *		The result: task_id, [customer,] task_type, previous_status (or
 *		status for a preview), in (customer, id) order.
 */
static void
put_rows(ReturnSetInfo *rsinfo, const Match *m, const Found *found,
		 bool with_customer)
{
	int			i;

	for (i = 0; i < found->n; i++)
	{
		const FoundTask *task = &found->tasks[i];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int			k = 0;

		values[k++] = Int64GetDatum(task->id);
		if (with_customer)
			values[k++] = m->customers[task->customer];
		values[k++] = task->task_type;
		values[k++] = task->status;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * tc_direct_cancel
 *		The fast path of a cancel (lock true) or a preview (lock false) of
 *		the given customers (text Datums, any order, duplicates allowed),
 *		for task types types (text[]) and, when has_campaign, one campaign.
 *		Puts the result rows into rsinfo and returns true; or returns false
 *		having done nothing, when the SPI path must run instead (file
 *		header).  with_customer: the array form's result columns.
 *		audit: what a cancel records; unused for a preview.
 *
 * Runs inside the caller's SPI connection, after the lookups; allocates in
 * the current (per-call) memory context.
 */
bool
tc_direct_cancel(Datum *customers, int ncustomers, Datum types,
				 bool has_campaign, int64 campaign_id, bool lock,
				 bool with_customer, const CancelAudit *audit,
				 ReturnSetInfo *rsinfo)
{
	LOCKMODE	lockmode = lock ? RowShareLock : AccessShareLock;
	Relation	rel;
	Relation	irel;
	Match		m = {0};
	Found		found = {0};
	Datum	   *elems;
	int			i;

	if (!may_run(lock))
		return false;
	if (!tables_current())
		load_tables();
	if (!tables.usable ||
		!has_privileges(tables.tasks, lock ? ACL_SELECT | ACL_UPDATE : ACL_SELECT) ||
		(lock && !has_privileges(tables.events, ACL_SELECT | ACL_INSERT)))
		return false;

	rel = try_table_open(tables.tasks, lockmode);
	if (rel == NULL)
		return false;

	/*
	 * Opening may have processed invalidations: look again, now that the
	 * lock we hold keeps the table and its indexes as they are, and decline
	 * if tasks_open_idx is no longer one of them (DROP INDEX locks the
	 * table, so it may have happened while we waited for the lock).
	 */
	if (!tables_current())
		load_tables();
	if (!tables.usable || tables.tasks != RelationGetRelid(rel) ||
		!list_member_oid(RelationGetIndexList(rel), tables.open_idx) ||
		!plain_for_us(rel, CMD_UPDATE))
	{
		table_close(rel, NoLock);
		return false;
	}
	irel = index_open(tables.open_idx, AccessShareLock);

	deconstruct_array_builtin(DatumGetArrayTypeP(types), TEXTOID, &elems,
							  NULL, &m.ntypes);
	m.types = palloc(sizeof(TextRef) * Max(m.ntypes, 1));
	for (i = 0; i < m.ntypes; i++)
		m.types[i] = text_ref(elems[i]);
	m.has_campaign = has_campaign;
	m.campaign_id = campaign_id;
	sort_customers(customers, &ncustomers, tables.customer_collation);
	m.customers = customers;
	m.ncustomers = ncustomers;

	/* as SPI does for each statement that is not read-only */
	PushActiveSnapshot(GetTransactionSnapshot());
	CommandCounterIncrement();
	UpdateActiveSnapshotCommandId();

	find_tasks(rel, irel, GetActiveSnapshot(), &m, lock, &found);
	if (lock && found.n > 0)
		write_cancel(rel, &m, &found, audit);
	put_rows(rsinfo, &m, &found, with_customer);

	PopActiveSnapshot();
	index_close(irel, NoLock);
	table_close(rel, NoLock);
	return true;
}
