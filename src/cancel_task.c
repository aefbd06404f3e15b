/*-------------------------------------------------------------------------
 *
 * cancel_task.c
 *	  task_cancel.cancel_task(): an agent's "Cancel this Task" and "Cancel
 *	  this Task & End Campaigns" buttons on the task list.
 *
 * The agent names one task.  It is canceled if it is "pending", or
 * "reserved" for this very agent, and its type is cancelable; a task that
 * is assigned, reserved for someone else, final or missing is left alone
 * and nothing is returned.  With end_campaigns the call also cancels every
 * other waiting, cancelable task of the same customer that a campaign
 * created, whoever it is reserved for (their offers are withdrawn) -- but
 * only when the named task itself was canceled: a button that did nothing
 * ends nothing.
 *
 * Concurrency is that of cancel_tasks (see cancel_tasks.c): given the task
 * by id alone, a first statement reads its customer without locking (the
 * customer-first form of 1.2 is given it, and skips this); then one
 * statement locks, for that customer, the named task and (with
 * end_campaigns) the campaign tasks, in ascending id order -- the global
 * lock order.  After any wait READ COMMITTED re-checks the
 * committed rows, so an accept that won leaves the task "assigned" and
 * this call returns nothing; REPEATABLE READ raises 40001.  The decision
 * is taken in C on the locked rows, then cancel_write.c cancels exactly
 * those, records the event (mode "task", arg the task id) and notifies.
 *
 * IDENTIFICATION
 *	  src/cancel_task.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_cancel_task);
PG_FUNCTION_INFO_V1(tc_cancel_task_of);

#define TC_CANCEL_TASK_NCOLS 3

static const char *const customer_sql =
"SELECT t.customer FROM task_cancel.tasks AS t WHERE t.id = $1";

/*
 * $1 customer, $2 task id, $3 cancelable types, $4 end_campaigns.  The
 * named task is locked whatever its state (the decision is made on the
 * locked row); campaign tasks only while waiting and cancelable, so
 * EvalPlanQual drops one that an agent accepted meanwhile.
 */
static const char *const lock_sql =
"SELECT t.id, t.task_type, t.status, t.agent"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1"
"   AND (t.id = $2"
"        OR ($4 AND t.campaign_id IS NOT NULL"
"            AND t.status IN ('pending', 'reserved')"
"            AND t.completed_at IS NULL AND t.canceled_at IS NULL"
"            AND t.task_type = ANY ($3)))"
" ORDER BY t.id"
"   FOR NO KEY UPDATE";

/*
 * named_task_cancelable
 *		Whether the locked row of the named task may be canceled by agent:
 *		"pending", or "reserved" for agent, and of a cancelable type (from
 *		the lookup cache).  Must run inside SPI.
 */
static bool
named_task_cancelable(HeapTuple row, TupleDesc desc, const char *agent)
{
	bool		isnull;
	char	   *status = TextDatumGetCString(SPI_getbinval(row, desc, 3,
														   &isnull));
	Datum		holder = SPI_getbinval(row, desc, 4, &isnull);
	char	   *label;
	bool		cancelable;

	if (!tc_task_type(TextDatumGetCString(SPI_getbinval(row, desc, 2, &isnull)),
					  &label, &cancelable) || !cancelable)
		return false;
	if (strcmp(status, "pending") == 0)
		return true;
	return strcmp(status, "reserved") == 0 && !isnull &&
		strcmp(TextDatumGetCString(holder), agent) == 0;
}

/*
 * cancel_task(task_id bigint, agent text, reason text DEFAULT NULL,
 *			   end_campaigns boolean DEFAULT false)
 *		RETURNS TABLE (task_id bigint, task_type text, previous_status text)
 * cancel_task(customer text, task_id bigint, agent text, ...) (1.2)
 *
 * Returns what it canceled, ordered by task_id.  task_id, agent or
 * end_campaigns NULL: 22004; agent or reason empty: 22023 (pass NULL for
 * the default reason, which names the agent and the button); the
 * customer-first form's customer as tc_customer_arg() checks it.  Rows
 * locked: the named task and, with end_campaigns, the customer's waiting
 * campaign tasks, in ascending id order, until the caller's transaction
 * ends.
 *
 * The customer-first form skips the first statement: the router already
 * knows the customer, and a task of that id belonging to someone else is
 * missing.  Citus runs it on the node that owns the customer, where the
 * id-only form must look the id up on every node.
 */
