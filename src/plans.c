/*-------------------------------------------------------------------------
 *
 * plans.c
 *	  Run a statement through an SPI plan prepared once per backend.
 *
 * Each statement of the extension is a constant SQL string with $n
 * parameters.  The first call in a backend prepares it and moves the plan
 * out of the per-call SPI context with SPI_keepplan(); later calls reuse it.
 * The plan cache revalidates kept plans after DDL, so nothing here has to
 * notice schema changes.  The pattern is ri_PlanCheck() in ri_triggers.c.
 *
 * Plans are always generic.  Every statement here finds rows by key
 * (customer, id, a journey or campaign id), so its best plan does not depend
 * on the parameter values; left to choose, the plan cache re-planned some of
 * them on every call (measured with callgrind: about 130,000 instructions a
 * call for the cancel's UPDATE, whose "id = ANY($2)" makes the generic plan
 * look dearer than it is).
 *
 * Except on Citus (src/citus.c): a generic plan of a statement that spans
 * shards cannot be distributed, so there every plan is a custom one.
 *
 * IDENTIFICATION
 *	  src/plans.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "task_cancel.h"

/*
 * tc_kept_plan
 *		The plan of sql in *plan, prepared and kept on first use.
 *
 * *plan is the caller's static cache slot; it is assigned only after the
 * plan has been kept, so an error while preparing leaves it NULL and the
 * next call tries again.  Must run inside SPI.
 */
SPIPlanPtr
tc_kept_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	prepared = SPI_prepare_cursor(sql, nargs, argtypes,
												  tc_citus_loaded() ?
												  CURSOR_OPT_CUSTOM_PLAN :
												  CURSOR_OPT_GENERIC_PLAN);

		if (prepared == NULL)
			elog(ERROR, "SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(prepared) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = prepared;
	}
	return *plan;
}

/*
 * tc_execute_kept
 *		Execute sql with the given parameters, preparing it on first use
 *		(tc_kept_plan()).
 *
 * nulls uses SPI's convention (' ' not null, 'n' null).  Every statement
 * may write or lock, so it never runs read-only: under READ COMMITTED each
 * one gets a fresh snapshot.
 *
 * Must run inside SPI.  Returns SPI_processed; the rows, if any, are in
 * SPI_tuptable, in the per-call SPI context.  Any return code other than
 * expected_rc is an internal error.
 */
uint64
tc_execute_kept(SPIPlanPtr *plan, const char *sql, int nargs,
				Oid *argtypes, Datum *values, const char *nulls,
				int expected_rc)
{
	int			rc;

	rc = SPI_execute_plan(tc_kept_plan(plan, sql, nargs, argtypes),
						  values, nulls, false, 0);
	if (rc != expected_rc)
		elog(ERROR, "SPI_execute_plan returned %s, expected %s",
			 SPI_result_code_string(rc),
			 SPI_result_code_string(expected_rc));

	return SPI_processed;
}
