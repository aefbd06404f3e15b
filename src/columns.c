/*-------------------------------------------------------------------------
 *
 * columns.c
 *	  Column numbers by name, for the trigger functions.
 *
 * The triggers read and write columns of task_cancel.tasks and
 * cancel_events by name rather than by position, so that a column added
 * by a later version (or a 1.0 table not yet updated) cannot shift what
 * they read.
 *
 * IDENTIFICATION
 *	  src/columns.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/rel.h"

#include "task_cancel.h"

/*
 * tc_column_number
 *		Number of the column called name in rel; InvalidAttrNumber if it
 *		is missing and missing_ok, else an internal error (the extension's
 *		own tables always have their columns).  SPI_fnumber needs no SPI
 *		connection.
 */
AttrNumber
tc_column_number(Relation rel, const char *name, bool missing_ok)
{
	int			attnum = SPI_fnumber(RelationGetDescr(rel), name);

	if (attnum <= 0)
	{
		if (missing_ok)
			return InvalidAttrNumber;
		elog(ERROR, "column \"%s\" of relation \"%s\" does not exist",
			 name, RelationGetRelationName(rel));
	}
	return (AttrNumber) attnum;
}