static Datum
cancel_named_task(FunctionCallInfo fcinfo, bool with_customer)
{
	static SPIPlanPtr customer_plan = NULL;
	static SPIPlanPtr lock_plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			a = with_customer ? 1 : 0;	/* task_id's argument */
	text	   *customer = with_customer ? tc_customer_arg(fcinfo, 0) : NULL;
	int64		task_id = tc_int64_arg(fcinfo, a, "task_id");
	text	   *agent = tc_text_arg(fcinfo, a + 1, "agent");
	text	   *reason = PG_ARGISNULL(a + 2) ? NULL :
		tc_text_arg(fcinfo, a + 2, "reason");
	bool		end_campaigns;
	char	   *agent_str = text_to_cstring(agent);
	Oid			lock_types[4] = {TEXTOID, INT8OID, TEXTARRAYOID, BOOLOID};
	Datum		lock_values[4];
	Oid			id_type = INT8OID;
	Datum		id_value = Int64GetDatum(task_id);
	SPITupleTable *locked;
	uint64		n;
	uint64		row;
	Datum	   *ids;
	bool		isnull;

	if (PG_ARGISNULL(a + 3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("end_campaigns must not be null")));
	end_campaigns = PG_GETARG_BOOL(a + 3);

	tc_init_result_set(fcinfo);

	SPI_connect();
	if (customer != NULL)
		lock_values[0] = PointerGetDatum(customer);
	else if (tc_execute_kept(&customer_plan, customer_sql, 1, &id_type,
							 &id_value, NULL, SPI_OK_SELECT) == 0)
	{
		SPI_finish();
		return (Datum) 0;		/* no such task */
	}
	else
		lock_values[0] = SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull);

	tc_lookup_accept_changes();
	lock_values[1] = id_value;
	lock_values[2] = tc_cancelable_types();
	lock_values[3] = BoolGetDatum(end_campaigns);
	tc_execute_kept(&lock_plan, lock_sql, 4, lock_types, lock_values, NULL,
					SPI_OK_SELECT);
	locked = SPI_tuptable;
	n = SPI_processed;

	/* The named task decides; if it stays, so does everything else. */
	for (row = 0; row < n; row++)
	{
		HeapTuple	tuple = locked->vals[row];

		if (DatumGetInt64(SPI_getbinval(tuple, locked->tupdesc, 1,
										&isnull)) == task_id)
			break;
	}
	if (row == n ||
		!named_task_cancelable(locked->vals[row], locked->tupdesc, agent_str))
	{
		SPI_finish();
		return (Datum) 0;
	}

	/*
	 * Everything locked is canceled now: the campaign tasks matched the
	 * waiting-and-cancelable condition on their committed rows.  The rows
	 * are in id order, as the result must be.
	 */
	ids = palloc(sizeof(Datum) * n);
	for (row = 0; row < n; row++)
		ids[row] = SPI_getbinval(locked->vals[row], locked->tupdesc, 1,
								 &isnull);

	{
		CancelAudit audit = {0};

		audit.mode = "task";
		audit.arg = CStringGetTextDatum(psprintf("%lld", (long long) task_id));
		audit.agent = PointerGetDatum(agent);
		if (reason != NULL)
			audit.reason = PointerGetDatum(reason);
		else if (end_campaigns)
			audit.reason = CStringGetTextDatum(
				psprintf("Agent %s: Cancel this Task & End Campaigns (task %lld)",
						 agent_str, (long long) task_id));
		else
			audit.reason = CStringGetTextDatum(
				psprintf("Agent %s: Cancel this Task", agent_str));
		tc_cancel_one(lock_values[0],
					  PointerGetDatum(construct_array_builtin(ids, (int) n,
															  INT8OID)),
					  n, &audit);
	}

	for (row = 0; row < n; row++)
	{
		Datum		out[TC_CANCEL_TASK_NCOLS];
		bool		outnulls[TC_CANCEL_TASK_NCOLS] = {false, false, false};

		out[0] = ids[row];
		out[1] = SPI_getbinval(locked->vals[row], locked->tupdesc, 2, &isnull);
		out[2] = SPI_getbinval(locked->vals[row], locked->tupdesc, 3, &isnull);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out,
							 outnulls);
	}
	SPI_finish();

	return (Datum) 0;
}

Datum
tc_cancel_task(PG_FUNCTION_ARGS)
{
	return cancel_named_task(fcinfo, false);
}

Datum
tc_cancel_task_of(PG_FUNCTION_ARGS)
{
	return cancel_named_task(fcinfo, true);
}
