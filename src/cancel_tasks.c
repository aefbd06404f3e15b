/*-------------------------------------------------------------------------
 *
 * cancel_tasks.c
 *	  task_cancel.cancel_tasks(): the Cancel Task block of a journey, for
 *	  one customer (text) or many (text[]); and preview_cancel(), which
 *	  says what it would cancel.
 *
 * A call has three steps:
 *
 *	1. Check the arguments (before SPI_connect, before any write).
 *	2. Look up what the cancel needs from the small tables: the journey's
 *	   current name, the task types it may cancel, and for mode "campaign"
 *	   the campaign -- from the backend's lookup cache, or in statements of
 *	   their own (lookup_cache.c).  No statement joins tasks with another
 *	   table (doc/design.md, scale-out rules).
 *	3. Lock the matching tasks in one statement and, if there are any,
 *	   cancel exactly those in a second; the locked rows are the result
 *	   and go to the caller's tuplestore.  Since 1.1 the cancel also
 *	   writes one cancel_events row per customer and notifies listeners
 *	   (cancel_write.c).
 *
 * preview_cancel() does steps 1 and 2 and runs step 3's query without the
 * lock.
 *
 * Step 3 of the 1.1 entry points and of preview_cancel() has a fast path
 * (cancel_direct.c) that does the same without SQL statements; where it
 * declines (setting task_cancel.fast_path off, Citus loaded, anything
 * unusual about the tables) the statements below run.
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

#include <ctype.h>

#include "catalog/pg_type_d.h"
#include "common/int.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_cancel_tasks);
PG_FUNCTION_INFO_V1(tc_cancel_tasks_array);
PG_FUNCTION_INFO_V1(tc_cancel_tasks_1_1);
PG_FUNCTION_INFO_V1(tc_cancel_tasks_array_1_1);
PG_FUNCTION_INFO_V1(tc_preview_cancel);

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
	char	   *arg;			/* the arg as given, NULL for mode all */
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
 * The cancel, and why it is safe under concurrency.
 *
 * A cancel is two statements.  The first finds the customer's waiting
 * tasks of the given types (and campaign, when $3 is not NULL) and locks
 * them FOR NO KEY UPDATE -- the lock the UPDATE takes anyway -- in
 * ascending id order: the sort runs below the LockRows node, so rows are
 * locked in exactly that order.  With the customer fixed this is the
 * global lock order (customer, id) that every cancel follows, so two
 * cancels never wait for each other in a cycle.
 *
 * If a row is locked by another transaction (an agent's accept, another
 * cancel, the router releasing an offer), the lock waits for it to end.
 * It does not skip the row.  Under READ COMMITTED the executor then
 * re-reads the newest committed version of the row and re-checks the WHERE
 * clause against it (EvalPlanQual): a task that was accepted meanwhile is
 * no longer "pending" or "reserved" and drops out, a task whose holder
 * rolled back is locked as it was, and a reservation that was released is
 * returned with its new status "pending".  So the decision is always made
 * on the committed state after the wait, and accept and cancel can never
 * both win.  Under REPEATABLE READ or SERIALIZABLE the snapshot may not
 * move, so the same situation raises 40001 (could not serialize access due
 * to concurrent update) instead of acting on a row the snapshot did not
 * see; the caller retries.
 *
 * The rows it returns are the function's result: the status each had when
 * locked is its previous_status.  They are sorted once more above the
 * lock, by the values locked: the inner ORDER BY sorts the versions the
 * snapshot saw, and EvalPlanQual puts a row's newest version where its old
 * one was.  A task whose id an operator changed meanwhile (or, in the
 * array form, that moved to another customer of the array) would come out
 * of order; the result must be ordered by task_id (the array form: by
 * customer, then task_id), as the fast path (cancel_direct.c) orders it.
 * The planner never drops the outer sort, since LockRows' output is not
 * known to be sorted for that very reason.  The second statement runs
 * only when something was locked, and cancels exactly those rows.  Nobody
 * else can change them while we hold their locks, so it neither waits nor
 * re-checks; the status trigger checks each move into "canceled" as for
 * any other UPDATE.  A call that finds nothing to cancel -- the journey
 * engine's idempotent re-run -- costs that one SELECT.
 *
 * "completed_at IS NULL AND canceled_at IS NULL" adds nothing to the status
 * condition (the row rules tie both columns to the status); it is there so
 * that the planner may read tasks_open_idx, the customer's open tasks,
 * rather than every task the customer ever had (1.2).  A 1.0 or 1.1
 * database has no such index and reads tasks_pkey as before.
 *
 * WAITING_AND_MATCHING is that condition -- waiting, of a cancelable type
 * ($2), of the campaign ($3) if any -- shared by every statement below.
 */
