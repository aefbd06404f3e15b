/*-------------------------------------------------------------------------
 *
 * task_row_check.c
 *	  Which rows of task_cancel.tasks are valid: checked by the triggers
 *	  on every INSERT and UPDATE since 1.2 (and by the SQL function
 *	  task_row_check(), the CHECK constraint of version 1.1).
 *
 * The rules, whoever writes the row (the router, a cancel, a hand-written
 * statement, pg_dump's COPY):
 *
 *	- the customer is not empty;
 *	- the status is one of the six;
 *	- a task reserved for, assigned to or wrapped up by an agent names the
 *	  agent;
 *	- completed_at is set exactly when the task is completed;
 *	- a canceled task has canceled_at; a task that is not canceled has no
 *	  cancel audit at all;
 *	- only a waiting task has a deadline, expires_at (1.2; the status
 *	  trigger clears it when a task stops waiting).
 *
 * And for a customer that a row takes on now -- a task created now, or an
 * UPDATE that changes the customer -- at most TC_MAX_CUSTOMER_BYTES
 * bytes (22001): a cancel notifies listeners with the customer as payload,
 * which PostgreSQL limits to 8000 bytes.  Rows of the past keep what they
 * have: tasks of 1.0 and 1.1 with longer customers, and restored copies of
 * them, stay valid and cancelable (commit_notify.c).
 *
 * Until version 1.1 the rules were six CHECK constraints, which PostgreSQL
 * 15 rebuilds from their stored text in each statement that writes the
 * table (about 215,000 instructions).  Version 1.1 made them one CHECK
 * calling task_row_check(); but a CHECK runs with the writer's rights, so
 * every role that wrote tasks by hand then needed EXECUTE on the function
 * -- and lost its writes on upgrade.  Since 1.2 the trigger functions
 * check_new_task() (AFTER INSERT) and status_guard() (BEFORE UPDATE) run
 * the same rules; a trigger needs no privilege of the writer, and costs
 * no expression rebuilt per statement.  The INSERT check runs AFTER, so
 * it judges the row as stored, whatever BEFORE triggers did to it; the
 * UPDATE check runs in the status guard, named "zz_" to fire after every
 * other BEFORE UPDATE trigger we ship (a user's trigger that sorts after
 * it could still change the row).  Both are ENABLE ALWAYS: rows applied by
 * logical replication or loaded under session_replication_role = replica
 * are checked too.  A violation says which rule and which task (23514).
 *
 * IDENTIFICATION
 *	  src/task_row_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_task_row_check);
PG_FUNCTION_INFO_V1(tc_check_new_task);

/* Argument numbers, in the order of the SQL function's parameters. */
enum
{
	ARG_ID,
	ARG_CUSTOMER,
	ARG_STATUS,
	ARG_AGENT,
	ARG_COMPLETED_AT,
	ARG_CANCELED_AT,
	ARG_FIRST_AUDIT,			/* canceled_by_journey_id and the rest */
	TC_ROW_NARGS = ARG_FIRST_AUDIT + 5
};

static const char *const audit_names[] = {
	"canceled_by_journey_id",
	"canceled_by_journey_name",
	"canceled_by_agent",
	"cancel_reason",
	"cancel_event_id",
};

/*
 * row_error
 *		Raise 23514 for the task in values: message and detail as given.
 */
pg_noreturn static void
row_error(const Datum *values, const bool *nulls, const char *message,
		  const char *detail)
{
	if (nulls[ARG_ID])
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid task: %s", message),
				 errdetail("%s", detail)));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("invalid task %lld: %s",
					(long long) DatumGetInt64(values[ARG_ID]), message),
			 errdetail("%s", detail)));
}

/*
 * check_rules
 *		Raise 23514 naming the first rule the row breaks (file header); the
 *		row is given as the SQL function's arguments, values and nulls
 *		indexed by ARG_*.  A NULL customer or status passes, as in a CHECK:
 *		NOT NULL reports it.
 */
