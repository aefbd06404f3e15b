/*-------------------------------------------------------------------------
 *
 * cancel_expired_tasks.c
 *	  task_cancel.cancel_expired_tasks(max_tasks): the sweep that cancels
 *	  waiting tasks past their deadline (queue timeouts, version 1.2).
 *
 * A waiting task whose expires_at has passed is never reserved or
 * accepted (router.c); the sweep, run by pg_cron every minute or so,
 * cancels it so that it leaves the queue and the rest of the system
 * hears of it: audit with no journey and no agent, a reason naming the
 * timeout, one cancel event per customer with mode "timeout".
 *
 * Two statements, so that the sweep keeps the global lock order:
 *
 *	1. Without locks, up to max_tasks candidates, oldest deadline first,
 *	   through tasks_expires_at_idx.  The status trigger clears expires_at
 *	   when a task stops waiting, so that index holds the waiting tasks
 *	   with a deadline only: the sweep reads about as many rows as it
 *	   cancels, however long the history.
 *	2. Those (customer, id) pairs locked FOR NO KEY UPDATE in ascending
 *	   (customer, id) order, the order of every cancel, with the same
 *	   conditions again.  A row another transaction holds is waited for,
 *	   and under READ COMMITTED the conditions are re-checked on its
 *	   committed version (EvalPlanQual): a task an agent accepted
 *	   meanwhile, or whose deadline was moved, drops out; an accept that
 *	   wins keeps its task.  Under REPEATABLE READ or SERIALIZABLE the same
 *	   situation raises 40001, as for cancel_tasks (cancel_tasks.c).
 *
 * The locked rows are canceled by cancel_write.c, each with its own
 * reason.  Only cancelable types are swept: automated_sms never is.
 * "Past its deadline" means expires_at at or before the statement's start
 * (statement_timestamp()), as for the router.
 *
 * On Citus (src/citus.c) a locking statement must stay within one
 * customer: step 2 then groups the candidates by customer (sorted as
 * ORDER BY t.customer sorts them) and locks each customer's in turn, in
 * the same (customer, id) order.  Step 1 reads every node.
 *
 * IDENTIFICATION
 *	  src/cancel_expired_tasks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_cancel_expired_tasks);

static const char *const candidates_sql =
"SELECT t.customer, t.id"
"  FROM task_cancel.tasks AS t"
" WHERE t.expires_at <= pg_catalog.statement_timestamp()"
"   AND t.status IN ('pending', 'reserved')"
"   AND t.task_type = ANY ($1)"
" ORDER BY t.expires_at, t.customer, t.id"
" LIMIT $2";

static const char *const lock_sql =
"SELECT t.id, t.customer, t.created_at, t.expires_at"
"  FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]),"
"                  pg_catalog.unnest($2::pg_catalog.int8[]))"
"       AS c(customer, id)"
"  JOIN task_cancel.tasks AS t ON t.customer = c.customer AND t.id = c.id"
" WHERE t.expires_at <= pg_catalog.statement_timestamp()"
"   AND t.status IN ('pending', 'reserved')"
"   AND t.task_type = ANY ($3)"
" ORDER BY t.customer, t.id"
"   FOR NO KEY UPDATE OF t";

/* Citus: the candidates by customer, then step 2 for one customer. */
static const char *const group_sql =
"SELECT c.customer, pg_catalog.array_agg(c.id ORDER BY c.id)"
"  FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]),"
"                  pg_catalog.unnest($2::pg_catalog.int8[]))"
"       AS c(customer, id)"
" GROUP BY c.customer ORDER BY c.customer";

static const char *const lock_customer_sql =
"SELECT t.id, t.customer, t.created_at, t.expires_at"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1 AND t.id = ANY ($2)"
"   AND t.expires_at <= pg_catalog.statement_timestamp()"
"   AND t.status IN ('pending', 'reserved')"
"   AND t.task_type = ANY ($3)"
" ORDER BY t.id"
"   FOR NO KEY UPDATE";

/*
 * timeout_reason
 *		The cancel reason of a task created at created and due at expires:
 *		"Timed out in the queue: not accepted within 30 minutes" -- the
 *		largest whole unit of the time it had -- or "... not accepted by its
 *		deadline" when that time was not positive (a deadline set in the
 *		past).  palloc'd text.
 */
static Datum
timeout_reason(TimestampTz created, TimestampTz expires)
{
	static const struct
	{
		int64		seconds;
		const char *one;
		const char *many;
	}			units[] = {
		{86400, "day", "days"},
		{3600, "hour", "hours"},
		{60, "minute", "minutes"},
		{1, "second", "seconds"},
	};
	int64		seconds;
	int			i;

	/* a deadline of -infinity, or one before the task's creation */
	if (TIMESTAMP_NOT_FINITE(expires) || TIMESTAMP_NOT_FINITE(created) ||
		expires <= created)
		return CStringGetTextDatum("Timed out in the queue: not accepted by its deadline");
	seconds = (expires - created + USECS_PER_SEC / 2) / USECS_PER_SEC;
	if (seconds <= 0)
		return CStringGetTextDatum("Timed out in the queue: not accepted by its deadline");
	for (i = 0; i < (int) lengthof(units) - 1; i++)
		if (seconds % units[i].seconds == 0)
			break;
	seconds /= units[i].seconds;
	return CStringGetTextDatum(psprintf("Timed out in the queue: not accepted within %lld %s",
										(long long) seconds,
										seconds == 1 ? units[i].one : units[i].many));
}

/*
 * lock_each_customer
 *		Step 2 on Citus: lock the candidates (two arrays) one customer at a
 *		time; returns the locked rows as lock_sql does, in a table of n
 *		rows allocated here (SPI memory, until SPI_finish()).
 */