#define WAITING_AND_MATCHING \
"   AND t.status IN ('pending', 'reserved')" \
"   AND t.completed_at IS NULL AND t.canceled_at IS NULL" \
"   AND t.task_type = ANY ($2)" \
"   AND ($3::pg_catalog.int8 IS NULL OR t.campaign_id = $3)"

static const char *const lock_one_sql =
"SELECT l.* FROM ("
"SELECT t.id, t.task_type, t.status"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1"
WAITING_AND_MATCHING
" ORDER BY t.id"
"   FOR NO KEY UPDATE"
") AS l ORDER BY l.id";

static const char *const update_one_sql =
"UPDATE task_cancel.tasks"
"   SET status = 'canceled',"
"       canceled_at = pg_catalog.now(),"
"       canceled_by_journey_id = $3,"
"       canceled_by_journey_name = $4,"
"       cancel_reason = $5"
" WHERE customer = $1"
"   AND id = ANY ($2)"
"   AND status IN ('pending', 'reserved')"
"   AND completed_at IS NULL AND canceled_at IS NULL";

/*
 * preview_cancel() runs the locking statement's query without the lock.
 */
static const char *const preview_sql =
"SELECT t.id, t.task_type, t.status"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1"
WAITING_AND_MATCHING
" ORDER BY t.id";

/*
 * The same for many customers: one locking statement whose lock order is
 * (customer, id) across all of them -- the order a single-customer cancel
 * uses too, so overlapping calls of either form cannot deadlock -- and
 * then update_one_sql once per customer for exactly the ids it locked (as
 * tc_cancel_many() does, and for the same reason).  = ANY() makes
 * duplicates in the array harmless.
 */
static const char *const lock_many_sql =
"SELECT l.* FROM ("
"SELECT t.id, t.customer, t.task_type, t.status"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = ANY ($1)"
WAITING_AND_MATCHING
" ORDER BY t.customer, t.id"
"   FOR NO KEY UPDATE"
") AS l ORDER BY l.customer, l.id";

/*
 * On Citus (src/citus.c), where a locking statement must stay within one
 * customer: the array's customers, distinct and sorted as ORDER BY
 * t.customer sorts them (the column's collation is the database default),
 * and then lock_customer_sql for each in turn.  The locks are taken in the
 * same (customer, id) order as lock_many_sql's.
 */
static const char *const sorted_customers_sql =
"SELECT c.customer FROM pg_catalog.unnest($1::pg_catalog.text[]) AS c(customer)"
" GROUP BY c.customer ORDER BY c.customer";

static const char *const lock_customer_sql =
"SELECT t.id, t.customer, t.task_type, t.status"
"  FROM task_cancel.tasks AS t"
" WHERE t.customer = $1"
WAITING_AND_MATCHING
" ORDER BY t.id"
"   FOR NO KEY UPDATE";

