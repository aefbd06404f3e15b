/*-------------------------------------------------------------------------
 *
 * status_guard.c
 *	  Row trigger that enforces the task status state machine.
 *
 * Every UPDATE of task_cancel.tasks, whoever issues it, passes through
 * tc_status_guard() (trigger zz_status_guard, BEFORE UPDATE FOR EACH ROW).
 * It compares OLD with NEW only: no queries, so it costs a few comparisons
 * per row and keeps working when the table is distributed.
 *
 *	- The status may move only along the edges of the lifecycle
 *	  (transitions[] below); keeping the status is always allowed.
 *	- The cancel audit columns are written only by the transition into
 *	  "canceled" and never change afterwards.
 *	- A transition into "canceled" that leaves canceled_at NULL gets the
 *	  transaction's now(); likewise completed_at for "completed", so a
 *	  hand-written UPDATE produces the same row as the router functions.
 *
 *	- A task that stops waiting ("pending" or "reserved" to anything else)
 *	  loses its deadline, expires_at (1.2): the sweep of timed-out tasks
 *	  reads an index of expires_at, which thus holds only waiting tasks,
 *	  however long the history.
 *	- Since 1.2 the row that will be written must also keep the rules of a
 *	  valid task row (task_row_check.c), and a customer it changes to must
 *	  fit TC_MAX_CUSTOMER_BYTES.
 *
 * INSERT has its own trigger (check_new_task(), task_row_check.c): it
 * checks the rules of a valid row, which past tasks that pg_dump restores
 * with COPY keep, not how a status may move.
 *
 * IDENTIFICATION
 *	  src/status_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_status_guard);

typedef enum TaskStatus
{
	TS_PENDING,
	TS_RESERVED,
	TS_ASSIGNED,
	TS_WRAPPING,
	TS_COMPLETED,
	TS_CANCELED,
	TS_UNKNOWN
} TaskStatus;

#define TC_NUM_STATUSES TS_UNKNOWN

static const char *const status_names[TC_NUM_STATUSES] = {
	[TS_PENDING] = "pending",
	[TS_RESERVED] = "reserved",
	[TS_ASSIGNED] = "assigned",
	[TS_WRAPPING] = "wrapping",
	[TS_COMPLETED] = "completed",
	[TS_CANCELED] = "canceled",
};

/*
 * transitions[from][to]: the task lifecycle (doc/reference.md), after Twilio TaskRouter.
 * The diagonal is true (an UPDATE may keep the status); "completed" and
 * "canceled" have no way out.
 */
static const bool transitions[TC_NUM_STATUSES][TC_NUM_STATUSES] = {
	[TS_PENDING] = {[TS_PENDING] = true, [TS_RESERVED] = true,
	[TS_ASSIGNED] = true, [TS_CANCELED] = true},
	[TS_RESERVED] = {[TS_RESERVED] = true, [TS_PENDING] = true,
	[TS_ASSIGNED] = true, [TS_CANCELED] = true},
	[TS_ASSIGNED] = {[TS_ASSIGNED] = true, [TS_WRAPPING] = true,
	[TS_COMPLETED] = true},
	[TS_WRAPPING] = {[TS_WRAPPING] = true, [TS_COMPLETED] = true},
	[TS_COMPLETED] = {[TS_COMPLETED] = true},
	[TS_CANCELED] = {[TS_CANCELED] = true},
};

/*
 * The cancel audit columns, written once by the move into "canceled".
 * canceled_at comes first: AUDIT_CANCELED_AT indexes it.  The columns from
 * AUDIT_FIRST_1_1 on were added by version 1.1; a database still on 1.0
 * does not have them yet, and the guard then checks the others.
 */
#define AUDIT_CANCELED_AT 0
#define AUDIT_FIRST_1_1 4
static const char *const audit_column_names[] = {
	"canceled_at",
	"canceled_by_journey_id",
	"canceled_by_journey_name",
	"cancel_reason",
	"canceled_by_agent",
	"cancel_event_id",
};

#define TC_NUM_AUDIT_COLUMNS ((int) lengthof(audit_column_names))

/*
 * Column numbers of the columns the guard reads.  Looked up by name once
 * per backend and again after a relcache invalidation (columns.c): every
 * router step fires the guard, and the lookups cost more than its checks.
 */
typedef struct GuardColumns
{
	AttrNumber	id;
	AttrNumber	status;
	AttrNumber	completed_at;
	AttrNumber	audit[TC_NUM_AUDIT_COLUMNS];	/* 0: not in this version */
	AttrNumber	customer;
	AttrNumber	expires_at;		/* 0: before 1.2 */
	TaskRowColumns row;			/* what the row rules read */
} GuardColumns;

static GuardColumns guard_cols;
static Oid	guard_cols_relid = InvalidOid;
static uint64 guard_cols_epoch = 0;