static HeapTuple *
lock_each_customer(Datum customers, Datum ids, Datum types, uint64 *n,
				   TupleDesc *desc)
{
	static SPIPlanPtr group_plan = NULL;
	static SPIPlanPtr lock_plan = NULL;
	Oid			group_types[2] = {TEXTARRAYOID, INT8ARRAYOID};
	Oid			lock_types[3] = {TEXTOID, INT8ARRAYOID, TEXTARRAYOID};
	Datum		values[3];
	SPITupleTable *groups;
	uint64		ngroups;
	uint64		g;
	HeapTuple  *rows = NULL;
	uint64		cap = 0;

	*n = 0;
	*desc = NULL;
	values[0] = customers;
	values[1] = ids;
	ngroups = tc_execute_kept(&group_plan, group_sql, 2, group_types, values,
							  NULL, SPI_OK_SELECT);
	groups = SPI_tuptable;
	for (g = 0; g < ngroups; g++)
	{
		bool		isnull;
		uint64		locked;
		uint64		i;

		values[0] = SPI_getbinval(groups->vals[g], groups->tupdesc, 1, &isnull);
		values[1] = SPI_getbinval(groups->vals[g], groups->tupdesc, 2, &isnull);
		values[2] = types;
		locked = tc_execute_kept(&lock_plan, lock_customer_sql, 3, lock_types,
								 values, NULL, SPI_OK_SELECT);
		if (locked == 0)
			continue;
		if (*n + locked > cap)
		{
			cap = Max(cap * 2, *n + locked);
			rows = rows == NULL ? palloc(sizeof(HeapTuple) * cap) :
				repalloc(rows, sizeof(HeapTuple) * cap);
		}
		for (i = 0; i < locked; i++)
			rows[(*n)++] = SPI_tuptable->vals[i];
		*desc = SPI_tuptable->tupdesc;
	}
	return rows;
}

/*
 * cancel_expired_tasks(max_tasks integer DEFAULT 10000) RETURNS integer
 *
 * Cancels up to max_tasks waiting, cancelable tasks past their deadline,
 * oldest deadline first, and returns how many.  max_tasks NULL: 22004,
 * below 1: 22023.  Rows locked: see the file header.
 */
Datum
tc_cancel_expired_tasks(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr candidates_plan = NULL;
	static SPIPlanPtr lock_plan = NULL;
	Oid			candidates_types[2] = {TEXTARRAYOID, INT4OID};
	Oid			lock_types[3] = {TEXTARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	Datum		values[3];
	int32		max_tasks;
	Datum		types;
	uint64		n;
	uint64		row;
	Datum	   *customers;
	Datum	   *ids;
	Datum	   *reasons;
	bool		isnull;
	HeapTuple  *locked;
	TupleDesc	desc;
	CancelAudit audit = {0};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_tasks must not be null")));
	max_tasks = PG_GETARG_INT32(0);
	if (max_tasks < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_tasks must be at least 1"),
				 errdetail("max_tasks was %d.", max_tasks)));

	SPI_connect();
	tc_lookup_accept_changes();
	types = tc_cancelable_types();

	values[0] = types;
	values[1] = Int32GetDatum(max_tasks);
	n = tc_execute_kept(&candidates_plan, candidates_sql, 2, candidates_types,
						values, NULL, SPI_OK_SELECT);
	if (n == 0)
	{
		SPI_finish();
		PG_RETURN_INT32(0);
	}

	customers = palloc(sizeof(Datum) * n);
	ids = palloc(sizeof(Datum) * n);
	for (row = 0; row < n; row++)
	{
		customers[row] = SPI_getbinval(SPI_tuptable->vals[row],
									   SPI_tuptable->tupdesc, 1, &isnull);
		ids[row] = SPI_getbinval(SPI_tuptable->vals[row],
								 SPI_tuptable->tupdesc, 2, &isnull);
	}
	values[0] = PointerGetDatum(construct_array_builtin(customers, (int) n, TEXTOID));
	values[1] = PointerGetDatum(construct_array_builtin(ids, (int) n, INT8OID));
	values[2] = types;
	if (tc_citus_loaded())
		locked = lock_each_customer(values[0], values[1], types, &n, &desc);
	else
	{
		n = tc_execute_kept(&lock_plan, lock_sql, 3, lock_types, values, NULL,
							SPI_OK_SELECT);
		locked = SPI_tuptable->vals;
		desc = SPI_tuptable->tupdesc;
	}

	if (n > 0)
	{
		reasons = palloc(sizeof(Datum) * n);
		for (row = 0; row < n; row++)
		{
			HeapTuple	tuple = locked[row];

			ids[row] = SPI_getbinval(tuple, desc, 1, &isnull);
			customers[row] = SPI_getbinval(tuple, desc, 2, &isnull);
			reasons[row] = timeout_reason(
				DatumGetTimestampTz(SPI_getbinval(tuple, desc, 3, &isnull)),
				DatumGetTimestampTz(SPI_getbinval(tuple, desc, 4, &isnull)));
		}
		audit.mode = "timeout";
		audit.reason = CStringGetTextDatum("Timed out in the queue");
		tc_cancel_many(PointerGetDatum(construct_array_builtin(customers, (int) n, TEXTOID)),
					   PointerGetDatum(construct_array_builtin(ids, (int) n, INT8OID)),
					   PointerGetDatum(construct_array_builtin(reasons, (int) n, TEXTOID)),
					   n, &audit);
	}
	SPI_finish();

	PG_RETURN_INT32((int32) n);
}
