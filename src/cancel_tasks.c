/*-------------------------------------------------------------------------
 *
 * cancel_tasks.c
 *	  task_cancel.cancel_tasks(): the Cancel Task block of a journey, for
 *	  one customer (text) or many (text[]).
 *
 * A call has three steps:
 *
 *	1. Check the arguments (before SPI_connect, before any write).
 *	2. Look up, each in its own statement, what the cancel needs from the
 *	   small tables: the journey's current name, the task types it may
 *	   cancel, and for mode "campaign" the campaign.  No statement joins
 *	   tasks with another table (API.md, scale-out rules).
 *	3. Run one statement that locks and cancels the matching tasks and
 *	   returns them; the rows go to the caller's tuplestore.
 *
 * All statements are constant SQL with $n parameters, prepared once per
 * backend (plans.c).
 *
 * IDENTIFICATION
 *	  src/cancel_tasks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/tuplestore.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_cancel_tasks);
PG_FUNCTION_INFO_V1(tc_cancel_tasks_array);

typedef enum CancelMode
{
	CANCEL_ALL,
	CANCEL_TASK_TYPE,
	CANCEL_CAMPAIGN
} CancelMode;

/*
 * What one call asks for.  The first fields come from the arguments; the
 * rest are looked up inside SPI and live in the per-call SPI context.
 */
typedef struct CancelRequest
{
	CancelMode	mode;
	char	   *type_name;		/* mode task_type: the type's name */
	int64		campaign_id;	/* mode campaign: the parsed id */
	int64		journey_id;

	Datum		journey_name;	/* text: the journey's name right now */
	Datum		types;			/* text[]: task types this call may cancel */
	char	   *reason;			/* cancel_reason written on each row */
} CancelRequest;

#define TC_CANCEL_NCOLS 3
#define TC_CANCEL_ARRAY_NCOLS 4

/*
 * Lookups.  Each reads one small table by its key; none touches tasks.
 */
static const char *const journey_sql =
"SELECT name FROM task_cancel.journeys WHERE id = $1";

static const char *const cancelable_types_sql =
"SELECT pg_catalog.array_agg(name ORDER BY name)"
"  FROM task_cancel.task_types WHERE cancelable";

static const char *const task_type_sql =
"SELECT label, cancelable FROM task_cancel.task_types WHERE name = $1";

static const char *const campaign_sql =
"SELECT name FROM task_cancel.campaigns WHERE id = $1";

/*
 * The cancel statement, and why it is safe under concurrency.
 *
 * CTE "locked" finds the customer's waiting tasks of the given types (and
 * campaign, when $6 is not NULL) and locks them FOR NO KEY UPDATE -- the
 * lock the UPDATE would take anyway -- in ascending id order: the sort runs
 * below the LockRows node, so rows are locked in exactly that order.  With
 * the customer fixed this is the global lock order (customer, id) that
 * every cancel follows, so two cancels never wait for each other in a
 * cycle.
 *
 * If a row is locked by another transaction (an agent's accept, another
 * cancel, the router releasing an offer), the lock waits for it to end.
 * It does not skip the row.  Under READ COMMITTED the executor then
 * re-reads the newest committed version of the row and re-checks the WHERE
 * clause against it (EvalPlanQual): a task that was accepted meanwhile is
 * no longer "pending" or "reserved" and drops out, a task whose holder
 * rolled back is locked as it was, and a reservation that was released is
 * canceled with its new status "pending".  So the decision is always made
 * on the committed state after the wait, and accept and cancel can never
 * both win.  Under REPEATABLE READ or SERIALIZABLE the snapshot may not
 * move, so the same situation raises 40001 (could not serialize access due
 * to concurrent update) instead of acting on a row the snapshot did not
 * see; the caller retries.
 *
 * CTE "canceled" then updates exactly the locked rows, which it already
 * holds, and returns each row's status as the lock saw it: RETURNING of an
 * UPDATE shows only the new values, and the previous status is what the
 * journey engine needs to withdraw a reservation.  The status trigger
 * checks each row's move into "canceled" as for any other UPDATE.
 */
