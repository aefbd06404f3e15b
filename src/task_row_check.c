/*-------------------------------------------------------------------------
 *
 * task_row_check.c
 *	  task_row_check(): the one CHECK constraint of task_cancel.tasks.
 *
 * Which rows of tasks are valid, whoever writes them (the router, a
 * cancel, a hand-written statement, pg_dump's COPY):
 *
 *	- the customer is not empty;
 *	- the status is one of the six;
 *	- a task reserved for, assigned to or wrapped up by an agent names the
 *	  agent;
 *	- completed_at is set exactly when the task is completed;
 *	- a canceled task has canceled_at; a task that is not canceled has no
 *	  cancel audit at all.
 *
 * Until version 1.1 these were six CHECK constraints.  PostgreSQL 15
 * rebuilds every CHECK expression of a table from its stored text in each
 * statement that writes the table -- about 215,000 instructions for those
 * six, a third of a cancel and a tenth of a router transaction, paid by
 * every writer.  One CHECK calling this function costs a fraction of that.
 * The rules are the same, and a violation says which rule and which task
 * (SQLSTATE 23514); the status trigger still guards how an UPDATE may move
 * between valid rows (status_guard.c).
 *
 * IDENTIFICATION
 *	  src/task_row_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_task_row_check);

/* Argument numbers, in the order of the SQL function's parameters. */
enum
{
	ARG_ID,
	ARG_CUSTOMER,
	ARG_STATUS,
	ARG_AGENT,
	ARG_COMPLETED_AT,
	ARG_CANCELED_AT,
	ARG_FIRST_AUDIT				/* canceled_by_journey_id and the rest */
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
 *		Raise 23514 for task id: message and detail as given.
 */
pg_noreturn static void
row_error(FunctionCallInfo fcinfo, const char *message, const char *detail)
{
	if (PG_ARGISNULL(ARG_ID))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid task: %s", message),
				 errdetail("%s", detail)));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("invalid task %lld: %s", (long long) PG_GETARG_INT64(ARG_ID),
					message),
			 errdetail("%s", detail)));
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
	char	   *status;
	bool		waiting_for_agent;
	bool		completed;
	bool		canceled;
	int			i;

	if (!PG_ARGISNULL(ARG_CUSTOMER) &&
		VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(ARG_CUSTOMER)) == 0)
		row_error(fcinfo, "customer must not be empty",
				  "A task belongs to a customer: a phone number or a contact id.");

	if (PG_ARGISNULL(ARG_STATUS))
		PG_RETURN_BOOL(true);
	status = text_to_cstring(PG_GETARG_TEXT_PP(ARG_STATUS));
	completed = strcmp(status, "completed") == 0;
	canceled = strcmp(status, "canceled") == 0;
	waiting_for_agent = strcmp(status, "reserved") == 0 ||
		strcmp(status, "assigned") == 0 || strcmp(status, "wrapping") == 0;
	if (!completed && !canceled && !waiting_for_agent &&
		strcmp(status, "pending") != 0)
		row_error(fcinfo, psprintf("invalid status \"%s\"", status),
				  "Valid statuses are \"pending\", \"reserved\", \"assigned\", \"wrapping\", \"completed\" and \"canceled\".");

	if (waiting_for_agent && PG_ARGISNULL(ARG_AGENT))
		row_error(fcinfo, psprintf("status \"%s\" needs an agent", status),
				  "A reserved, assigned or wrapping task names the agent it is offered to or handled by.");

	if (completed == PG_ARGISNULL(ARG_COMPLETED_AT))
		row_error(fcinfo, completed ? "a completed task needs completed_at"
				  : "only a completed task has completed_at",
				  "completed_at is set exactly when the status is \"completed\".");

	if (canceled)
	{
		if (PG_ARGISNULL(ARG_CANCELED_AT))
			row_error(fcinfo, "a canceled task needs canceled_at",
					  "canceled_at records when the task was canceled.");
		PG_RETURN_BOOL(true);
	}

	if (!PG_ARGISNULL(ARG_CANCELED_AT))
		row_error(fcinfo, "only a canceled task has canceled_at",
				  "The cancel audit columns are written when a task is canceled, and only then.");
	for (i = 0; i < (int) lengthof(audit_names); i++)
		if (!PG_ARGISNULL(ARG_FIRST_AUDIT + i))
			row_error(fcinfo, psprintf("only a canceled task has %s", audit_names[i]),
					  "The cancel audit columns are written when a task is canceled, and only then.");

	PG_RETURN_BOOL(true);
}