/*
 * parse_campaign_id
 *		The campaign id that arg, the arg of mode "campaign", spells: a
 *		decimal integer, with an optional sign and surrounding white space,
 *		as bigint input reads it.
 *
 * Raises 22P02 for anything else and 22003 for a number beyond bigint,
 * the SQLSTATEs of bigint input; but the message says that the campaign
 * argument is wrong, where int8in() would only name "type bigint".
 * Parsed here rather than by int8in(), whose syntax grows with the major
 * version (16 accepts "0x2A" and "1_000"): a campaign id reads the same
 * on every version.
 */
static int64
parse_campaign_id(const char *arg)
{
	const char *p = arg;
	bool		negative = false;
	bool		digits = false;
	bool		overflow = false;
	int64		value = 0;

	while (isspace((unsigned char) *p))
		p++;
	if (*p == '+' || *p == '-')
		negative = (*p++ == '-');
	/* accumulate negatively: -9223372036854775808 has no positive twin */
	for (; isdigit((unsigned char) *p); p++)
	{
		digits = true;
		if (!overflow &&
			(pg_mul_s64_overflow(value, 10, &value) ||
			 pg_sub_s64_overflow(value, *p - '0', &value)))
			overflow = true;
	}
	while (isspace((unsigned char) *p))
		p++;

	if (!digits || *p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid campaign id \"%s\"", arg),
				 errdetail("In mode \"campaign\", arg is the id of a campaign: an integer."),
				 errhint("Pass the id as text, for example '42'.")));
	if (!overflow && !negative && value == PG_INT64_MIN)
		overflow = true;
	if (overflow)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("campaign id \"%s\" is out of range", arg),
				 errdetail("Campaign ids are of type bigint.")));

	return negative ? value : -value;
}

/*
 * parse_request
 *		Check mode and arg (arguments 1 and 2) and fill the argument part
 *		of req.
 *
 * Raises 22023 for a missing or unknown mode and for an argument that does
 * not fit the mode, and parse_campaign_id()'s 22P02 or 22003 for a
 * campaign id that is not a bigint.
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
		req->campaign_id = parse_campaign_id(arg);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cancel mode \"%s\"", mode),
				 errhint("Valid modes are \"all\", \"task_type\" and \"campaign\".")));

	req->arg = arg;
}

/*
 * parse_journey
 *		Check journey_id (argument 3) and put it into req; 22004 if NULL.
 */
static void
parse_journey(FunctionCallInfo fcinfo, CancelRequest *req)
{
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("journey_id must not be null"),
				 errdetail("Every canceled task records the journey that canceled it.")));
	req->journey_id = PG_GETARG_INT64(3);
}

/*
 * resolve_journey
 *		Look up the journey's current name (lookup_cache.c).
 *
 * Must run inside SPI, after tc_lookup_accept_changes(); raises 22023 for
 * an unregistered journey.
 */
static void
resolve_journey(CancelRequest *req)
{
	char	   *journey = tc_journey_name(req->journey_id);

	if (journey == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("journey %lld is not registered",
						(long long) req->journey_id),
				 errhint("Register it first with task_cancel.register_journey(id, name).")));
	req->journey_name = CStringGetTextDatum(journey);
}

/*
 * resolve_request
 *		Look up the task type or campaign and the cancelable types
 *		(lookup_cache.c), and compose the cancel reason.
 *
 * Must run inside SPI, after tc_lookup_accept_changes(); results are
 * palloc'd in the per-call SPI context.  Raises 22023 for an unknown task type or campaign, and 0A000 for a task
 * type that is never cancelable.  Locks nothing.
 */
static void
resolve_request(CancelRequest *req)
{
	switch (req->mode)
	{
		case CANCEL_ALL:
			req->types = tc_cancelable_types();
			req->reason = pstrdup("Cancel Task block: all of the customer's waiting tasks");
			break;

		case CANCEL_TASK_TYPE:
			{
				char	   *label;
				bool		cancelable;
				Datum		one_type;

				if (!tc_task_type(req->type_name, &label, &cancelable))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("unknown task type \"%s\"", req->type_name),
							 errhint("Task types are listed in task_cancel.task_types.")));
				if (!cancelable)
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
			{
				char	   *campaign = tc_campaign_name(req->campaign_id);

				if (campaign == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("campaign %lld does not exist",
									(long long) req->campaign_id),
							 errhint("Campaigns are listed in task_cancel.campaigns.")));
				req->reason = psprintf("Cancel Task block: waiting tasks of campaign %s (id %lld)",
									   campaign, (long long) req->campaign_id);
				req->types = tc_cancelable_types();
			}
			break;
	}
}