static const char *const cancel_one_sql =
"WITH locked AS ("
"    SELECT t.id, t.status"
"      FROM task_cancel.tasks AS t"
"     WHERE t.customer = $1"
"       AND t.status IN ('pending', 'reserved')"
"       AND t.task_type = ANY ($2)"
"       AND ($6::pg_catalog.int8 IS NULL OR t.campaign_id = $6)"
"     ORDER BY t.id"
"       FOR NO KEY UPDATE"
"), canceled AS ("
"    UPDATE task_cancel.tasks AS t"
"       SET status = 'canceled',"
"           canceled_at = pg_catalog.now(),"
"           canceled_by_journey_id = $3,"
"           canceled_by_journey_name = $4,"
"           cancel_reason = $5"
"      FROM locked"
"     WHERE t.customer = $1"
"       AND t.id = locked.id"
"    RETURNING t.id, t.task_type, locked.status"
")"
"SELECT id, task_type, status FROM canceled ORDER BY id";

/*
 * The same for many customers in one statement: the lock order is
 * (customer, id) across all of them, which is the order a single-customer
 * cancel uses too, so overlapping calls of either form cannot deadlock.
 * = ANY() makes duplicates in the array harmless.
 */
static const char *const cancel_many_sql =
"WITH locked AS ("
"    SELECT t.customer, t.id, t.status"
"      FROM task_cancel.tasks AS t"
"     WHERE t.customer = ANY ($1)"
"       AND t.status IN ('pending', 'reserved')"
"       AND t.task_type = ANY ($2)"
"       AND ($6::pg_catalog.int8 IS NULL OR t.campaign_id = $6)"
"     ORDER BY t.customer, t.id"
"       FOR NO KEY UPDATE"
"), canceled AS ("
"    UPDATE task_cancel.tasks AS t"
"       SET status = 'canceled',"
"           canceled_at = pg_catalog.now(),"
"           canceled_by_journey_id = $3,"
"           canceled_by_journey_name = $4,"
"           cancel_reason = $5"
"      FROM locked"
"     WHERE t.customer = locked.customer"
"       AND t.id = locked.id"
"    RETURNING t.id, t.customer, t.task_type, locked.status"
")"
"SELECT id, customer, task_type, status FROM canceled ORDER BY customer, id";

/*
 * parse_request
 *		Check mode, arg and journey_id (arguments 1 to 3) and fill the
 *		argument part of req.
 *
 * Raises 22023 for a missing or unknown mode, for an argument that does not
 * fit the mode, 22P02 for a campaign id that is not an integer (from the
 * bigint input function itself) and 22004 for a NULL journey_id.
 */
static void
parse_request(FunctionCallInfo fcinfo, CancelRequest *req)
{
	const char *mode;
	char	   *arg;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cancel mode must not be null"),
				 errhint("Valid modes are \"all\", \"task_type\" and \"campaign\".")));
	mode = text_to_cstring(PG_GETARG_TEXT_PP(1));
	arg = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

	if (strcmp(mode, "all") == 0)
	{
		req->mode = CANCEL_ALL;
		if (arg != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel mode \"all\" takes no argument"),
					 errhint("Pass NULL as arg to cancel all of the customer's waiting tasks.")));
	}
	else if (strcmp(mode, "task_type") == 0)
	{
		req->mode = CANCEL_TASK_TYPE;
		if (arg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel mode \"task_type\" needs a task type as arg"),
					 errhint("Task types are listed in task_cancel.task_types.")));
		req->type_name = arg;
	}
	else if (strcmp(mode, "campaign") == 0)
	{
		req->mode = CANCEL_CAMPAIGN;
		if (arg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel mode \"campaign\" needs a campaign id as arg")));
		req->campaign_id = DatumGetInt64(DirectFunctionCall1(int8in,
															 CStringGetDatum(arg)));
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cancel mode \"%s\"", mode),
				 errhint("Valid modes are \"all\", \"task_type\" and \"campaign\".")));

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("journey_id must not be null"),
				 errdetail("Every canceled task records the journey that canceled it.")));
	req->journey_id = PG_GETARG_INT64(3);
}

/*
 * lookup_one_row
 *		Run a kept lookup plan with one parameter; false if it found no row.
 */
static bool
lookup_one_row(SPIPlanPtr *plan, const char *sql, Oid argtype, Datum arg)
{
	return tc_execute_kept(plan, sql, 1, &argtype, &arg, NULL,
						   SPI_OK_SELECT) > 0;
}