static GuardColumns *
guard_columns(Relation rel)
{
	GuardColumns *cols = &guard_cols;
	uint64		epoch = tc_relcache_epoch();
	int			i;

	if (guard_cols_relid == RelationGetRelid(rel) && guard_cols_epoch == epoch)
		return cols;

	guard_cols_relid = InvalidOid;
	cols->id = tc_column_number(rel, "id", false);
	cols->status = tc_column_number(rel, "status", false);
	cols->completed_at = tc_column_number(rel, "completed_at", false);
	for (i = 0; i < TC_NUM_AUDIT_COLUMNS; i++)
		cols->audit[i] = tc_column_number(rel, audit_column_names[i],
									   i >= AUDIT_FIRST_1_1);
	cols->customer = tc_column_number(rel, "customer", false);
	cols->expires_at = tc_column_number(rel, "expires_at", true);
	tc_task_row_columns(rel, &cols->row);

	guard_cols_relid = RelationGetRelid(rel);
	guard_cols_epoch = epoch;
	return cols;
}

/*
 * parse_status
 *		Map a status text to TaskStatus; TS_UNKNOWN if it is none of them.
 *
 * NEW may hold any text: the transition check reports an unknown one.
 */
static TaskStatus
parse_status(Datum value)
{
	text	   *t = DatumGetTextPP(value);
	const char *s = VARDATA_ANY(t);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	int			i;

	for (i = 0; i < TC_NUM_STATUSES; i++)
	{
		if (strlen(status_names[i]) == len &&
			memcmp(status_names[i], s, len) == 0)
			return (TaskStatus) i;
	}
	return TS_UNKNOWN;
}

/*
 * allowed_targets
 *		"a", "a" or "b", "a", "b" or "c": the statuses reachable from "from",
 *		for the error detail.
 */
static char *
allowed_targets(TaskStatus from)
{
	StringInfoData buf;
	int			n = 0;
	int			total = 0;
	int			to;

	for (to = 0; to < TC_NUM_STATUSES; to++)
		if (to != (int) from && transitions[from][to])
			total++;

	initStringInfo(&buf);
	for (to = 0; to < TC_NUM_STATUSES; to++)
	{
		if (to == (int) from || !transitions[from][to])
			continue;
		if (n > 0)
			appendStringInfoString(&buf, n == total - 1 ? " or " : ", ");
		appendStringInfo(&buf, "\"%s\"", status_names[to]);
		n++;
	}
	return buf.data;
}

/*
 * check_transition
 *		Raise 23514 (check_violation) unless OLD's status may become NEW's.
 */
static void
check_transition(Relation rel, const GuardColumns *cols, int64 task_id,
				 TaskStatus from, TaskStatus to, Datum to_text)
{
	if (to == TS_UNKNOWN)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid status \"%s\" for task %lld",
						TextDatumGetCString(to_text), (long long) task_id),
				 errhint("Valid statuses are \"pending\", \"reserved\", \"assigned\", \"wrapping\", \"completed\" and \"canceled\"."),
				 errtablecol(rel, cols->status)));

	if (from == TS_UNKNOWN)
		elog(ERROR, "task %lld has an invalid stored status",
			 (long long) task_id);

	if (transitions[from][to])
		return;

	if (from == TS_COMPLETED || from == TS_CANCELED)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("cannot change status of task %lld from \"%s\" to \"%s\"",
						(long long) task_id, status_names[from],
						status_names[to]),
				 errdetail("Status \"%s\" is final.", status_names[from]),
				 errtablecol(rel, cols->status)));

	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("cannot change status of task %lld from \"%s\" to \"%s\"",
					(long long) task_id, status_names[from], status_names[to]),
			 errdetail("A task in status \"%s\" can only become %s.",
					   status_names[from], allowed_targets(from)),
			 errtablecol(rel, cols->status)));
}

/*
 * check_audit_unchanged
 *		Raise 23514 if any cancel audit column differs between OLD and NEW.
 *
 * Called for every UPDATE except the one that moves a task into
 * "canceled": before that the columns are NULL (the row rules say
 * so), after it they are history.
 */
static void
check_audit_unchanged(Relation rel, const GuardColumns *cols, int64 task_id,
					  const Datum *oldvalues, const bool *oldnulls,
					  const Datum *newvalues, const bool *newnulls)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < TC_NUM_AUDIT_COLUMNS; i++)
	{
		AttrNumber	attnum = cols->audit[i];
		Form_pg_attribute att;
		int			k;

		if (attnum == InvalidAttrNumber)
			continue;
		k = attnum - 1;
		att = TupleDescAttr(tupdesc, k);
		if (oldnulls[k] && newnulls[k])
			continue;
		if (oldnulls[k] == newnulls[k] &&
			datum_image_eq(oldvalues[k], newvalues[k], att->attbyval,
						   att->attlen))
			continue;

		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("cannot change column \"%s\" of task %lld",
						audit_column_names[i], (long long) task_id),
				 errdetail("Cancel audit columns are written once, when the task becomes \"canceled\", and never change afterwards."),
				 errtablecol(rel, attnum)));
	}
}

/*
 * fill_timestamp_if_null
 *		Set column attnum of the new row to now() if it is NULL.
 */
static void
fill_timestamp_if_null(Datum *newvalues, bool *newnulls, AttrNumber attnum)
{
	if (!newnulls[attnum - 1])
		return;
	newvalues[attnum - 1] =
		TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	newnulls[attnum - 1] = false;
}

