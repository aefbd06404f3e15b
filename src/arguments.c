/*-------------------------------------------------------------------------
 *
 * arguments.c
 *	  Checks of SQL arguments shared by the entry points.
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
