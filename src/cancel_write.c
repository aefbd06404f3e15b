/*-------------------------------------------------------------------------
 *
 * cancel_write.c
 *	  Writing a cancel (version 1.1): the UPDATE of the tasks a caller has
 *	  locked, the cancel_events row for each customer, and the
 *	  notification on channel "task_cancel_events".
 *
 * Every 1.1 way of canceling -- the Cancel Task block (cancel_tasks.c), an
 * agent (cancel_task.c), the block list (block_list.c) -- first locks the
 * tasks it will cancel, in ascending (customer, id) order, and then hands
 * them to tc_cancel_one() or tc_cancel_many() here.  So the audit, the
 * event and the notification are written the same way whoever cancels.
 *
 * Order of the writes: the event first (its id is generated), then the
 * tasks, which point at it through cancel_event_id.  The event's id is
 * drawn again by trigger stamp_cancel_event, in commit order per customer
 * (event_order.c); tc_event_order_begin() and _end() mark the insert as
 * ours, and RETURNING gives the id stored.  Both are ordinary
 * writes in the caller's transaction: a rollback leaves neither.  The
 * notification is queued with tc_notify_at_commit() (commit_notify.c):
 * sent when the transaction commits, dropped at rollback, never sent for
 * a prepared transaction (which NOTIFY would make impossible to prepare),
 * and repeated notifications of one customer in one transaction fold into
 * one.
 *
 * IDENTIFICATION
 *	  src/cancel_write.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdlib.h>

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "task_cancel.h"

/*
 * One customer: one event row, then the UPDATE of exactly the ids the
 * caller locked.  The status condition cannot fail while we hold the
 * locks; it is there so that a mistake would cancel nothing rather than
 * something final.
 */
static const char *const insert_event_sql =
"INSERT INTO task_cancel.cancel_events"
" (customer, task_ids, canceled_by_journey_id, canceled_by_journey_name,"
"  canceled_by_agent, mode, arg)"
" VALUES ($1, $2, $3, $4, $5, $6, $7)"
" RETURNING id";

/*
 * The id is left NULL, and the trigger stamp_cancel_event() draws it: once
 * no other writer of the customer's events is in progress, so that ids
 * follow commit order per customer (event_order.c); and on Citus
 * (src/citus.c) on the node that stores the row, from that node's range
 * (left to the column's default, Citus would draw it on the node that runs
 * the statement, and one node's events would mix ids of two ranges).
 *
 * Under session_replication_role = replica a 1.1 database does not fire
 * that trigger (1.2 made it ENABLE ALWAYS), so there the id is left to the
 * column's default (insert_event_sql); the trigger, where it fires, draws
 * it again.
 */
static const char *const insert_event_null_id_sql =
"INSERT INTO task_cancel.cancel_events"
" (id, customer, task_ids, canceled_by_journey_id, canceled_by_journey_name,"
"  canceled_by_agent, mode, arg)"
" VALUES (NULL, $1, $2, $3, $4, $5, $6, $7)"
" RETURNING id";

static const char *const update_one_sql =
"UPDATE task_cancel.tasks"
"   SET status = 'canceled',"
"       canceled_at = pg_catalog.now(),"
"       canceled_by_journey_id = $3,"
"       canceled_by_journey_name = $4,"
"       canceled_by_agent = $5,"
"       cancel_reason = $6,"
"       cancel_event_id = $7"
" WHERE customer = $1"
"   AND id = ANY ($2)"
"   AND status IN ('pending', 'reserved')"
"   AND completed_at IS NULL AND canceled_at IS NULL";

/*
 * Many customers: one INSERT makes the event of every customer (the locked
 * rows arrive sorted by customer, then id, so each task_ids array is
 * ascending), then one UPDATE per customer cancels that customer's locked
 * ids with its event id -- and each task its own reason where $8 gives one
 * (ROWS FROM pads a NULL or shorter array with NULLs).
 *
 * Per customer, because the plan of one UPDATE joining all (customer, id)
 * pairs with tasks depends on statistics: without them (a table loaded
 * just now, before autovacuum's first ANALYZE) the planner may scan the
 * pairs once per task, and 100,000 tasks took minutes.  With customer = $1
 * the join is bounded by one customer's open tasks whatever the plan.  It
 * also keeps every statement within one customer, as a distributed table
 * needs.
 */