/*
 * lock_tasks
 *		Run the locking statement (lock_one_sql or lock_many_sql) for
 *		customers (text or text[]) and return its rows.
 *
 * Must run inside SPI; the returned table lives until SPI_finish().
 * Rows locked: see the comment above lock_one_sql.
 */
static SPITupleTable *
lock_tasks(SPIPlanPtr *plan, const char *sql, Oid customers_type,
		   Datum customers, const CancelRequest *req)
{
	Oid			argtypes[3] = {customers_type, TEXTARRAYOID, INT8OID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	values[0] = customers;
	values[1] = req->types;
	values[2] = Int64GetDatum(req->campaign_id);
	if (req->mode != CANCEL_CAMPAIGN)
		nulls[2] = 'n';

	tc_execute_kept(plan, sql, 3, argtypes, values, nulls, SPI_OK_SELECT);
	return SPI_tuptable;
}

/*
 * cancel_locked
 *		Run the UPDATE (update_one_sql) that cancels the n rows lock_tasks()
 *		locked of one customer, identified by their ids.
 *
 * Must run inside SPI.  Anything but n changed rows cannot happen while we
 * hold the locks, and is an internal error.
 */
static void
cancel_locked(SPIPlanPtr *plan, const char *sql, Oid customers_type,
			  Datum customers, Datum ids, uint64 n, const CancelRequest *req)
{
	Oid			argtypes[5] = {customers_type, INT8ARRAYOID, INT8OID,
	TEXTOID, TEXTOID};
	Datum		values[5];
	uint64		changed;

	values[0] = customers;
	values[1] = ids;
	values[2] = Int64GetDatum(req->journey_id);
	values[3] = req->journey_name;
	values[4] = CStringGetTextDatum(req->reason);

	changed = tc_execute_kept(plan, sql, 5, argtypes, values, NULL,
							  SPI_OK_UPDATE);
	if (changed != n)
		elog(ERROR, "cancel_tasks locked " UINT64_FORMAT " tasks but canceled " UINT64_FORMAT,
			 n, changed);
}

/*
 * cancel_locked_by_customer
 *		The many-customer form of cancel_locked(): the n rows of locked
 *		(id, customer, ...; sorted by customer, then id), one UPDATE
 *		(update_one_sql) per customer.
 */
static void
cancel_locked_by_customer(SPIPlanPtr *plan, SPITupleTable *locked, uint64 n,
						  const CancelRequest *req)
{
	Datum	   *ids = palloc(sizeof(Datum) * n);
	uint64		first = 0;

	while (first < n)
	{
		bool		isnull;
		Datum		customer = SPI_getbinval(locked->vals[first],
											 locked->tupdesc, 2, &isnull);
		char	   *name = TextDatumGetCString(customer);
		uint64		last = first;
		uint64		i;

		while (last + 1 < n &&
			   strcmp(TextDatumGetCString(SPI_getbinval(locked->vals[last + 1],
														locked->tupdesc, 2,
														&isnull)),
					  name) == 0)
			last++;
		for (i = first; i <= last; i++)
			ids[i - first] = SPI_getbinval(locked->vals[i], locked->tupdesc, 1,
										   &isnull);
		cancel_locked(plan, update_one_sql, TEXTOID, customer,
					  PointerGetDatum(construct_array_builtin(ids,
															  (int) (last - first + 1),
															  INT8OID)),
					  last - first + 1, req);
		first = last + 1;
	}
}

/*
 * column_array
 *		Column col of every row of locked, as an array of element type
 *		elemtype (int8 or text).
 */
static Datum
column_array(SPITupleTable *locked, uint64 n, int col, Oid elemtype)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	bool		isnull;
	uint64		row;

	for (row = 0; row < n; row++)
		elems[row] = SPI_getbinval(locked->vals[row], locked->tupdesc, col,
								   &isnull);
	return PointerGetDatum(construct_array_builtin(elems, (int) n, elemtype));
}

