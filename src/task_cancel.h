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

#endif							/* TASK_CANCEL_H */