static void
check_rules(const Datum *values, const bool *nulls)
{
	char	   *status;
	bool		waiting_for_agent;
	bool		completed;
	bool		canceled;
	int			i;

	if (!nulls[ARG_CUSTOMER] &&
		VARSIZE_ANY_EXHDR(DatumGetTextPP(values[ARG_CUSTOMER])) == 0)
		row_error(values, nulls, "customer must not be empty",
				  "A task belongs to a customer: a phone number or a contact id.");

	if (nulls[ARG_STATUS])
		return;
	status = TextDatumGetCString(values[ARG_STATUS]);
	completed = strcmp(status, "completed") == 0;
	canceled = strcmp(status, "canceled") == 0;
	waiting_for_agent = strcmp(status, "reserved") == 0 ||
		strcmp(status, "assigned") == 0 || strcmp(status, "wrapping") == 0;
	if (!completed && !canceled && !waiting_for_agent &&
		strcmp(status, "pending") != 0)
		row_error(values, nulls, psprintf("invalid status \"%s\"", status),
				  "Valid statuses are \"pending\", \"reserved\", \"assigned\", \"wrapping\", \"completed\" and \"canceled\".");

	if (waiting_for_agent && nulls[ARG_AGENT])
		row_error(values, nulls, psprintf("status \"%s\" needs an agent", status),
				  "A reserved, assigned or wrapping task names the agent it is offered to or handled by.");

	if (completed == nulls[ARG_COMPLETED_AT])
		row_error(values, nulls, completed ? "a completed task needs completed_at"
				  : "only a completed task has completed_at",
				  "completed_at is set exactly when the status is \"completed\".");

	if (canceled)
	{
		if (nulls[ARG_CANCELED_AT])
			row_error(values, nulls, "a canceled task needs canceled_at",
					  "canceled_at records when the task was canceled.");
		return;
	}

	if (!nulls[ARG_CANCELED_AT])
		row_error(values, nulls, "only a canceled task has canceled_at",
				  "The cancel audit columns are written when a task is canceled, and only then.");
	for (i = 0; i < (int) lengthof(audit_names); i++)
		if (!nulls[ARG_FIRST_AUDIT + i])
			row_error(values, nulls, psprintf("only a canceled task has %s", audit_names[i]),
					  "The cancel audit columns are written when a task is canceled, and only then.");
}

/*
 * tc_check_customer_length
 *		Raise 22001 if customer (a text Datum) is longer than
 *		TC_MAX_CUSTOMER_BYTES; rel, when given, is named in the error.
 */
void
tc_check_customer_length(Datum customer, Relation rel, AttrNumber attnum)
{
	Size		len = VARSIZE_ANY_EXHDR(DatumGetTextPP(customer));

	if (len > TC_MAX_CUSTOMER_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("customer is too long"),
				 errdetail("A customer is at most %d bytes; this one has %zu bytes.",
						   TC_MAX_CUSTOMER_BYTES, len),
				 errhint("Use a phone number in E.164 or a contact id."),
				 rel != NULL ? errtablecol(rel, attnum) : 0));
}

/*
 * tc_task_row_columns
 *		Fill cols with the numbers of rel's columns that the rules read
 *		(the 1.1 audit columns are InvalidAttrNumber on a 1.0 table).
 */
void
tc_task_row_columns(Relation rel, TaskRowColumns *cols)
{
	static const char *const names[TC_ROW_NARGS] = {
		"id", "customer", "status", "agent", "completed_at", "canceled_at",
		"canceled_by_journey_id", "canceled_by_journey_name",
		"canceled_by_agent", "cancel_reason", "cancel_event_id",
	};
	int			i;

	StaticAssertStmt(lengthof(cols->attnum) == TC_ROW_NARGS,
					 "TaskRowColumns must have one entry per rule column");
	for (i = 0; i < TC_ROW_NARGS; i++)
		cols->attnum[i] = tc_column_number(rel, names[i],
										   strcmp(names[i], "canceled_by_agent") == 0 ||
										   strcmp(names[i], "cancel_event_id") == 0);
	cols->expires_at = tc_column_number(rel, "expires_at", true);
}

/*
 * tc_check_task_row_values
 *		Raise 23514 unless the row of rel (tasks) given as values and nulls,
 *		indexed by attribute number - 1, keeps the rules; and 22001 if
 *		new_customer and its customer is too long.  The status guard and the
 *		fast path of a cancel (cancel_direct.c) hold their rows this way.
 */