/*
 * column_value
 *		Column col of the first row of SPI_tuptable, and whether it is NULL.
 */
static Datum
column_value(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col,
						 isnull);
}

/*
 * cancelable_types
 *		Every task type whose cancelable flag is set, as a text[] Datum.
 *
 * An empty table of cancelable types yields an empty array, so the cancel
 * finds nothing rather than everything.
 */
static Datum
cancelable_types(void)
{
	static SPIPlanPtr plan = NULL;
	Datum		types;
	bool		isnull;

	tc_execute_kept(&plan, cancelable_types_sql, 0, NULL, NULL, NULL,
					SPI_OK_SELECT);
	types = column_value(1, &isnull);
	if (isnull)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	return types;
}

/*
 * resolve_request
 *		Look up the journey, the task types and the campaign, and compose
 *		the cancel reason.
 *
 * Must run inside SPI; results are in the per-call SPI context.  Raises
 * 22023 for an unregistered journey, an unknown task type or campaign, and
 * 0A000 for a task type that is never cancelable.  Locks nothing.
 */
static void
resolve_request(CancelRequest *req)
{
	static SPIPlanPtr journey_plan = NULL;
	static SPIPlanPtr task_type_plan = NULL;
	static SPIPlanPtr campaign_plan = NULL;
	bool		isnull;

	if (!lookup_one_row(&journey_plan, journey_sql, INT8OID,
						Int64GetDatum(req->journey_id)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("journey %lld is not registered",
						(long long) req->journey_id),
				 errhint("Register it first with task_cancel.register_journey(id, name).")));
	/* copied, as the next lookup replaces SPI_tuptable */
	req->journey_name = datumCopy(column_value(1, &isnull), false, -1);

	switch (req->mode)
	{
		case CANCEL_ALL:
			req->types = cancelable_types();
			req->reason = pstrdup("Cancel Task block: all of the customer's waiting tasks");
			break;

		case CANCEL_TASK_TYPE:
			{
				char	   *label;
				Datum		one_type;

				if (!lookup_one_row(&task_type_plan, task_type_sql, TEXTOID,
									CStringGetTextDatum(req->type_name)))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("unknown task type \"%s\"", req->type_name),
							 errhint("Task types are listed in task_cancel.task_types.")));
				label = TextDatumGetCString(column_value(1, &isnull));
				if (!DatumGetBool(column_value(2, &isnull)))
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("tasks of type \"%s\" cannot be canceled",
									req->type_name),
							 errdetail("Tasks of type \"%s\" (%s) are never canceled by a journey.",
									   req->type_name, label)));
				one_type = CStringGetTextDatum(req->type_name);
				req->types = PointerGetDatum(
					construct_array_builtin(&one_type, 1, TEXTOID));
				req->reason = psprintf("Cancel Task block: waiting tasks of type %s (%s)",
									   label, req->type_name);
			}
			break;

		case CANCEL_CAMPAIGN:
			if (!lookup_one_row(&campaign_plan, campaign_sql, INT8OID,
								Int64GetDatum(req->campaign_id)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("campaign %lld does not exist",
								(long long) req->campaign_id),
						 errhint("Campaigns are listed in task_cancel.campaigns.")));
			req->reason = psprintf("Cancel Task block: waiting tasks of campaign %s (id %lld)",
								   TextDatumGetCString(column_value(1, &isnull)),
								   (long long) req->campaign_id);
			req->types = cancelable_types();
			break;
	}
}

/*
 * cancel_params
 *		Fill parameters $2 to $6 of the cancel statements from req.
 */
static void
cancel_params(const CancelRequest *req, Oid *argtypes, Datum *values,
			  char *nulls)
{
	argtypes[1] = TEXTARRAYOID;
	values[1] = req->types;
	argtypes[2] = INT8OID;
	values[2] = Int64GetDatum(req->journey_id);
	argtypes[3] = TEXTOID;
	values[3] = req->journey_name;
	argtypes[4] = TEXTOID;
	values[4] = CStringGetTextDatum(req->reason);
	argtypes[5] = INT8OID;
	values[5] = Int64GetDatum(req->campaign_id);
	memset(nulls, ' ', 6);
	if (req->mode != CANCEL_CAMPAIGN)
		nulls[5] = 'n';
}