#define INSERT_EVENTS_SQL(id_column, id_value) \
"INSERT INTO task_cancel.cancel_events" \
" (" id_column "customer, task_ids, canceled_by_journey_id," \
"  canceled_by_journey_name, canceled_by_agent, mode, arg)" \
" SELECT " id_value "locked.customer," \
"       pg_catalog.array_agg(locked.id ORDER BY locked.id)," \
"       $3, $4, $5, $6, $7" \
"  FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[])," \
"                  pg_catalog.unnest($2::pg_catalog.int8[]))" \
"       AS locked(customer, id)" \
" GROUP BY locked.customer" \
" RETURNING customer, id"

static const char *const insert_events_sql = INSERT_EVENTS_SQL("", "");

/* as insert_event_null_id_sql */
static const char *const insert_events_null_id_sql =
INSERT_EVENTS_SQL("id, ", "NULL::pg_catalog.int8, ");

static const char *const update_customer_sql =
"UPDATE task_cancel.tasks AS t"
"   SET status = 'canceled',"
"       canceled_at = pg_catalog.now(),"
"       canceled_by_journey_id = $4,"
"       canceled_by_journey_name = $5,"
"       canceled_by_agent = $6,"
"       cancel_reason = COALESCE(locked.reason, $7),"
"       cancel_event_id = $3"
"  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.int8[]),"
"                  pg_catalog.unnest($8::pg_catalog.text[]))"
"       AS locked(id, reason)"
" WHERE t.customer = $1"
"   AND t.id = locked.id"
"   AND t.status IN ('pending', 'reserved')"
"   AND t.completed_at IS NULL AND t.canceled_at IS NULL";

/* One row of insert_events_sql's result. */
typedef struct CustomerEvent
{
	char	   *customer;
	int64		event_id;
} CustomerEvent;

/*
 * who_params
 *		Fill values/nulls[0..2] with journey id, journey name and agent:
 *		who canceled, as every statement here records it.
 */
static void
who_params(const CancelAudit *audit, Datum *values, char *nulls)
{
	values[0] = Int64GetDatum(audit->journey_id);
	nulls[0] = audit->has_journey ? ' ' : 'n';
	values[1] = audit->journey_name;
	nulls[1] = audit->journey_name != (Datum) 0 ? ' ' : 'n';
	values[2] = audit->agent;
	nulls[2] = audit->agent != (Datum) 0 ? ' ' : 'n';
}

/*
 * what_params
 *		Fill values/nulls[0..1] with the event's mode and arg.
 */
static void
what_params(const CancelAudit *audit, Datum *values, char *nulls)
{
	values[0] = CStringGetTextDatum(audit->mode);
	nulls[0] = ' ';
	values[1] = audit->arg;
	nulls[1] = audit->arg != (Datum) 0 ? ' ' : 'n';
}

/*
 * tc_report_skipped_write
 *		Raise the error for a write of a cancel that did not happen: while
 *		we hold the row locks only a BEFORE trigger returning NULL can skip
 *		one (event: the cancel_events row, else a task's UPDATE).  A cancel
 *		half written would list tasks it did not cancel, so it fails, and
 *		the caller's transaction (or savepoint) undoes the rest.  Shared
 *		with the fast path (cancel_direct.c).
 */
void
tc_report_skipped_write(bool event)
{
	ereport(ERROR,
			(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
			 event
			 ? errmsg("a trigger on task_cancel.cancel_events skipped the event of a cancel")
			 : errmsg("a trigger on task_cancel.tasks skipped the cancel of a locked task"),
			 errdetail("A BEFORE trigger returned NULL; a cancel is written completely or not at all.")));
}

