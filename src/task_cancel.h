/*-------------------------------------------------------------------------
 *
 * task_cancel.h
 *	  Declarations shared by the C files of the task_cancel extension.
 *
 * IDENTIFICATION
 *	  src/task_cancel.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TASK_CANCEL_H
#define TASK_CANCEL_H

#include "executor/spi.h"
#include "fmgr.h"

/* arguments.c */
extern text *tc_text_arg(FunctionCallInfo fcinfo, int argno,
						 const char *argname);
extern int64 tc_int64_arg(FunctionCallInfo fcinfo, int argno,
						  const char *argname);

/* plans.c */
extern uint64 tc_execute_kept(SPIPlanPtr *plan, const char *sql, int nargs,
							  Oid *argtypes, Datum *values, const char *nulls,
							  int expected_rc);

/* lookup_cache.c */
extern void tc_lookup_accept_changes(void);
extern char *tc_journey_name(int64 id);
extern char *tc_campaign_name(int64 id);
extern bool tc_task_type(const char *name, char **label, bool *cancelable);
extern Datum tc_cancelable_types(void);

#endif							/* TASK_CANCEL_H */