/*
 * put_canceled_rows
 *		Copy the n rows of SPI_tuptable, ncols columns each, into the
 *		function's result tuplestore.
 *
 * Must run inside SPI, before SPI_finish() frees SPI_tuptable; the
 * tuplestore copies the values into the caller's per-query memory.
 */
static void
put_canceled_rows(ReturnSetInfo *rsinfo, uint64 n, int ncols)
{
	TupleDesc	tupdesc = SPI_tuptable->tupdesc;
	uint64		row;

	Assert(ncols <= TC_CANCEL_ARRAY_NCOLS);
	Assert(tupdesc->natts == ncols && rsinfo->setDesc->natts == ncols);

	for (row = 0; row < n; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		Datum		out[TC_CANCEL_ARRAY_NCOLS];
		bool		outnulls[TC_CANCEL_ARRAY_NCOLS];
		int			i;

		for (i = 0; i < ncols; i++)
			out[i] = SPI_getbinval(tuple, tupdesc, i + 1, &outnulls[i]);
		Assert(i == ncols);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out,
							 outnulls);
	}
}

/*
 * check_customers
 *		Raise 22004 if the customers array is NULL or holds a NULL, and
 *		22023 if it holds an empty string.
 */
static ArrayType *
check_customers(FunctionCallInfo fcinfo)
{
	ArrayType  *customers;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customers must not be null"),
				 errhint("Pass an empty array to cancel nothing.")));

	customers = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array_builtin(customers, TEXTOID, &elems, &elem_nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (elem_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("customers must not contain null")));
		if (VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i])) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("customers must not contain an empty string")));
	}
	pfree(elems);
	pfree(elem_nulls);

	return customers;
}

/*
 * cancel_tasks(customer text, mode text, arg text, journey_id bigint)
 *		RETURNS TABLE (task_id bigint, task_type text, previous_status text)
 *
 * Cancels the customer's waiting, cancelable tasks that match the mode, in
 * the caller's transaction, and returns them ordered by task_id.  Locks the
 * rows it cancels in ascending id order and holds the locks until the
 * caller's transaction ends.  Errors are those of parse_request() and
 * resolve_request(), plus 22004/22023 for a NULL or empty customer.
 */
Datum
tc_cancel_tasks(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CancelRequest req = {0};
	Oid			argtypes[6];
	Datum		values[6];
	char		nulls[6];
	uint64		n;

	values[0] = PointerGetDatum(tc_text_arg(fcinfo, 0, "customer"));
	argtypes[0] = TEXTOID;
	parse_request(fcinfo, &req);

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	resolve_request(&req);
	cancel_params(&req, argtypes, values, nulls);
	n = tc_execute_kept(&plan, cancel_one_sql, 6, argtypes, values, nulls,
						SPI_OK_SELECT);

	put_canceled_rows(rsinfo, n, TC_CANCEL_NCOLS);
	SPI_finish();

	return (Datum) 0;
}

/*
 * cancel_tasks(customers text[], mode text, arg text, journey_id bigint)
 *		RETURNS TABLE (task_id bigint, customer text, task_type text,
 *					   previous_status text)
 *
 * The block-list form: the same as tc_cancel_tasks() for every customer in
 * the array, in one statement, returned ordered by customer, then task_id.
 * Rows are locked in ascending (customer, id) order.  An empty array cancels
 * nothing, duplicates are harmless.
 */
Datum
tc_cancel_tasks_array(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CancelRequest req = {0};
	Oid			argtypes[6];
	Datum		values[6];
	char		nulls[6];
	uint64		n;

	values[0] = PointerGetDatum(check_customers(fcinfo));
	argtypes[0] = TEXTARRAYOID;
	parse_request(fcinfo, &req);

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	resolve_request(&req);
	cancel_params(&req, argtypes, values, nulls);
	n = tc_execute_kept(&plan, cancel_many_sql, 6, argtypes, values, nulls,
						SPI_OK_SELECT);

	put_canceled_rows(rsinfo, n, TC_CANCEL_ARRAY_NCOLS);
	SPI_finish();

	return (Datum) 0;
}
