/*-------------------------------------------------------------------------
 *
 * router.c
 *	  The task router's functions: create, reserve, release, accept, wrap
 *	  and complete a task.
 *
 * Each transition is one UPDATE whose WHERE clause names the status it
 * starts from.  That is the whole concurrency argument: an UPDATE that
 * meets a row locked by another transaction (say a journey canceling it)
 * waits, and under READ COMMITTED re-evaluates its WHERE clause against the
 * committed row.  If the row has meanwhile left the starting status, the
 * UPDATE touches nothing and the function returns false; the loser of a
 * race always sees the winner's result.  Under REPEATABLE READ the same
 * situation raises 40001 for the caller to retry.
 *
 * The router knows tasks by id only, so these statements use tasks_id_idx.
 * The status trigger (status_guard.c) still checks every change they make.
 *
 * Queue timeouts (1.2).  create_task() gives a pending task its type's
 * queue_timeout as deadline (tasks.expires_at), and reserve_task() and
 * accept_task() refuse a task past its deadline even before a sweep
 * (cancel_expired_tasks.c) has canceled it: the deadline is part of the
 * WHERE clause, so it is re-checked on the committed row after a wait like
 * the status.  "Past" means at or before the statement's start
 * (statement_timestamp()), the moment the sweep compares with too.  A
 * database on 1.0 or 1.1 has no expires_at: its functions stay bound to
 * the entry points without "_1_2", whose statements do not name it.
 *
 * IDENTIFICATION
 *	  src/router.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_create_task);
PG_FUNCTION_INFO_V1(tc_reserve_task);
PG_FUNCTION_INFO_V1(tc_release_task);
PG_FUNCTION_INFO_V1(tc_accept_task);
PG_FUNCTION_INFO_V1(tc_wrap_task);
PG_FUNCTION_INFO_V1(tc_complete_task);
PG_FUNCTION_INFO_V1(tc_create_task_1_2);
PG_FUNCTION_INFO_V1(tc_reserve_task_1_2);
PG_FUNCTION_INFO_V1(tc_accept_task_1_2);
PG_FUNCTION_INFO_V1(tc_set_task_deadline);

static const char *const create_sql =
"INSERT INTO task_cancel.tasks"
" (customer, task_type, campaign_id, journey_id, status, agent)"
" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

static const char *const create_1_2_sql =
"INSERT INTO task_cancel.tasks"
" (customer, task_type, campaign_id, journey_id, status, agent, expires_at)"
" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

static const char *const reserve_sql =
"UPDATE task_cancel.tasks SET status = 'reserved', agent = $2"
" WHERE id = $1 AND status = 'pending'";

static const char *const release_sql =
"UPDATE task_cancel.tasks SET status = 'pending', agent = NULL"
" WHERE id = $1 AND status = 'reserved'";

static const char *const accept_sql =
"UPDATE task_cancel.tasks SET status = 'assigned', agent = $2"
" WHERE id = $1"
"   AND (status = 'pending' OR (status = 'reserved' AND agent = $2))";

static const char *const reserve_1_2_sql =
"UPDATE task_cancel.tasks SET status = 'reserved', agent = $2"
" WHERE id = $1 AND status = 'pending'"
"   AND (expires_at IS NULL OR expires_at > pg_catalog.statement_timestamp())";

static const char *const accept_1_2_sql =
"UPDATE task_cancel.tasks SET status = 'assigned', agent = $2"
" WHERE id = $1"
"   AND (status = 'pending' OR (status = 'reserved' AND agent = $2))"
"   AND (expires_at IS NULL OR expires_at > pg_catalog.statement_timestamp())";

static const char *const deadline_sql =
"UPDATE task_cancel.tasks SET expires_at = $2"
" WHERE id = $1 AND status IN ('pending', 'reserved')";

static const char *const wrap_sql =
"UPDATE task_cancel.tasks SET status = 'wrapping'"
" WHERE id = $1 AND status = 'assigned'";

static const char *const complete_sql =
"UPDATE task_cancel.tasks SET status = 'completed',"
"       completed_at = pg_catalog.now()"
" WHERE id = $1 AND status IN ('assigned', 'wrapping')";

/*
 * run_transition
 *		Run one of the UPDATEs above for a task id (and an agent, when agent
 *		is not NULL); true if it changed a row.
 *
 * Connects to SPI itself.  Rows locked: the task's, until the caller's
 * transaction ends.
 */
static bool
run_transition(SPIPlanPtr *plan, const char *sql, int64 task_id, text *agent)
{
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	uint64		changed;

	values[0] = Int64GetDatum(task_id);
	values[1] = PointerGetDatum(agent);

	SPI_connect();
	changed = tc_execute_kept(plan, sql, agent != NULL ? 2 : 1, argtypes,
							  values, NULL, SPI_OK_UPDATE);
	SPI_finish();

	return changed > 0;
}

/*
 * create_task(customer, task_type, campaign_id, journey_id, agent) -> bigint
 *		Insert a pending task, or one already assigned to agent (a manual
 *		task the agent starts).
 *
 * customer and task_type are required (22004/22023), customer at most
 * TC_MAX_CUSTOMER_BYTES (22001); an unknown task type or campaign fails its
 * foreign key (23503).  with_deadline (1.2): a pending task of a type with
 * a queue_timeout gets now() + queue_timeout as expires_at.
 */
