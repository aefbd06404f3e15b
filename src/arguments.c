/*-------------------------------------------------------------------------
 *
 * arguments.c
 *	  Checks of SQL arguments shared by the entry points, and the set of
 *	  result rows they return.
 *
 * The SQL functions are not STRICT: a NULL where a value is required is a
 * caller's mistake that must raise an error, not silently return NULL.
 * These checks run before SPI_connect() and before anything is written.
 *
 * IDENTIFICATION
 *	  src/arguments.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "task_cancel.h"

/*
 * tc_text_arg
 *		Return text argument argno, which must be neither NULL nor empty.
 *
 * Raises 22004 (null_value_not_allowed) for NULL and 22023
 * (invalid_parameter_value) for the empty string.  The result may be
 * detoasted into the current memory context.
 */
text *
tc_text_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	text	   *value;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));

	value = PG_GETARG_TEXT_PP(argno);
	if (VARSIZE_ANY_EXHDR(value) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));

	return value;
}

/*
 * tc_customer_arg
 *		Return customer argument argno: one customer, as tc_text_arg()
 *		returns it.
 *
 * Besides 22004 for NULL and 22023 for the empty string:
 *
 *	- 22023 for an array literal, text whose first character is "{" and
 *	  whose last is "}".  Drivers send a native list as one untyped value,
 *	  and PostgreSQL then prefers the text overload of cancel_tasks() to
 *	  the text[] one: the list would be taken for one customer named
 *	  "{a,b}" and silently match nothing.  Functions without an array form
 *	  refuse it too, so that no task is created for, and no block recorded
 *	  of, a customer that cancel_tasks() refuses.  Checked before the
 *	  length: a long list is a list, not a long customer.
 *	- 22001 for more than TC_MAX_CUSTOMER_BYTES bytes, the limit that
 *	  create_task() and the row rules apply (task_row_check.c): no task
 *	  can hold such a customer, and block_customer() would otherwise fail
 *	  in the index of blocked_customers with 54000.
 */
text *
tc_customer_arg(FunctionCallInfo fcinfo, int argno)
{
	text	   *customer = tc_text_arg(fcinfo, argno, "customer");
	const char *data = VARDATA_ANY(customer);
	Size		len = VARSIZE_ANY_EXHDR(customer);

	if (data[0] == '{' && data[len - 1] == '}')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer must not be an array literal"),
				 errdetail("A customer that starts with \"{\" and ends with \"}\" is a list sent as one text value."),
				 errhint("Pass a list as text[] (in a driver, $1::text[]) to the array form cancel_tasks(text[], ...), or call this function once per customer.")));
	tc_check_customer_length(PointerGetDatum(customer), NULL,
							 InvalidAttrNumber);

	return customer;
}

/*
 * tc_int64_arg
 *		Return bigint argument argno, which must not be NULL (else 22004).
 */
int64
tc_int64_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));

	return PG_GETARG_INT64(argno);
}

/*
 * tc_init_result_set
 *		Make the tuplestore that a set-returning entry point fills
 *		(InitMaterializedSRF()), described as the caller expects the rows.
 *
 * The caller's executor has worked the description out already from the
 * function's OUT parameters (rsinfo->expectedDesc); copying it costs a
 * fraction of working it out again from the pg_proc row, which the
 * default does on every call.  Where a caller gives none, the default.
 */
void
tc_init_result_set(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo,
						rsinfo != NULL && IsA(rsinfo, ReturnSetInfo) &&
						rsinfo->expectedDesc != NULL
						? MAT_SRF_USE_EXPECTED_DESC : 0);
}
