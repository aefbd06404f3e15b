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
PG_FUNCTION_INFO_V1(tc_reserve_task_of);
PG_FUNCTION_INFO_V1(tc_release_task_of);
PG_FUNCTION_INFO_V1(tc_accept_task_of);
PG_FUNCTION_INFO_V1(tc_wrap_task_of);
PG_FUNCTION_INFO_V1(tc_complete_task_of);
PG_FUNCTION_INFO_V1(tc_set_task_deadline_of);

static const char *const create_sql =
"INSERT INTO task_cancel.tasks"
" (customer, task_type, campaign_id, journey_id, status, agent)"
" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

static const char *const create_1_2_sql =
"INSERT INTO task_cancel.tasks"
" (customer, task_type, campaign_id, journey_id, status, agent, expires_at)"
" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

/*
 * Each transition's UPDATE, by task id ($1) and agent ($2, where it takes
 * one).  The customer-first overloads (1.2) add "AND customer = $3": a
 * Citus cluster runs such a statement on the one node that owns the
 * customer, and on one server it is the same statement, found through the
 * same primary key (customer, id).
 */
#define RESERVE_SQL \
"UPDATE task_cancel.tasks SET status = 'reserved', agent = $2" \
" WHERE id = $1 AND status = 'pending'"
#define RELEASE_SQL \
"UPDATE task_cancel.tasks SET status = 'pending', agent = NULL" \
" WHERE id = $1 AND status = 'reserved'"
#define ACCEPT_SQL \
"UPDATE task_cancel.tasks SET status = 'assigned', agent = $2" \
" WHERE id = $1" \
"   AND (status = 'pending' OR (status = 'reserved' AND agent = $2))"
#define NOT_EXPIRED \
"   AND (expires_at IS NULL OR expires_at > pg_catalog.statement_timestamp())"
#define DEADLINE_SQL \
"UPDATE task_cancel.tasks SET expires_at = $2" \
" WHERE id = $1 AND status IN ('pending', 'reserved')"
#define WRAP_SQL \
"UPDATE task_cancel.tasks SET status = 'wrapping'" \
" WHERE id = $1 AND status = 'assigned'"
#define COMPLETE_SQL \
"UPDATE task_cancel.tasks SET status = 'completed'," \
"       completed_at = pg_catalog.now()" \
" WHERE id = $1 AND status IN ('assigned', 'wrapping')"
#define OF_CUSTOMER " AND customer = $3"

static const char *const reserve_sql = RESERVE_SQL;
static const char *const release_sql = RELEASE_SQL;
static const char *const accept_sql = ACCEPT_SQL;
static const char *const reserve_1_2_sql = RESERVE_SQL NOT_EXPIRED;
static const char *const accept_1_2_sql = ACCEPT_SQL NOT_EXPIRED;
static const char *const deadline_sql = DEADLINE_SQL;
static const char *const wrap_sql = WRAP_SQL;
static const char *const complete_sql = COMPLETE_SQL;

static const char *const reserve_of_sql = RESERVE_SQL NOT_EXPIRED OF_CUSTOMER;
static const char *const release_of_sql = RELEASE_SQL OF_CUSTOMER;
static const char *const accept_of_sql = ACCEPT_SQL NOT_EXPIRED OF_CUSTOMER;
static const char *const deadline_of_sql = DEADLINE_SQL OF_CUSTOMER;
static const char *const wrap_of_sql = WRAP_SQL OF_CUSTOMER;
static const char *const complete_of_sql = COMPLETE_SQL OF_CUSTOMER;

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
 * run_transition_of
 *		The customer-first overloads (1.2): arguments (customer, task_id
 *		[, second]), second being the agent (second_type TEXTOID) or the
 *		deadline (TIMESTAMPTZOID, NULL allowed), or none (InvalidOid); the
 *		UPDATE also names the customer (OF_CUSTOMER).  A task of another
 *		customer is "missing": false.  customer, task_id or agent NULL:
 *		22004; the customer is checked by tc_customer_arg() (22023 for an
 *		array literal, 22001 for a too long one).
 */
static bool
run_transition_of(FunctionCallInfo fcinfo, SPIPlanPtr *plan, const char *sql,
				  Oid second_type)
{
	Oid			argtypes[3] = {INT8OID,
	OidIsValid(second_type) ? second_type : TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', 'n', ' '};
	uint64		changed;

	values[2] = PointerGetDatum(tc_customer_arg(fcinfo, 0));
	values[0] = Int64GetDatum(tc_int64_arg(fcinfo, 1, "task_id"));
	values[1] = (Datum) 0;
	if (second_type == TEXTOID)
	{
		values[1] = PointerGetDatum(tc_text_arg(fcinfo, 2, "agent"));
		nulls[1] = ' ';
	}
	else if (second_type == TIMESTAMPTZOID && !PG_ARGISNULL(2))
	{
		values[1] = PG_GETARG_DATUM(2);
		nulls[1] = ' ';
	}

	SPI_connect();
	changed = tc_execute_kept(plan, sql, 3, argtypes, values, nulls,
							  SPI_OK_UPDATE);
	SPI_finish();

	return changed > 0;
}

/*
 * create_task(customer, task_type, campaign_id, journey_id, agent) -> bigint
 *		Insert a pending task, or one already assigned to agent (a manual
 *		task the agent starts).
 *
 * customer and task_type are required (22004/22023); customer is one
 * customer, not an array literal (22023), of at most TC_MAX_CUSTOMER_BYTES
 * (22001): tc_customer_arg() refuses what cancel_tasks() would refuse, so
 * every task created can be canceled by its customer.  An unknown task
 * type or campaign fails its foreign key (23503).  with_deadline (1.2): a
 * pending task of a type with a queue_timeout gets now() + queue_timeout
 * as expires_at.
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

	values[0] = PointerGetDatum(tc_customer_arg(fcinfo, 0));
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

/*
 * The customer-first overloads (1.2): reserve_task(customer, task_id,
 * agent), release_task(customer, task_id), accept_task(customer, task_id,
 * agent), wrap_task(customer, task_id), complete_task(customer, task_id),
 * set_task_deadline(customer, task_id, expires_at).  Each does what the
 * id-only form does (the 1.2 one: never a task past its deadline) to the
 * customer's task, and nothing to another customer's task of that id.
 * Citus delegates each to the node that owns the customer.
 */
Datum
tc_reserve_task_of(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_BOOL(run_transition_of(fcinfo, &plan, reserve_of_sql, TEXTOID));
}

Datum
tc_release_task_of(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_BOOL(run_transition_of(fcinfo, &plan, release_of_sql, InvalidOid));
}

Datum
tc_accept_task_of(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_BOOL(run_transition_of(fcinfo, &plan, accept_of_sql, TEXTOID));
}

Datum
tc_wrap_task_of(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_BOOL(run_transition_of(fcinfo, &plan, wrap_of_sql, InvalidOid));
}

Datum
tc_complete_task_of(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_BOOL(run_transition_of(fcinfo, &plan, complete_of_sql, InvalidOid));
}

Datum
tc_set_task_deadline_of(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;

	PG_RETURN_BOOL(run_transition_of(fcinfo, &plan, deadline_of_sql,
									 TIMESTAMPTZOID));
}