/*
 * tc_insert_event
 *		Insert the cancel_events row of one customer's canceled tasks (ids,
 *		an ascending int8[]) and queue its notification; returns the new
 *		event's id.
 *
 * Must run inside SPI.
 */
int64
tc_insert_event(Datum customer, Datum ids, const CancelAudit *audit)
{
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr null_id_plan = NULL;
	Oid			argtypes[7] = {TEXTOID, INT8ARRAYOID, INT8OID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID};
	bool		null_id = tc_event_id_left_null();
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	int64		event_id;

	values[0] = customer;
	values[1] = ids;
	who_params(audit, &values[2], &nulls[2]);
	what_params(audit, &values[5], &nulls[5]);

	tc_event_order_begin();
	if (tc_execute_kept(null_id ? &null_id_plan : &plan,
						null_id ? insert_event_null_id_sql : insert_event_sql,
						7, argtypes, values, nulls,
						SPI_OK_INSERT_RETURNING) != 1)
		tc_report_skipped_write(true);
	tc_event_order_end();
	event_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));

	tc_notify_at_commit(TextDatumGetCString(customer));
	return event_id;
}

/*
 * tc_cancel_one
 *		Cancel the n tasks with the given ids (int8[], ascending) of one
 *		customer, which the caller has locked; record their event and queue
 *		the notification.  Returns the event id.
 *
 * Must run inside SPI.  Anything but n changed rows cannot happen while
 * the caller holds the locks, and is an internal error.
 */
int64
tc_cancel_one(Datum customer, Datum ids, uint64 n, const CancelAudit *audit)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[7] = {TEXTOID, INT8ARRAYOID, INT8OID, TEXTOID,
	TEXTOID, TEXTOID, INT8OID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int64		event_id;
	uint64		changed;

	event_id = tc_insert_event(customer, ids, audit);

	values[0] = customer;
	values[1] = ids;
	who_params(audit, &values[2], &nulls[2]);
	values[5] = audit->reason;
	values[6] = Int64GetDatum(event_id);

	changed = tc_execute_kept(&plan, update_one_sql, 7, argtypes, values,
							  nulls, SPI_OK_UPDATE);
	if (changed != n)
		tc_report_skipped_write(false);
	return event_id;
}

static int
compare_customer_events(const void *a, const void *b)
{
	return strcmp(((const CustomerEvent *) a)->customer,
				  ((const CustomerEvent *) b)->customer);
}

/*
 * customer_event_ids
 *		The inserted events (SPI_tuptable of insert_events_sql), sorted by
 *		customer for bsearch; their notifications are queued here too.
 */
static CustomerEvent *
customer_event_ids(uint64 *nevents)
{
	CustomerEvent *events;
	uint64		i;

	*nevents = SPI_processed;
	events = palloc(sizeof(CustomerEvent) * Max(*nevents, 1));
	for (i = 0; i < *nevents; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		bool		isnull;

		events[i].customer = TextDatumGetCString(
			SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull));
		events[i].event_id = DatumGetInt64(
			SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull));
		tc_notify_at_commit(events[i].customer);
	}
	qsort(events, *nevents, sizeof(CustomerEvent), compare_customer_events);
	return events;
}

/*
 * tc_update_customer_tasks
 *		Cancel the locked tasks ids (int8[]) of one customer with one UPDATE
 *		statement, recording event_id; reasons, when not (Datum) 0, a text[]
 *		parallel to ids (tc_cancel_many()).  Returns how many rows it
 *		changed.  Must run inside SPI.  Also the fast path's way on once
 *		code of the operator's ran SQL among its writes (cancel_direct.c).
 */
