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
 * Looking a name up costs a comparison with every column before it, so
 * the callers keep what they found for the life of the backend, together
 * with tc_relcache_epoch() at the time: it changes whenever any relcache
 * entry is invalidated (every ALTER TABLE does that for its table), and a
 * cache made in an older epoch is looked up again.  One callback serves
 * them all; the number of relcache callbacks per backend is small and
 * fixed.
 *
 * IDENTIFICATION
 *	  src/columns.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/syscache.h"

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

static uint64 relcache_epoch = 1;
static bool epoch_callback_registered = false;

static void
relcache_changed(Datum arg pg_attribute_unused(),
				 Oid relid pg_attribute_unused())
{
	relcache_epoch++;
}

static void
function_changed(Datum arg pg_attribute_unused(),
				 int cacheid pg_attribute_unused(),
				 uint32 hashvalue pg_attribute_unused())
{
	relcache_epoch++;
}

/*
 * tc_relcache_epoch
 *		A number that changes whenever a relcache entry is invalidated, so
 *		that a cache of column numbers (or relation oids) made under an
 *		older number is stale; and whenever a function is created, changed
 *		or dropped, for the fast path's knowledge of which trigger functions
 *		are ours (cancel_direct.c).  Never 0, which callers use for "none".
 */
uint64
tc_relcache_epoch(void)
{
	if (!epoch_callback_registered)
	{
		CacheRegisterRelcacheCallback(relcache_changed, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, function_changed, (Datum) 0);
		epoch_callback_registered = true;
	}
	return relcache_epoch;
}