/*
 * put_canceled_rows
 *		Copy the n locked rows, ncols columns each, into the function's
 *		result tuplestore.
 *
 * The locking statement already selects the result's columns in the
 * result's order and sorts them as the result must be.  Must run inside
 * SPI, before SPI_finish() frees the rows; the tuplestore copies the
 * values into the caller's per-query memory.
 */
static void
put_canceled_rows(ReturnSetInfo *rsinfo, SPITupleTable *locked, uint64 n,
				  int ncols)
{
	TupleDesc	tupdesc = locked->tupdesc;
	uint64		row;

	Assert(ncols <= TC_CANCEL_ARRAY_NCOLS);
	Assert(tupdesc->natts == ncols && rsinfo->setDesc->natts == ncols);

	for (row = 0; row < n; row++)
	{
		HeapTuple	tuple = locked->vals[row];
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
 *		Raise 22004 if the customers array is NULL or holds a NULL, 22023
 *		if it holds an empty string, and 22001 if it holds a customer
 *		longer than TC_MAX_CUSTOMER_BYTES (as tc_customer_arg() does for
 *		one customer).
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
		tc_check_customer_length(elems[i], NULL, InvalidAttrNumber);
	}
	pfree(elems);
	pfree(elem_nulls);

	return customers;
}

/*
 * audit_of
 *		The audit a 1.1 cancel writes for req: the journey, the mode and its
 *		argument, the reason.
 */
static CancelAudit
audit_of(const CancelRequest *req)
{
	static const char *const mode_names[] = {
		[CANCEL_ALL] = "all",
		[CANCEL_TASK_TYPE] = "task_type",
		[CANCEL_CAMPAIGN] = "campaign",
	};
	CancelAudit audit = {0};

	audit.mode = mode_names[req->mode];
	if (req->mode == CANCEL_CAMPAIGN)
		audit.arg = CStringGetTextDatum(psprintf("%lld",
												 (long long) req->campaign_id));
	else if (req->arg != NULL)
		audit.arg = CStringGetTextDatum(req->arg);
	audit.has_journey = true;
	audit.journey_id = req->journey_id;
	audit.journey_name = req->journey_name;
	audit.reason = CStringGetTextDatum(req->reason);
	return audit;
}

/*
 * cancel_one
 *		cancel_tasks(customer text, mode text, arg text, journey_id bigint)
 *		RETURNS TABLE (task_id bigint, task_type text, previous_status text)
 *
 * Cancels the customer's waiting, cancelable tasks that match the mode, in
 * the caller's transaction, and returns them ordered by task_id.  Locks the
 * rows it cancels in ascending id order and holds the locks until the
 * caller's transaction ends.  Errors are those of parse_request(),
 * parse_journey(), resolve_journey() and resolve_request(), plus those of
 * tc_customer_arg(): 22004 for a NULL customer, 22023 for an empty one or
 * an array literal (a list sent as text), 22001 for a too long one.
 *
 * with_events (1.1) also writes the customer's cancel_events row, points
 * the tasks at it and queues the notification (cancel_write.c); without it
 * (1.0) only the tasks change.
 */
