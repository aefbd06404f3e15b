/*-------------------------------------------------------------------------
 *
 * purge_cancel_events.c
 *	  task_cancel.purge_cancel_events(older_than): retention of cancel
 *	  events (version 1.2), without ever letting a consumer skip one
 *	  silently.
 *
 * Deleting events is the operator's call (pg_cron, daily).  A consumer
 * that had not read a purged event must not be advanced past it as if it
 * had: cancel_events_since() refuses its cursor with 22023 instead, and
 * the consumer starts again from NULL (the oldest event kept) and skips
 * what it handled by id.  For that every purge that deleted something
 * leaves a row in event_purges -- its generation, its own transaction
 * (1.3), and the largest transaction id and event id among the events it
 * deleted -- and every cursor carries the last generation the call that
 * made it saw, and that call's snapshots.  Only the purges the cursor had
 * not seen can have deleted events it had not read: those after its
 * generation, and those whose transaction had not ended in its upper
 * snapshot (generations are drawn in the order purges record themselves,
 * not in the order they commit; cancel_events_since.c, purges_sql).  Of
 * those, the cursor has certainly read every deleted event if
 * all of them lie in batches it finished (largest txid below its lower
 * snapshot's xmin), or in its current batch up to its id (largest txid
 * below its upper snapshot's xmin, largest id at most its id);
 * cancel_events_since.c refuses any other.  The test is conservative: a
 * cursor may be refused although it had read everything, for instance
 * when a transaction older than the purged events was still running as
 * the cursor was made; then the consumer starts again from NULL, and the
 * cursors of that new start carry the new generation, so the same purge
 * never refuses them again.
 *
 * The delete and its record commit together, and readers see both or
 * neither (cancel_events_since() reads event_purges with the snapshot it
 * reads the events with).
 *
 * IDENTIFICATION
 *	  src/purge_cancel_events.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_purge_cancel_events);

/*
 * One statement: delete, count, and find the largest txid (xid8 has no
 * max() aggregate on every version we support, so ORDER BY) and id.
 */
#define PURGE_SQL(shard_filter) \
"WITH purged AS (" \
"    DELETE FROM task_cancel.cancel_events AS e" \
"     WHERE e.at < pg_catalog.now() - $1" shard_filter \
"    RETURNING e.txid, e.id)" \
" SELECT pg_catalog.count(*)," \
"        (SELECT p.txid FROM purged AS p ORDER BY p.txid DESC LIMIT 1)," \
"        (SELECT pg_catalog.max(p.id) FROM purged AS p)" \
"   FROM purged"

static const char *const purge_sql = PURGE_SQL("");

/*
 * On Citus (src/citus.c) each node's cursors count that node's
 * transactions (cancel_events_since.c), so each node purges the events of
 * its own shards ($2, their hash ranges: tc_local_hash_ranges()) and
 * records the purge in its own event_purges.
 */
static const char *const purge_citus_sql = PURGE_SQL(
"       AND pg_catalog.hashtext(e.customer)::pg_catalog.int8"
"           OPERATOR(pg_catalog.<@) ANY ($2::pg_catalog.int8range[])");

static const char *const record_sql =
"INSERT INTO task_cancel.event_purges (purged, max_txid, max_id, purge_txid)"
" VALUES ($1, $2, $3, pg_catalog.pg_current_xact_id())";

/* A database still on 1.2 has no purge_txid. */
static const char *const record_1_2_sql =
"INSERT INTO task_cancel.event_purges (purged, max_txid, max_id)"
" VALUES ($1, $2, $3)";

/*
 * purge_cancel_events(older_than interval) RETURNS bigint
 *
 * Deletes the events whose "at" lies more than older_than before now()
 * and returns how many; records what cursors need to know (file header).
 * older_than NULL: 22004; negative: 22023.  Locks the deleted rows until
 * the transaction ends.
 */
Datum
tc_purge_cancel_events(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr purge_plan = NULL;
	static SPIPlanPtr record_plan = NULL;
	static SPIPlanPtr record_1_2_plan = NULL;
	static SPIPlanPtr purge_citus_plan = NULL;
	Oid			purge_type = INTERVALOID;
	Oid			record_types[3] = {INT8OID, XID8OID, INT8OID};
	Datum		older_than;
	Interval	zero = {0};
	Datum		values[3];
	bool		isnull;
	bool		none;
	Datum		shards;
	uint64		n;
	int64		purged;
	Oid			purges;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("older_than must not be null"),
				 errhint("Pass how old an event must be to be purged, such as interval '30 days'.")));
	older_than = PG_GETARG_DATUM(0);
	if (DatumGetBool(DirectFunctionCall2(interval_lt, older_than,
										 IntervalPGetDatum(&zero))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative"),
				 errdetail("A negative interval would purge events from the future.")));

	SPI_connect();

	shards = tc_local_hash_ranges("cancel_events", &none);
	if (none)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this Citus node holds no shard of task_cancel.cancel_events"),
				 errdetail("On Citus each node purges the cancel events of its own shards, as its cursors read them."),
				 errhint("Run purge_cancel_events() on each node that holds shards of task_cancel.cancel_events, for instance through run_command_on_workers().")));
	if (shards != (Datum) 0)
	{
		Oid			types[2] = {INTERVALOID, INT8RANGEARRAYOID};
		Datum		params[2];

		params[0] = older_than;
		params[1] = shards;
		n = tc_execute_kept(&purge_citus_plan, purge_citus_sql, 2, types,
							params, NULL, SPI_OK_SELECT);
	}
	else
		n = tc_execute_kept(&purge_plan, purge_sql, 1, &purge_type,
							&older_than, NULL, SPI_OK_SELECT);
	if (n != 1)
		elog(ERROR, "purge of cancel events returned " UINT64_FORMAT " rows",
			 SPI_processed);
	purged = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	if (purged > 0)
	{
		values[0] = Int64GetDatum(purged);
		values[1] = SPI_getbinval(SPI_tuptable->vals[0],
								  SPI_tuptable->tupdesc, 2, &isnull);
		values[2] = SPI_getbinval(SPI_tuptable->vals[0],
								  SPI_tuptable->tupdesc, 3, &isnull);
		purges = get_relname_relid("event_purges",
								   get_namespace_oid("task_cancel", false));
		if (get_attnum(purges, "purge_txid") != InvalidAttrNumber)
			tc_execute_kept(&record_plan, record_sql, 3, record_types, values,
							NULL, SPI_OK_INSERT);
		else
			tc_execute_kept(&record_1_2_plan, record_1_2_sql, 3, record_types,
							values, NULL, SPI_OK_INSERT);
	}
	SPI_finish();

	PG_RETURN_INT64(purged);
}