uint64
tc_update_customer_tasks(Datum customer, Datum ids, int64 event_id,
						 Datum reasons, const CancelAudit *audit)
{
	static SPIPlanPtr update_plan = NULL;
	Oid			update_types[8] = {TEXTOID, INT8ARRAYOID, INT8OID,
	INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = customer;
	values[1] = ids;
	values[2] = Int64GetDatum(event_id);
	who_params(audit, &values[3], &nulls[3]);
	values[6] = audit->reason;
	values[7] = reasons;
	if (reasons == (Datum) 0)
		nulls[7] = 'n';
	return tc_execute_kept(&update_plan, update_customer_sql, 8,
						   update_types, values, nulls, SPI_OK_UPDATE);
}

/*
 * tc_cancel_many
 *		Cancel n locked tasks of many customers, given as two parallel
 *		arrays (customers text[], ids int8[], sorted by customer, then id);
 *		record one event per customer and queue their notifications.
 *		reasons, when not (Datum) 0, is a third parallel text[] giving each
 *		task its own cancel_reason instead of audit->reason.
 *
 * Must run inside SPI.  As tc_cancel_one(), n changed rows or an error.
 * GROUP BY makes one event per distinct customer string, and the default
 * collation compares strings byte for byte, so strcmp() finds it.
 */
void
tc_cancel_many(Datum customers, Datum ids, Datum reasons, uint64 n,
			   const CancelAudit *audit)
{
	static SPIPlanPtr insert_plan = NULL;
	static SPIPlanPtr insert_null_id_plan = NULL;
	Oid			insert_types[7] = {TEXTARRAYOID, INT8ARRAYOID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	CustomerEvent *events;
	uint64		nevents;
	Datum	   *row_customers;
	Datum	   *row_ids;
	Datum	   *row_reasons = NULL;
	bool	   *reason_nulls = NULL;
	int			nrows;
	int			first;
	uint64		changed = 0;

	values[0] = customers;
	values[1] = ids;
	who_params(audit, &values[2], &nulls[2]);
	what_params(audit, &values[5], &nulls[5]);
	tc_event_order_begin();
	if (tc_event_id_left_null())
		tc_execute_kept(&insert_null_id_plan, insert_events_null_id_sql, 7,
						insert_types, values, nulls, SPI_OK_INSERT_RETURNING);
	else
		tc_execute_kept(&insert_plan, insert_events_sql, 7, insert_types,
						values, nulls, SPI_OK_INSERT_RETURNING);
	tc_event_order_end();
	events = customer_event_ids(&nevents);

	deconstruct_array_builtin(DatumGetArrayTypeP(customers), TEXTOID,
							  &row_customers, NULL, &nrows);
	deconstruct_array(DatumGetArrayTypeP(ids), INT8OID, sizeof(int64),
					  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &row_ids, NULL, &nrows);
	if (reasons != (Datum) 0)
	{
		int			nreasons;

		deconstruct_array_builtin(DatumGetArrayTypeP(reasons), TEXTOID,
								  &row_reasons, &reason_nulls, &nreasons);
		Assert(nreasons == nrows);
	}
	Assert((uint64) nrows == n);

	for (first = 0; first < nrows;)
	{
		CustomerEvent key;
		CustomerEvent *found;
		Datum		ids_array;
		Datum		reasons_array = (Datum) 0;
		int			last = first;

		key.customer = TextDatumGetCString(row_customers[first]);
		while (last + 1 < nrows &&
			   strcmp(TextDatumGetCString(row_customers[last + 1]),
					  key.customer) == 0)
			last++;
		found = bsearch(&key, events, nevents, sizeof(CustomerEvent),
						compare_customer_events);
		if (found == NULL)
			tc_report_skipped_write(true);

		ids_array = PointerGetDatum(construct_array_builtin(&row_ids[first],
															last - first + 1,
															INT8OID));
		if (row_reasons != NULL)
			reasons_array =
				PointerGetDatum(construct_md_array(&row_reasons[first],
												   &reason_nulls[first],
												   1,
												   (int[]) {last - first + 1},
												   (int[]) {1},
												   TEXTOID, -1, false,
												   TYPALIGN_INT));
		changed += tc_update_customer_tasks(row_customers[first], ids_array,
											found->event_id, reasons_array,
											audit);
		first = last + 1;
	}
	if (changed != n)
		tc_report_skipped_write(false);
}