static Datum
cancel_one(FunctionCallInfo fcinfo, bool with_events)
{
	static SPIPlanPtr lock_plan = NULL;
	static SPIPlanPtr update_plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CancelRequest req = {0};
	Datum		customer;
	SPITupleTable *locked;
	uint64		n;

	customer = PointerGetDatum(tc_customer_arg(fcinfo, 0));
	parse_request(fcinfo, &req);
	parse_journey(fcinfo, &req);

	tc_init_result_set(fcinfo);

	SPI_connect();
	tc_lookup_accept_changes();
	resolve_journey(&req);
	resolve_request(&req);
	if (with_events)
	{
		CancelAudit audit = audit_of(&req);

		if (tc_direct_cancel(&customer, 1, req.types,
							 req.mode == CANCEL_CAMPAIGN, req.campaign_id,
							 true, false, &audit, rsinfo))
		{
			SPI_finish();
			return (Datum) 0;
		}
	}
	locked = lock_tasks(&lock_plan, lock_one_sql, TEXTOID, customer, &req);
	n = SPI_processed;
	if (n > 0)
	{
		Datum		ids = column_array(locked, n, 1, INT8OID);

		if (with_events)
		{
			CancelAudit audit = audit_of(&req);

			tc_cancel_one(customer, ids, n, &audit);
		}
		else
			cancel_locked(&update_plan, update_one_sql, TEXTOID, customer,
						  ids, n, &req);
		put_canceled_rows(rsinfo, locked, n, TC_CANCEL_NCOLS);
	}
	SPI_finish();

	return (Datum) 0;
}

/*
 * cancel_each_customer
 *		cancel_many() on Citus: one customer at a time (see
 *		lock_customer_sql), each customer's rows locked, canceled (with its
 *		event, when with_events) and put into the result before the next
 *		customer's are locked.  The result is in the same order.
 */
static void
cancel_each_customer(ReturnSetInfo *rsinfo, Datum customers,
					 const CancelRequest *req, bool with_events)
{
	static SPIPlanPtr sort_plan = NULL;
	static SPIPlanPtr lock_plan = NULL;
	static SPIPlanPtr update_plan = NULL;
	Oid			argtype = TEXTARRAYOID;
	SPITupleTable *sorted;
	uint64		ncustomers;
	uint64		i;

	ncustomers = tc_execute_kept(&sort_plan, sorted_customers_sql, 1,
								 &argtype, &customers, NULL, SPI_OK_SELECT);
	sorted = SPI_tuptable;
	for (i = 0; i < ncustomers; i++)
	{
		bool		isnull;
		Datum		customer = SPI_getbinval(sorted->vals[i], sorted->tupdesc,
											 1, &isnull);
		SPITupleTable *locked;
		uint64		n;

		locked = lock_tasks(&lock_plan, lock_customer_sql, TEXTOID, customer,
							req);
		n = SPI_processed;
		if (n == 0)
		{
			SPI_freetuptable(locked);
			continue;
		}
		if (with_events)
		{
			CancelAudit audit = audit_of(req);

			tc_cancel_one(customer, column_array(locked, n, 1, INT8OID), n,
						  &audit);
		}
		else
			cancel_locked(&update_plan, update_one_sql, TEXTOID, customer,
						  column_array(locked, n, 1, INT8OID), n, req);
		put_canceled_rows(rsinfo, locked, n, TC_CANCEL_ARRAY_NCOLS);
		SPI_freetuptable(locked);
	}
}

/*
 * cancel_many
 *		cancel_tasks(customers text[], mode text, arg text, journey_id bigint)
 *		RETURNS TABLE (task_id bigint, customer text, task_type text,
 *					   previous_status text)
 *
 * The block-list form: the same as cancel_one() for every customer in the
 * array, returned ordered by customer, then task_id, with one event per
 * customer that had something canceled.  Rows are locked in ascending
 * (customer, id) order.  An empty array cancels nothing, duplicates are
 * harmless.
 */