/*
 * customer_changed
 *		Whether the UPDATE gives the task another customer.
 */
static bool
customer_changed(const GuardColumns *cols, const Datum *oldvalues,
				 const bool *oldnulls, const Datum *newvalues,
				 const bool *newnulls)
{
	int			k = cols->customer - 1;

	if (oldnulls[k] || newnulls[k])
		return oldnulls[k] != newnulls[k];
	return !datum_image_eq(oldvalues[k], newvalues[k], false, -1);
}

/*
 * tc_guard_task_update
 *		The guard's checks and completions of one UPDATE of a row of rel
 *		(tasks), OLD and NEW given as values and nulls indexed by attribute
 *		number - 1: raises 23514 for a forbidden change or an invalid row,
 *		22001 for a new customer that is too long; fills canceled_at or
 *		completed_at and clears expires_at in NEW's arrays (file header).
 *
 * The trigger below runs it on the tuples the trigger manager hands it;
 * the fast path of a cancel (cancel_direct.c) calls it directly on the
 * row it is about to write, in the trigger's place.
 */
void
tc_guard_task_update(Relation rel, const Datum *oldvalues,
					 const bool *oldnulls, Datum *newvalues, bool *newnulls)
{
	GuardColumns *cols = guard_columns(rel);
	int64		task_id;
	TaskStatus	from;
	TaskStatus	to;

	task_id = oldnulls[cols->id - 1] ? 0 :
		DatumGetInt64(oldvalues[cols->id - 1]);
	from = oldnulls[cols->status - 1] ? TS_UNKNOWN :
		parse_status(oldvalues[cols->status - 1]);
	if (newnulls[cols->status - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("status of task %lld must not be null",
						(long long) task_id),
				 errtablecol(rel, cols->status)));
	to = parse_status(newvalues[cols->status - 1]);

	check_transition(rel, cols, task_id, from, to,
					 newvalues[cols->status - 1]);

	if (to == TS_CANCELED && from != TS_CANCELED)
		fill_timestamp_if_null(newvalues, newnulls,
							   cols->audit[AUDIT_CANCELED_AT]);
	else
	{
		check_audit_unchanged(rel, cols, task_id, oldvalues, oldnulls,
							  newvalues, newnulls);
		if (to == TS_COMPLETED && from != TS_COMPLETED)
			fill_timestamp_if_null(newvalues, newnulls, cols->completed_at);
	}

	/* a task that stops waiting loses its deadline */
	if (cols->expires_at != InvalidAttrNumber &&
		to != TS_PENDING && to != TS_RESERVED)
	{
		newvalues[cols->expires_at - 1] = (Datum) 0;
		newnulls[cols->expires_at - 1] = true;
	}

	tc_check_task_row_values(rel, &cols->row, newvalues, newnulls,
							 customer_changed(cols, oldvalues, oldnulls,
											  newvalues, newnulls));
}

/*
 * tc_status_guard
 *		BEFORE UPDATE FOR EACH ROW trigger on task_cancel.tasks.
 *
 * Returns the (possibly completed) new row; never NULL, which would skip
 * the UPDATE silently.  Raises 23514 for a forbidden change or an invalid
 * row, 22001 for a new customer that is too long, and 39P01 when attached
 * any other way.  OLD and NEW are each taken apart once.
 */
Datum
tc_status_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	int			natts;
	Datum	   *oldvalues;
	bool	   *oldnulls;
	Datum	   *newvalues;
	bool	   *newnulls;
	Datum	   *given;
	bool	   *given_nulls;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"status_guard\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"status_guard\" must be fired BEFORE UPDATE FOR EACH ROW")));

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	natts = tupdesc->natts;
	oldvalues = palloc(sizeof(Datum) * natts * 3);
	newvalues = oldvalues + natts;
	given = newvalues + natts;
	oldnulls = palloc(sizeof(bool) * natts * 3);
	newnulls = oldnulls + natts;
	given_nulls = newnulls + natts;
	heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, oldvalues, oldnulls);
	heap_deform_tuple(trigdata->tg_newtuple, tupdesc, newvalues, newnulls);
	memcpy(given, newvalues, sizeof(Datum) * natts);
	memcpy(given_nulls, newnulls, sizeof(bool) * natts);

	tc_guard_task_update(rel, oldvalues, oldnulls, newvalues, newnulls);

	/* a new tuple only if the guard filled or cleared a column */
	for (int i = 0; i < natts; i++)
	{
		if (newnulls[i] != given_nulls[i] ||
			(!newnulls[i] && newvalues[i] != given[i]))
		{
			HeapTuple	newtuple = heap_form_tuple(tupdesc, newvalues,
												   newnulls);

			/* the identity of the row, as heap_modify_tuple() keeps it */
			newtuple->t_data->t_ctid = trigdata->tg_newtuple->t_data->t_ctid;
			newtuple->t_self = trigdata->tg_newtuple->t_self;
			newtuple->t_tableOid = trigdata->tg_newtuple->t_tableOid;
			return PointerGetDatum(newtuple);
		}
	}
	return PointerGetDatum(trigdata->tg_newtuple);
}