void
tc_check_task_row_values(Relation rel, const TaskRowColumns *cols,
						 const Datum *row_values, const bool *row_nulls,
						 bool new_customer)
{
	Datum		values[TC_ROW_NARGS];
	bool		nulls[TC_ROW_NARGS];
	int			i;

	for (i = 0; i < TC_ROW_NARGS; i++)
	{
		AttrNumber	attnum = cols->attnum[i];

		nulls[i] = attnum == InvalidAttrNumber || row_nulls[attnum - 1];
		values[i] = nulls[i] ? (Datum) 0 : row_values[attnum - 1];
	}
	if (new_customer && !nulls[ARG_CUSTOMER])
		tc_check_customer_length(values[ARG_CUSTOMER], rel,
								 cols->attnum[ARG_CUSTOMER]);
	check_rules(values, nulls);

	if (cols->expires_at != InvalidAttrNumber && !nulls[ARG_STATUS] &&
		!row_nulls[cols->expires_at - 1])
	{
		char	   *status = TextDatumGetCString(values[ARG_STATUS]);

		if (strcmp(status, "pending") != 0 && strcmp(status, "reserved") != 0)
			row_error(values, nulls, "only a waiting task has expires_at",
					  "A task's deadline is cleared when it stops waiting.");
	}
}

/*
 * tc_check_task_row
 *		tc_check_task_row_values() for tuple, a row of rel, taken apart once
 *		(a dozen heap_getattr() calls past the first variable-width column
 *		would each walk the row from its start).
 */
void
tc_check_task_row(Relation rel, const TaskRowColumns *cols, HeapTuple tuple,
				  bool new_customer)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);

	heap_deform_tuple(tuple, tupdesc, values, nulls);
	tc_check_task_row_values(rel, cols, values, nulls, new_customer);
	pfree(values);
	pfree(nulls);
}

/*
 * task_row_check(id, customer, status, agent, completed_at, canceled_at,
 *				  canceled_by_journey_id, canceled_by_journey_name,
 *				  canceled_by_agent, cancel_reason, cancel_event_id)
 *		RETURNS boolean
 *
 * True if the row is valid; raises 23514 naming the broken rule otherwise.
 * A NULL customer or status passes, as in a CHECK: NOT NULL reports it.
 */
Datum
tc_task_row_check(PG_FUNCTION_ARGS)
{
	Datum		values[TC_ROW_NARGS];
	bool		nulls[TC_ROW_NARGS];
	int			i;

	for (i = 0; i < TC_ROW_NARGS; i++)
	{
		nulls[i] = PG_ARGISNULL(i);
		values[i] = nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	check_rules(values, nulls);
	PG_RETURN_BOOL(true);
}

/* What check_new_task() reads of a row, looked up once per statement. */
typedef struct NewTaskColumns
{
	TaskRowColumns row;			/* what the rules read */
	AttrNumber	created_at;		/* tells a task created now from history */
} NewTaskColumns;

static NewTaskColumns new_task_cols;
static Oid	new_task_cols_relid = InvalidOid;
static uint64 new_task_cols_epoch = 0;

/*
 * tc_check_new_task
 *		AFTER INSERT FOR EACH ROW trigger on task_cancel.tasks (trigger
 *		zz_check_new_task, 1.2): the stored row must keep the rules, and a
 *		task created now -- created_at not before the transaction's start,
 *		as block_list.c tells history from new work -- a customer of at
 *		most TC_MAX_CUSTOMER_BYTES.  Then the row is in the table, and the
 *		block list's lock of its insert is released (block_list.c).
 *
 * Raises 23514 or 22001 (the statement then fails, its rows with it), and
 * 39P01 when attached any other way.  Column numbers are looked up once
 * per backend, and again after a relcache invalidation (columns.c).
 */
Datum
tc_check_new_task(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	NewTaskColumns *cols;
	HeapTuple	tuple;
	Datum		value;
	bool		isnull;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"check_new_task\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"check_new_task\" must be fired AFTER INSERT FOR EACH ROW")));

	rel = trigdata->tg_relation;
	tuple = trigdata->tg_trigtuple;
	cols = &new_task_cols;
	if (new_task_cols_relid != RelationGetRelid(rel) ||
		new_task_cols_epoch != tc_relcache_epoch())
	{
		new_task_cols_relid = InvalidOid;
		tc_task_row_columns(rel, &cols->row);
		cols->created_at = tc_column_number(rel, "created_at", false);
		new_task_cols_relid = RelationGetRelid(rel);
		new_task_cols_epoch = tc_relcache_epoch();
	}

	value = heap_getattr(tuple, cols->created_at, RelationGetDescr(rel),
						 &isnull);
	tc_check_task_row(rel, &cols->row, tuple,
					  !isnull &&
					  DatumGetTimestampTz(value) >= GetCurrentTransactionStartTimestamp());
	tc_block_list_settle(rel, tuple);

	return PointerGetDatum(NULL);
}