static Datum
cancel_many(FunctionCallInfo fcinfo, bool with_events)
{
	static SPIPlanPtr lock_plan = NULL;
	static SPIPlanPtr update_plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CancelRequest req = {0};
	Datum		customers;
	SPITupleTable *locked;
	uint64		n;

	customers = PointerGetDatum(check_customers(fcinfo));
	parse_request(fcinfo, &req);
	parse_journey(fcinfo, &req);

	tc_init_result_set(fcinfo);

	SPI_connect();
	tc_lookup_accept_changes();
	resolve_journey(&req);
	resolve_request(&req);
	if (with_events)
	{
		CancelAudit audit = audit_of(&req);
		Datum	   *elems;
		int			nelems;

		deconstruct_array_builtin(DatumGetArrayTypeP(customers), TEXTOID,
								  &elems, NULL, &nelems);
		if (tc_direct_cancel(elems, nelems, req.types,
							 req.mode == CANCEL_CAMPAIGN, req.campaign_id,
							 true, true, &audit, rsinfo))
		{
			SPI_finish();
			return (Datum) 0;
		}
	}
	if (tc_citus_loaded())
	{
		cancel_each_customer(rsinfo, customers, &req, with_events);
		SPI_finish();
		return (Datum) 0;
	}
	locked = lock_tasks(&lock_plan, lock_many_sql, TEXTARRAYOID, customers,
						&req);
	n = SPI_processed;
	if (n > 0)
	{
		if (with_events)
		{
			CancelAudit audit = audit_of(&req);

			tc_cancel_many(column_array(locked, n, 2, TEXTOID),
						   column_array(locked, n, 1, INT8OID), (Datum) 0, n,
						   &audit);
		}
		else
			cancel_locked_by_customer(&update_plan, locked, n, &req);
		put_canceled_rows(rsinfo, locked, n, TC_CANCEL_ARRAY_NCOLS);
	}
	SPI_finish();

	return (Datum) 0;
}

/*
 * The SQL entry points.  Version 1.0's functions are bound to the first
 * two, 1.1's to the "_1_1" ones (sql/task_cancel--1.0--1.1.sql), so a
 * database keeps working between installing the new library and running
 * ALTER EXTENSION ... UPDATE.
 */
Datum
tc_cancel_tasks(PG_FUNCTION_ARGS)
{
	return cancel_one(fcinfo, false);
}

Datum
tc_cancel_tasks_array(PG_FUNCTION_ARGS)
{
	return cancel_many(fcinfo, false);
}

Datum
tc_cancel_tasks_1_1(PG_FUNCTION_ARGS)
{
	return cancel_one(fcinfo, true);
}

Datum
tc_cancel_tasks_array_1_1(PG_FUNCTION_ARGS)
{
	return cancel_many(fcinfo, true);
}

/*
 * preview_cancel(customer text, mode text, arg text)
 *		RETURNS TABLE (task_id bigint, task_type text, status text)
 *
 * What cancel_tasks(customer, mode, arg, ...) would cancel right now: the
 * same rows its locking statement would find, ordered by task_id, read
 * with an ordinary snapshot.  It takes no row locks and writes nothing, so
 * a task may change between a preview and a cancel.  The same errors as
 * cancel_tasks for customer, mode and arg.
 */
Datum
tc_preview_cancel(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CancelRequest req = {0};
	Datum		customer;
	SPITupleTable *found;
	uint64		n;

	customer = PointerGetDatum(tc_customer_arg(fcinfo, 0));
	parse_request(fcinfo, &req);

	tc_init_result_set(fcinfo);

	SPI_connect();
	tc_lookup_accept_changes();
	resolve_request(&req);
	if (tc_direct_cancel(&customer, 1, req.types, req.mode == CANCEL_CAMPAIGN,
						 req.campaign_id, false, false, NULL, rsinfo))
	{
		SPI_finish();
		return (Datum) 0;
	}
	found = lock_tasks(&plan, preview_sql, TEXTOID, customer, &req);
	n = SPI_processed;
	put_canceled_rows(rsinfo, found, n, TC_CANCEL_NCOLS);
	SPI_finish();

	return (Datum) 0;
}