static Datum
create_task(FunctionCallInfo fcinfo, bool with_deadline)
{
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr plan_1_2 = NULL;
	Oid			argtypes[7] = {TEXTOID, TEXTOID, INT8OID, INT8OID,
	TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', 'n'};
	bool		isnull;
	int64		task_id;
	uint64		n;

	values[0] = PointerGetDatum(tc_text_arg(fcinfo, 0, "customer"));
	tc_check_customer_length(values[0], NULL, InvalidAttrNumber);
	values[1] = PointerGetDatum(tc_text_arg(fcinfo, 1, "task_type"));
	values[2] = PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	values[3] = PG_GETARG_DATUM(3);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';
	if (PG_ARGISNULL(4))
	{
		values[4] = CStringGetTextDatum("pending");
		values[5] = (Datum) 0;
		nulls[5] = 'n';
	}
	else
	{
		values[4] = CStringGetTextDatum("assigned");
		values[5] = PointerGetDatum(tc_text_arg(fcinfo, 4, "agent"));
	}

	SPI_connect();
	if (with_deadline)
	{
		Interval	timeout;

		tc_lookup_accept_changes();
		if (PG_ARGISNULL(4) &&
			tc_task_type_timeout(TextDatumGetCString(values[1]), &timeout))
		{
			values[6] = DirectFunctionCall2(timestamptz_pl_interval,
											TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
											IntervalPGetDatum(&timeout));
			nulls[6] = ' ';
		}
		n = tc_execute_kept(&plan_1_2, create_1_2_sql, 7, argtypes, values,
							nulls, SPI_OK_INSERT_RETURNING);
	}
	else
		n = tc_execute_kept(&plan, create_sql, 6, argtypes, values, nulls,
							SPI_OK_INSERT_RETURNING);
	if (n != 1)
		elog(ERROR, "create_task inserted " UINT64_FORMAT " rows", n);
	task_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	PG_RETURN_INT64(task_id);
}

Datum
tc_create_task(PG_FUNCTION_ARGS)
{
	return create_task(fcinfo, false);
}

Datum
tc_create_task_1_2(PG_FUNCTION_ARGS)
{
	return create_task(fcinfo, true);
}

/*
 * reserve_task(task_id, agent) -> boolean
 *		Offer a pending task to agent: pending -> reserved.
 */
Datum
tc_reserve_task(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");
	text	   *agent = tc_text_arg(fcinfo, 1, "agent");

	PG_RETURN_BOOL(run_transition(&plan, reserve_sql, task_id, agent));
}

/*
 * release_task(task_id) -> boolean
 *		The offer was rejected or timed out: reserved -> pending, agent
 *		cleared.
 */
Datum
tc_release_task(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");

	PG_RETURN_BOOL(run_transition(&plan, release_sql, task_id, NULL));
}

/*
 * accept_task(task_id, agent) -> boolean
 *		pending -> assigned, or reserved -> assigned when reserved for this
 *		agent.
 *
 * True only if this call assigned the task to agent; false if it was
 * canceled, taken by someone else, already assigned, final or missing.
 * Against a concurrent cancel_tasks() exactly one of the two wins.
 */
Datum
tc_accept_task(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");
	text	   *agent = tc_text_arg(fcinfo, 1, "agent");

	PG_RETURN_BOOL(run_transition(&plan, accept_sql, task_id, agent));
}

/*
 * wrap_task(task_id) -> boolean
 *		The conversation is over and the agent wraps up: assigned ->
 *		wrapping.
 */
Datum
tc_wrap_task(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");

	PG_RETURN_BOOL(run_transition(&plan, wrap_sql, task_id, NULL));
}

/*
 * complete_task(task_id) -> boolean
 *		assigned or wrapping -> completed, with completed_at = now().
 */
Datum
tc_complete_task(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");

	PG_RETURN_BOOL(run_transition(&plan, complete_sql, task_id, NULL));
}

/*
 * The 1.2 entry points of reserve_task() and accept_task(): the same, and
 * never a task past its deadline (file header).
 */
Datum
tc_reserve_task_1_2(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");
	text	   *agent = tc_text_arg(fcinfo, 1, "agent");

	PG_RETURN_BOOL(run_transition(&plan, reserve_1_2_sql, task_id, agent));
}

Datum
tc_accept_task_1_2(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");
	text	   *agent = tc_text_arg(fcinfo, 1, "agent");

	PG_RETURN_BOOL(run_transition(&plan, accept_1_2_sql, task_id, agent));
}

/*
 * set_task_deadline(task_id, expires_at) -> boolean
 *		Give a waiting task a new deadline; NULL clears it.  True if the
 *		task is waiting and got it; false if it is missing or no longer
 *		waiting.  task_id NULL: 22004.  Locks the task's row as any UPDATE.
 */
Datum
tc_set_task_deadline(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	int64		task_id = tc_int64_arg(fcinfo, 0, "task_id");
	Oid			argtypes[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	uint64		changed;

	values[0] = Int64GetDatum(task_id);
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';

	SPI_connect();
	changed = tc_execute_kept(&plan, deadline_sql, 2, argtypes, values, nulls,
							  SPI_OK_UPDATE);
	SPI_finish();

	PG_RETURN_BOOL(changed > 0);
}
