/*-------------------------------------------------------------------------
 *
 * cancel_events_since.c
 *	  task_cancel.cancel_events_since(cursor): read cancel events exactly
 *	  once, in batches bounded by transaction snapshots; and the trigger
 *	  stamp_cancel_event() that records each event's transaction.
 *
 * Why ids are not enough: ids come from a sequence when the row is
 * written, but transactions commit in any order.  A consumer that has read
 * up to id 100 may later see id 99 commit; "id > 100" would miss it, and
 * re-reading everything would repeat events.  PgQ solved this for queues
 * with snapshots, and so do we.
 *
 * Every event row carries txid, the id of the top-level transaction that
 * wrote it (stamp_cancel_event sets it, so nothing else can).  A snapshot
 * (xmin, xmax, the list xip of transactions running when it was taken)
 * says for every transaction id whether it had ended when the snapshot
 * was taken: ids below xmin had, ids from xmax on had not, and between
 * them all but those in xip had.  Snapshots only grow: a transaction ended
 * in an older snapshot has ended in every newer one.  So the events
 * committed between two snapshots A and B -- those whose txid has ended
 * in B but not in A -- form a fixed set: nothing committed later can fall
 * into it, and consecutive batches (A, B], (B, C], ... neither overlap nor
 * leave gaps, whatever the commit order.
 *
 * A cursor is "2/origin/T/P/G/L/U/k" (T, P, G: see Durability below): events of batches up to L are consumed,
 * and of batch (L, U] those with id <= k.  A call with the current
 * snapshot N returns the rest of (L, U] (id > k) and then all of (U, N],
 * each batch in id order.  A row of (L, U] carries the cursor (L, U, its
 * id), a row of (U, N] the cursor (U, N, its id); so any row's next_cursor
 * resumes right after that row.  NULL starts from the empty snapshot
 * 0:0: (nothing ended), i.e. from the first event.
 *
 * N is the snapshot the calling statement reads with: the query runs
 * read-only on it, so every event whose transaction ended in N is visible
 * to it.  The caller's own transaction has not ended in N -- its id is
 * added to N's list -- so a transaction never reads its own uncommitted
 * events, and reads them after it commits, with the next call.
 *
 * Both rest on snapshots only growing, so a cursor whose U counts as ended
 * a transaction that N sees running or not yet started -- read by a
 * REPEATABLE READ transaction older than the call that made it, or made
 * up -- is refused (contains()); the same holds between a cursor's L and
 * U.
 *
 * origin is the random id of this database's event history
 * (event_cursor_origin).  It changes when a database is restored from a
 * dump, where transaction ids start over and an old cursor would mean
 * nothing; such a cursor is refused.
 *
 * Durability.  "Ended in a snapshot" means for ever only if the end is on
 * disk: a transaction committed with synchronous_commit = off (or one that
 * aborted) may have its commit or abort record still in memory when a
 * snapshot counts it as ended, and after a crash the server hands out
 * that transaction id again, to a new transaction whose events a cursor
 * that counts the id as ended would never return.  So before the first
 * row goes out, WAL is flushed up to the current insert position: every
 * transaction that N counts as ended wrote its end record before N was
 * taken, so all of them are durable when the cursor leaves.  Crash
 * recovery then never reuses an id that a cursor counts.
 *
 * That leaves histories that fork: an asynchronous standby promoted before
 * it received what a cursor counts, or a point-in-time recovery to a point
 * before it.  The server then runs on a new timeline, which continues the
 * old one only up to the point where it branched.  A cursor (version "2/")
 * records the timeline it was made on and the WAL position flushed for it,
 * "2/origin/T/P/G/L/U/k" (G: the last purge its reading saw, see
 * purge_cancel_events.c), and is accepted only if that position is part of
 * the current timeline's history (access/timeline.h); otherwise it is
 * refused with 22023 and a hint to start again from NULL and skip events
 * already handled by their id.  Cursors of version 1.1 ("1/origin/L/U/k")
 * carry no timeline and are still accepted.
 *
 * IDENTIFICATION
 *	  src/cancel_events_since.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdlib.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/timeline.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/snapshot.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
#include "utils/xid8.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_cancel_events_since);
PG_FUNCTION_INFO_V1(tc_stamp_cancel_event);

/* Result columns: the event's nine, then next_cursor. */
#define TC_EVENT_NCOLS 9
#define TC_EVENTS_SINCE_NCOLS (TC_EVENT_NCOLS + 1)

/* Rows fetched from the portal at a time. */
#define TC_FETCH_ROWS 1000

/* A snapshot as a cursor holds it: 64-bit transaction ids, xip sorted. */
typedef struct CursorSnapshot
{
	uint64		xmin;
	uint64		xmax;
	int			nxip;
	uint64	   *xip;
} CursorSnapshot;

/* A parsed cursor. */
typedef struct EventCursor
{
	char	   *origin;			/* 32 hex digits */
	TimeLineID	timeline;		/* T; 0 in a cursor of version 1.1 */
	XLogRecPtr	flushed;		/* P: WAL flushed before it was handed out */
	uint64		generation;		/* G: the last purge seen; 0 in 1.1's */
	CursorSnapshot lower;		/* L */
	CursorSnapshot upper;		/* U */
	int64		after_id;		/* k */
} EventCursor;

static const char *const origin_sql =
"SELECT o.origin FROM task_cancel.event_cursor_origin AS o";

/*
 * The purges a cursor may not have seen, read with the statement's
 * snapshot, the one the batches are read with: a purge it sees deleted
 * events the call cannot see, and one it does not see deleted nothing the
 * call returns.
 *
 * Which purges has a cursor seen?  1.2 said: those up to the last
 * generation its reading saw.  But a generation is drawn when the purge
 * records itself, and purges commit in any order: a purge with a smaller
 * generation may commit after the reading saw a larger one, and its
 * deletes would never be checked (review 3).  Since 1.3 a purge records
 * its transaction too (purge_txid), and a cursor has seen it only if that
 * transaction had ended in the cursor's upper snapshot; every call checks
 * the purges its input cursor had not seen, so a purge that ended in the
 * snapshot of a cursor it hands out has been checked (if it deleted what
 * the input cursor had not read, the call refused it).  Purges recorded by
 * 1.2 carry no transaction and are judged by generation as before.  Rows
 * with purge_txid below the cursor's upper xmin ended in it for certain;
 * the rest are tested in C (ended_in()).
 *
 * $1 the cursor's generation, $2 its upper snapshot's xmin.
 */
static const char *const purges_sql =
"SELECT p.max_txid, p.max_id, p.purge_txid, p.generation > $1"
"  FROM task_cancel.event_purges AS p"
" WHERE p.generation > $1 OR p.purge_txid >= $2";

/* A database still on 1.2 has no purge_txid: by generation alone. */
static const char *const purges_1_2_sql =
"SELECT p.max_txid, p.max_id, NULL::pg_catalog.xid8, true"
"  FROM task_cancel.event_purges AS p"
" WHERE p.generation > $1 AND $2 IS NOT NULL";

/* The last generation the statement sees, for the cursors it hands out. */
static const char *const last_purge_sql =
"SELECT COALESCE(pg_catalog.max(p.generation), 0)"
"  FROM task_cancel.event_purges AS p";

/*
 * This database's event history: its origin, and what was purged after a
 * cursor's generation.
 */
typedef struct EventHistory
{
	char	   *origin;			/* 32 hex digits */
	uint64		generation;		/* the last purge the statement sees */
	bool		purged;			/* purges the cursor had not seen */
	uint64		purged_txid;	/* the largest transaction id they deleted */
	int64		purged_id;		/* the largest event id they deleted */
} EventHistory;

/*
 * The candidates of one batch (A, B]: txid in [A.xmin, B.xmax), which
 * holds every transaction that ended in B but not in A; the exact test is
 * made row by row in C (ended_in()).
 */
#define BATCH_SQL \
"SELECT e.id, e.at, e.customer, e.canceled_by_journey_id," \
"       e.canceled_by_journey_name, e.canceled_by_agent, e.mode, e.arg," \
"       e.task_ids, e.txid" \
"  FROM task_cancel.cancel_events AS e" \
" WHERE e.txid >= $1 AND e.txid < $2 AND e.id > $3"

static const char *const batch_sql = BATCH_SQL " ORDER BY e.id";

/*
 * On Citus (src/citus.c) each node's events carry that node's transaction
 * ids, which only that node's snapshots can order: a node reads only the
 * events in its own shards ($4, their shard ids), with its own snapshot.
 * The consumer keeps one cursor per node (each node has its own origin,
 * so a cursor is refused by every other node).  $4 holds the hash ranges
 * of this node's shards (tc_local_hash_ranges()).  The other nodes are
 * asked too, by Citus, and return nothing.
 */
static const char *const batch_citus_sql = BATCH_SQL
"   AND pg_catalog.hashtext(e.customer)::pg_catalog.int8"
"       OPERATOR(pg_catalog.<@) ANY ($4::pg_catalog.int8range[])"
" ORDER BY e.id";

/*
 * ended_in
 *		Whether transaction x had ended (committed or aborted) when snapshot
 *		s was taken.
 */
static bool
ended_in(const CursorSnapshot *s, uint64 x)
{
	int			lo = 0;
	int			hi = s->nxip - 1;

	if (x < s->xmin)
		return true;
	if (x >= s->xmax)
		return false;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s->xip[mid] == x)
			return false;
		if (s->xip[mid] < x)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return true;
}

/*
 * contains
 *		Whether every transaction ended in older has ended in newer too, as
 *		for any snapshot taken after older.
 *
 * Reading from a cursor with a snapshot that is not would hand out the
 * events of a transaction the cursor already counts as read once more,
 * later: a REPEATABLE READ transaction older than the call that made the
 * cursor, or a cursor that is not ours.
 */
static bool
contains(const CursorSnapshot *newer, const CursorSnapshot *older)
{
	int			i;

	if (older->xmax > newer->xmax)
		return false;
	for (i = 0; i < newer->nxip; i++)
		if (ended_in(older, newer->xip[i]))
			return false;
	return true;
}

static int
compare_xids(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return (x > y) - (x < y);
}

/*
 * widen
 *		The 64-bit form of xid, which is at most 2^31 transactions older
 *		than next (ReadNextFullTransactionId()), as for any xid in a live
 *		snapshot.
 */
static uint64
widen(FullTransactionId next, TransactionId xid)
{
	return U64FromFullTransactionId(next) -
		(uint64) (int32) (XidFromFullTransactionId(next) - xid);
}

/*
 * statement_snapshot
 *		The calling statement's snapshot N, in cursor form, with the
 *		caller's own transaction counted as running.  Allocated in the
 *		current memory context.
 */
static CursorSnapshot
statement_snapshot(Snapshot snap)
{
	FullTransactionId next = ReadNextFullTransactionId();
	FullTransactionId own = GetTopFullTransactionIdIfAny();
	CursorSnapshot s;
	uint32		i;

	s.xmin = widen(next, snap->xmin);
	s.xmax = widen(next, snap->xmax);
	s.xip = palloc(sizeof(uint64) * (snap->xcnt + 1));
	s.nxip = 0;
	for (i = 0; i < snap->xcnt; i++)
		s.xip[s.nxip++] = widen(next, snap->xip[i]);
	/*
	 * The snapshot never lists the caller's own transaction.  From xmax on
	 * (xmax is one past the latest transaction that had ended, so a young
	 * own transaction may be there) it counts as running already; below,
	 * it must be listed to count as running.
	 */
	if (FullTransactionIdIsValid(own) &&
		U64FromFullTransactionId(own) >= s.xmin &&
		U64FromFullTransactionId(own) < s.xmax)
		s.xip[s.nxip++] = U64FromFullTransactionId(own);
	qsort(s.xip, s.nxip, sizeof(uint64), compare_xids);
	return s;
}

/*
 * append_snapshot
 *		Append s to buf as "xmin:xmax:xip,xip,...".
 */
static void
append_snapshot(StringInfo buf, const CursorSnapshot *s)
{
	int			i;

	appendStringInfo(buf, UINT64_FORMAT ":" UINT64_FORMAT ":", s->xmin,
					 s->xmax);
	for (i = 0; i < s->nxip; i++)
		appendStringInfo(buf, "%s" UINT64_FORMAT, i > 0 ? "," : "",
						 s->xip[i]);
}

/*
 * cursor_error
 *		Raise 22P02 for a cursor that is not of our making.  The cursor
 *		itself is not quoted: it is long and opaque, and the detail says
 *		what is wrong with it.
 */
pg_noreturn static void
cursor_error(const char *cursor pg_attribute_unused(), const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid cancel event cursor"),
			 errdetail("%s", detail),
			 errhint("Pass NULL to read from the first event, or a next_cursor that cancel_events_since() returned.")));
}

/*
 * parse_number
 *		A decimal uint64 at *p, ending at one of the characters in stops (or
 *		the end of the string); advances *p to the stop.  Raises 22P02.
 */
static uint64
parse_number(const char **p, const char *stops, const char *cursor)
{
	const char *s = *p;
	uint64		v = 0;

	if (*s < '0' || *s > '9')
		cursor_error(cursor, "A transaction or event id is missing.");
	while (*s >= '0' && *s <= '9')
	{
		if (v > (PG_UINT64_MAX - (uint64) (*s - '0')) / 10)
			cursor_error(cursor, "A number is out of range.");
		v = v * 10 + (uint64) (*s - '0');
		s++;
	}
	if (*s != '\0' && strchr(stops, *s) == NULL)
		cursor_error(cursor, "An unexpected character follows a number.");
	*p = s;
	return v;
}

/*
 * parse_snapshot
 *		"xmin:xmax:xip,..." at *p, up to the next '/'; checks that
 *		xmin <= xip < xmax, xip ascending.  Raises 22P02.
 */
static CursorSnapshot
parse_snapshot(const char **p, const char *cursor)
{
	CursorSnapshot s;
	int			cap = 8;

	s.xmin = parse_number(p, ":", cursor);
	if (**p != ':')
		cursor_error(cursor, "A snapshot is incomplete.");
	(*p)++;
	s.xmax = parse_number(p, ":", cursor);
	if (**p != ':')
		cursor_error(cursor, "A snapshot is incomplete.");
	(*p)++;
	if (s.xmin > s.xmax)
		cursor_error(cursor, "A snapshot's xmin is above its xmax.");

	s.nxip = 0;
	s.xip = palloc(sizeof(uint64) * cap);
	while (**p != '/' && **p != '\0')
	{
		uint64		x = parse_number(p, ",/", cursor);

		if (x < s.xmin || x >= s.xmax ||
			(s.nxip > 0 && x <= s.xip[s.nxip - 1]))
			cursor_error(cursor, "A snapshot's list of running transactions is not valid.");
		if (s.nxip == cap)
		{
			cap *= 2;
			s.xip = repalloc(s.xip, sizeof(uint64) * cap);
		}
		s.xip[s.nxip++] = x;
		if (**p == ',')
			(*p)++;
	}
	return s;
}

/*
 * parse_cursor
 *		Split "2/origin/T/P/G/L/U/k" (or 1.1's "1/origin/L/U/k") into its
 *		parts.  Raises 22P02 for anything else.
 */
static EventCursor
parse_cursor(const char *cursor)
{
	EventCursor c;
	const char *p = cursor;
	int			i;
	uint64		k;
	bool		negative;
	int			version;

	if (strncmp(p, "1/", 2) != 0 && strncmp(p, "2/", 2) != 0)
		cursor_error(cursor, "A cursor starts with \"2/\".");
	version = p[0] - '0';
	p += 2;
	for (i = 0; i < 32; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			cursor_error(cursor, "The database identity is not valid.");
	if (p[32] != '/')
		cursor_error(cursor, "The database identity is not valid.");
	c.origin = pnstrdup(p, 32);
	p += 33;

	c.timeline = 0;
	c.flushed = InvalidXLogRecPtr;
	c.generation = 0;
	if (version >= 2)
	{
		uint64		tli = parse_number(&p, "/", cursor);

		if (tli == 0 || tli > PG_UINT32_MAX || *p++ != '/')
			cursor_error(cursor, "The timeline is not valid.");
		c.timeline = (TimeLineID) tli;
		c.flushed = (XLogRecPtr) parse_number(&p, "/", cursor);
		if (*p++ != '/')
			cursor_error(cursor, "The WAL position is missing.");
		c.generation = parse_number(&p, "/", cursor);
		if (*p++ != '/')
			cursor_error(cursor, "The purge generation is missing.");
	}

	c.lower = parse_snapshot(&p, cursor);
	if (*p++ != '/')
		cursor_error(cursor, "A snapshot is missing.");
	c.upper = parse_snapshot(&p, cursor);
	if (*p++ != '/')
		cursor_error(cursor, "The event id is missing.");
	/* event ids are bigint: an owner may have inserted negative ones */
	negative = (*p == '-');
	if (negative)
		p++;
	k = parse_number(&p, "", cursor);
	if (k > (uint64) PG_INT64_MAX + (negative ? 1 : 0))
		cursor_error(cursor, "A number is out of range.");
	c.after_id = negative ? (int64) (0 - k) : (int64) k;

	if (!contains(&c.upper, &c.lower))
		cursor_error(cursor, "Its snapshots are out of order.");
	return c;
}

/*
 * current_history
 *		This database's event history: origin as 32 hex digits, and since
 *		1.2 the last purge generation and, for cursor c (NULL: none), the
 *		purges it had not seen (see purges_sql).  Must run inside SPI;
 *		palloc'd in the current context.
 */
static EventHistory
current_history(const EventCursor *c)
{
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr purges_plan = NULL;
	static SPIPlanPtr purges_1_2_plan = NULL;
	static SPIPlanPtr last_plan = NULL;
	EventHistory h = {0};
	Oid			argtypes[2] = {INT8OID, XID8OID};
	Datum		args[2];
	Oid			purges;
	pg_uuid_t  *uuid;
	bool		isnull;
	uint64		row;
	int			rc;
	int			i;

	if (tc_execute_kept(&plan, origin_sql, 0, NULL, NULL, NULL,
						SPI_OK_SELECT) != 1)
		elog(ERROR, "task_cancel.event_cursor_origin must hold one row");
	uuid = DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
	h.origin = palloc(33);
	for (i = 0; i < UUID_LEN; i++)
		snprintf(h.origin + 2 * i, 3, "%02x", uuid->data[i]);

	/* A database still on 1.1 has no event_purges. */
	purges = get_relname_relid("event_purges",
							   get_namespace_oid("task_cancel", false));
	if (!OidIsValid(purges))
		return h;

	/* read_only: with the statement's snapshot, as the batches */
	rc = SPI_execute_plan(tc_kept_plan(&last_plan, last_purge_sql, 0, NULL),
						  NULL, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading task_cancel.event_purges returned %s",
			 SPI_result_code_string(rc));
	h.generation = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc,
														1, &isnull));
	if (c == NULL)
		return h;

	args[0] = Int64GetDatum((int64) c->generation);
	args[1] = FullTransactionIdGetDatum(FullTransactionIdFromU64(c->upper.xmin));
	if (get_attnum(purges, "purge_txid") != InvalidAttrNumber)
		rc = SPI_execute_plan(tc_kept_plan(&purges_plan, purges_sql, 2,
										   argtypes),
							  args, NULL, true, 0);
	else
		rc = SPI_execute_plan(tc_kept_plan(&purges_1_2_plan, purges_1_2_sql,
										   2, argtypes),
							  args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading task_cancel.event_purges returned %s",
			 SPI_result_code_string(rc));
	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		after = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
		Datum		purge_txid = SPI_getbinval(tuple, desc, 3, &isnull);
		uint64		max_txid;
		int64		max_id;

		if (!after &&
			(isnull ||
			 ended_in(&c->upper,
					  U64FromFullTransactionId(DatumGetFullTransactionId(purge_txid)))))
			continue;			/* seen by the reading that made c */
		max_txid = U64FromFullTransactionId(DatumGetFullTransactionId(
			SPI_getbinval(tuple, desc, 1, &isnull)));
		max_id = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		if (!h.purged || max_txid > h.purged_txid)
			h.purged_txid = max_txid;
		if (!h.purged || max_id > h.purged_id)
			h.purged_id = max_id;
		h.purged = true;
	}
	return h;
}

/*
 * read_all_purged
 *		Whether cursor c has certainly read every event that the purges
 *		it had not seen deleted (see purge_cancel_events.c): all of
 *		them in batches it finished, or in its current batch up to its id.
 */
static bool
read_all_purged(const EventCursor *c, const EventHistory *h)
{
	if (!h->purged)
		return true;
	if (h->purged_txid < c->lower.xmin)
		return true;
	return h->purged_txid < c->upper.xmin && h->purged_id <= c->after_id;
}

/*
 * inserted_wal_end
 *		The end of the WAL inserted so far: the insert position, except
 *		where that is just past the header of a page that holds no record
 *		yet -- XLogFlush() refuses a position that no record has reached,
 *		and everything inserted ends at the page's start.
 */
static XLogRecPtr
inserted_wal_end(void)
{
	XLogRecPtr	ptr = GetXLogInsertRecPtr();
	uint64		in_segment = XLogSegmentOffset(ptr, wal_segment_size);
	uint64		in_page = ptr % XLOG_BLCKSZ;

	if (in_segment == SizeOfXLogLongPHD ||
		(in_segment >= XLOG_BLCKSZ && in_page == SizeOfXLogShortPHD))
		ptr -= in_page;
	return ptr;
}

/*
 * on_this_history
 *		Whether WAL up to position flushed of timeline tli is part of the
 *		history of the timeline this server writes now.
 */
static bool
on_this_history(TimeLineID tli, XLogRecPtr flushed)
{
	TimeLineID	current = GetWALInsertionTimeLine();
	List	   *history;

	if (tli == current)
		return true;
	if (tli > current)
		return false;
	history = readTimeLineHistory(current);
	if (!tliInHistory(tli, history))
		return false;
	/* tli ended where its successor branched off */
	return flushed <= tliSwitchPoint(tli, history, NULL);
}

/*
 * read_batch
 *		Put the events of batch (lower, upper] with id > after_id into the
 *		result, in id order, each with next_cursor "<prefix><id>"; at most
 *		*remaining of them (-1: no limit), which counts down.
 *
 * Must run inside SPI, in a read-only call on the statement's snapshot.
 * Streams the candidates through a portal, TC_FETCH_ROWS at a time.
 */
static void
read_batch(ReturnSetInfo *rsinfo, SPIPlanPtr plan, Datum shards,
		   const CursorSnapshot *lower, const CursorSnapshot *upper,
		   int64 after_id, const char *prefix, int64 *remaining)
{
	Datum		params[4];
	Portal		portal;
	StringInfoData next;
	bool		full = false;

	if (*remaining == 0)
		return;
	params[0] = FullTransactionIdGetDatum(FullTransactionIdFromU64(lower->xmin));
	params[1] = FullTransactionIdGetDatum(FullTransactionIdFromU64(upper->xmax));
	params[2] = Int64GetDatum(after_id);
	params[3] = shards;			/* read only on Citus */
	portal = SPI_cursor_open(NULL, plan, params, NULL, true);
	initStringInfo(&next);

	while (!full)
	{
		uint64		row;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, TC_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (row = 0; row < SPI_processed && !full; row++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[row];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Datum		out[TC_EVENTS_SINCE_NCOLS];
			bool		outnulls[TC_EVENTS_SINCE_NCOLS];
			bool		isnull;
			uint64		txid;
			int			i;

			txid = U64FromFullTransactionId(DatumGetFullTransactionId(
				SPI_getbinval(tuple, desc, TC_EVENT_NCOLS + 1, &isnull)));
			if (!ended_in(upper, txid) || ended_in(lower, txid))
				continue;

			for (i = 0; i < TC_EVENT_NCOLS; i++)
				out[i] = SPI_getbinval(tuple, desc, i + 1, &outnulls[i]);
			resetStringInfo(&next);
			appendStringInfo(&next, "%s" INT64_FORMAT, prefix,
							 DatumGetInt64(out[0]));
			out[i] = CStringGetTextDatum(next.data);
			outnulls[i] = false;
			Assert(i + 1 == TC_EVENTS_SINCE_NCOLS);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out,
								 outnulls);
			pfree(DatumGetPointer(out[i]));
			if (*remaining > 0 && --(*remaining) == 0)
				full = true;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
}

/*
 * batch_prefix
 *		"2/origin/T/P/G/A/B/": the cursor of a row of batch (A, B] without
 *		its id.
 */
static char *
batch_prefix(const EventHistory *h, TimeLineID timeline, XLogRecPtr flushed,
			 const CursorSnapshot *a, const CursorSnapshot *b)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "2/%s/%u/" UINT64_FORMAT "/" UINT64_FORMAT "/",
					 h->origin, timeline, (uint64) flushed, h->generation);
	append_snapshot(&buf, a);
	appendStringInfoChar(&buf, '/');
	append_snapshot(&buf, b);
	appendStringInfoChar(&buf, '/');
	return buf.data;
}

/*
 * cancel_events_since(cursor text [, max_events integer])
 *		RETURNS TABLE (id, at, customer, canceled_by_journey_id,
 *					   canceled_by_journey_name, canceled_by_agent, mode,
 *					   arg, task_ids, next_cursor)
 *
 * The events committed since cursor (NULL: since the oldest kept), the
 * rest of the cursor's batch first, each batch in id order; with
 * max_events (1.2) at most that many, the last row's next_cursor resuming
 * after it.  Locks nothing.  Raises 22P02 for a malformed cursor, 22023
 * for one of another database or history, one newer than the statement's
 * snapshot, or one that may not have read purged events, 22004/22023 for
 * max_events NULL or below 1, 0A000 on a standby.
 */
Datum
tc_cancel_events_since(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr citus_plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			argtypes[4] = {XID8OID, XID8OID, INT8OID, INT8RANGEARRAYOID};
	Datum		shards;
	bool		none;
	char	   *cursor = PG_ARGISNULL(0) ? NULL :
		text_to_cstring(PG_GETARG_TEXT_PP(0));
	EventCursor c;
	CursorSnapshot now;
	EventHistory history;
	char	   *origin;
	TimeLineID	timeline;
	XLogRecPtr	flushed;
	int64		before;
	int64		remaining = -1;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cancel_events_since() cannot run on a standby"),
				 errdetail("Snapshots taken during recovery do not list running transactions."),
				 errhint("Read cancel events on the primary.")));

	/* the two-argument form (1.2): at most max_events rows */
	if (PG_NARGS() > 1)
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("max_events must not be null"),
					 errhint("Use cancel_events_since(cursor) to read every event.")));
		if (PG_GETARG_INT32(1) < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_events must be at least 1"),
					 errdetail("max_events was %d.", PG_GETARG_INT32(1))));
		remaining = PG_GETARG_INT32(1);
	}

	if (cursor != NULL)
		c = parse_cursor(cursor);
	else
	{
		memset(&c, 0, sizeof(c));
		c.lower.xip = c.upper.xip = NULL;
	}

	tc_init_result_set(fcinfo);

	SPI_connect();
	history = current_history(cursor != NULL ? &c : NULL);
	origin = history.origin;
	now = statement_snapshot(GetActiveSnapshot());
	if (cursor != NULL)
	{
		if (strcmp(c.origin, origin) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel event cursor belongs to another database"),
					 errdetail("Cursors do not survive dump and restore: the restored database has a new transaction history."),
					 errhint("Pass NULL to read from the first event; event ids are kept, so events already handled can be recognized.")));
		if (c.timeline != 0 && !on_this_history(c.timeline, c.flushed))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel event cursor belongs to a history this server does not continue"),
					 errdetail("The cursor counts on WAL up to %X/%X of timeline %u, which this server's history does not include (a standby promoted before it received that WAL, or a recovery to an earlier point in time).",
							   LSN_FORMAT_ARGS(c.flushed), c.timeline),
					 errhint("Pass NULL to read from the first event, and skip the events already handled by their id.")));
		if (!read_all_purged(&c, &history))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel event cursor points before purged events"),
					 errdetail("purge_cancel_events() deleted events that this cursor may not have read yet."),
					 errhint("Pass NULL to read from the oldest event kept, and skip the events already handled by their id.")));
		if (!contains(&now, &c.upper))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cancel event cursor is newer than this transaction's snapshot"),
					 errdetail("The cursor counts transactions as ended that this snapshot sees running or not yet started."),
					 errhint("Pass it from a transaction that started after the call that returned it.")));
	}

	/*
	 * Make durable the end of every transaction that the cursors handed
	 * out below count as ended (file header, Durability).  The position is
	 * read before any row is made, so each cursor names WAL already on
	 * disk when the rows leave; a call that returns no row returns no
	 * cursor and needs no flush.
	 */
	flushed = inserted_wal_end();
	timeline = GetWALInsertionTimeLine();

	shards = tc_local_hash_ranges("cancel_events", &none);
	if (none)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this Citus node holds no shard of task_cancel.cancel_events"),
				 errdetail("On Citus each node keeps the cancel events of its own shards, ordered by its own transactions."),
				 errhint("Call cancel_events_since() on each node that holds shards of task_cancel.cancel_events, with one cursor per node.")));
	if (shards != (Datum) 0)
		tc_kept_plan(&citus_plan, batch_citus_sql, 4, argtypes);
	else
		tc_kept_plan(&plan, batch_sql, 3, argtypes);
	before = tuplestore_tuple_count(rsinfo->setResult);
	if (cursor != NULL)
		read_batch(rsinfo, shards != (Datum) 0 ? citus_plan : plan, shards,
				   &c.lower, &c.upper, c.after_id,
				   batch_prefix(&history, timeline, flushed, &c.lower, &c.upper),
				   &remaining);
	read_batch(rsinfo, shards != (Datum) 0 ? citus_plan : plan, shards,
			   &c.upper, &now, PG_INT64_MIN,
			   batch_prefix(&history, timeline, flushed, &c.upper, &now),
			   &remaining);
	if (tuplestore_tuple_count(rsinfo->setResult) > before)
		XLogFlush(flushed);
	SPI_finish();

	return (Datum) 0;
}

/* Column numbers of cancel_events that the stamp reads or writes. */
typedef struct EventColumns
{
	AttrNumber	id;
	AttrNumber	customer;
	AttrNumber	mode;
	AttrNumber	task_ids;
	AttrNumber	txid;
} EventColumns;

/*
 * event_columns
 *		The column numbers of rel (cancel_events, or a shard of it), looked
 *		up once per backend and again after any relcache invalidation
 *		(columns.c).
 */
static const EventColumns *
event_columns(Relation rel)
{
	static EventColumns cols;
	static Oid	for_rel = InvalidOid;
	static uint64 epoch = 0;
	uint64		now = tc_relcache_epoch();

	if (RelationGetRelid(rel) != for_rel || epoch != now)
	{
		for_rel = InvalidOid;
		cols.id = tc_column_number(rel, "id", false);
		cols.customer = tc_column_number(rel, "customer", false);
		cols.mode = tc_column_number(rel, "mode", false);
		cols.task_ids = tc_column_number(rel, "task_ids", false);
		cols.txid = tc_column_number(rel, "txid", false);
		for_rel = RelationGetRelid(rel);
		epoch = now;
	}
	return &cols;
}

/*
 * check_event
 *		Raise 23514 unless the event row (values and nulls by attribute
 *		number - 1) has a non-empty customer, one of the six modes and at
 *		least one task id: the table's CHECK constraints, checked here
 *		because a CHECK costs every writing statement far more (see the 1.1
 *		script).  NOT NULL is the table's.
 */
static void
check_event(Relation rel, const EventColumns *cols, const Datum *values,
			const bool *nulls)
{
	static const char *const modes[] = {"all", "task_type", "campaign",
	"task", "block", "timeout"};
	int			i;

	if (!nulls[cols->customer - 1] &&
		VARSIZE_ANY_EXHDR(DatumGetPointer(values[cols->customer - 1])) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("customer of a cancel event must not be empty"),
				 errtablecol(rel, cols->customer)));

	if (!nulls[cols->mode - 1])
	{
		char	   *mode = TextDatumGetCString(values[cols->mode - 1]);

		for (i = 0; i < (int) lengthof(modes); i++)
			if (strcmp(mode, modes[i]) == 0)
				break;
		if (i == (int) lengthof(modes))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("invalid cancel event mode \"%s\"", mode),
					 errhint("Modes are \"all\", \"task_type\", \"campaign\", \"task\", \"block\" and \"timeout\"."),
					 errtablecol(rel, cols->mode)));
	}

	if (!nulls[cols->task_ids - 1])
	{
		ArrayType  *ids = DatumGetArrayTypeP(values[cols->task_ids - 1]);

		if (ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("a cancel event must list at least one task"),
					 errtablecol(rel, cols->task_ids)));
		/* a list, as every reader (and the cancel stream's JSON) takes it */
		if (ARR_NDIM(ids) != 1 || array_contains_nulls(ids))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("the task ids of a cancel event must be a one-dimensional array without NULLs"),
					 errtablecol(rel, cols->task_ids)));
	}
}

/*
 * events_sequence
 *		The identity sequence of cancel_events.id, for rel (cancel_events
 *		itself, or on a Citus node one of its shards, whose ids come from
 *		the table's sequence on that node).  Kept for the backend, looked up
 *		again after any relcache invalidation (columns.c).
 */
static Oid
events_sequence(Relation rel)
{
	static Oid	for_rel = InvalidOid;
	static uint64 epoch = 0;
	static Oid	sequence = InvalidOid;

	if (RelationGetRelid(rel) != for_rel || epoch != tc_relcache_epoch())
	{
		uint64		now = tc_relcache_epoch();
		Oid			logical = get_relname_relid("cancel_events",
												RelationGetNamespace(rel));
		Relation	events;

		if (!OidIsValid(logical))
			elog(ERROR, "relation \"cancel_events\" does not exist");
		events = table_open(logical, AccessShareLock);
		sequence = tc_identity_sequence(events,
										tc_column_number(events, "id", false));
		table_close(events, AccessShareLock);
		for_rel = RelationGetRelid(rel);
		epoch = now;
	}
	return sequence;
}

/*
 * tc_stamp_event
 *		What trigger stamp_cancel_event does to a row about to be inserted
 *		into rel (cancel_events, or on a Citus node one of its shards),
 *		given as values and nulls by attribute number - 1: set txid to the
 *		inserting transaction's top-level id, whatever the row says -- also
 *		for rows that pg_dump restores, whose ids belong to another
 *		cluster's history; for an event the extension inserts, or one
 *		inserted with a NULL id (on Citus, cancel_write.c), draw the next id
 *		of cancel_events' own sequence on this node once no other writer of
 *		its customer is in progress, so that ids follow commit order per
 *		customer (event_order.c); then check the row (check_event()).
 *
 * The trigger runs it on the tuple the trigger manager hands it; the fast
 * path of a cancel (cancel_direct.c) calls it directly on the row it is
 * about to insert, in the trigger's place.
 */
void
tc_stamp_event(Relation rel, Datum *values, bool *nulls)
{
	const EventColumns *cols = event_columns(rel);
	int			id = cols->id - 1;

	values[cols->txid - 1] =
		FullTransactionIdGetDatum(GetTopFullTransactionId());
	nulls[cols->txid - 1] = false;
	if (tc_event_order_applies(nulls[id]))
	{
		/* a NULL customer fails the NOT NULL check after this trigger */
		if (!nulls[cols->customer - 1])
			tc_event_order_wait(rel, values[cols->customer - 1],
								cols->customer, cols->id);
		values[id] = Int64GetDatum(nextval_internal(events_sequence(rel),
													false));
		nulls[id] = false;
	}
	check_event(rel, cols, values, nulls);
	/* the relay of the node that stores the event notifies it */
	tc_notify_relay_note();
}

/*
 * tc_stamp_cancel_event
 *		BEFORE INSERT OR UPDATE FOR EACH ROW trigger on cancel_events.
 *
 * INSERT: tc_stamp_event() on the new row.  UPDATE: refused with 23514,
 * events are a record; old ones may be deleted.  Raises 39P01 when
 * attached any other way.
 */
Datum
tc_stamp_cancel_event(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	Datum	   *values;
	bool	   *nulls;
	HeapTuple	tuple;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"stamp_cancel_event\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"stamp_cancel_event\" must be fired BEFORE INSERT OR UPDATE FOR EACH ROW")));

	rel = trigdata->tg_relation;
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("cannot change cancel events"),
				 errdetail("Cancel events are a record of what was canceled; they are written once."),
				 errtable(rel)));

	tupdesc = RelationGetDescr(rel);
	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	heap_deform_tuple(trigdata->tg_trigtuple, tupdesc, values, nulls);
	tc_stamp_event(rel, values, nulls);
	tuple = heap_form_tuple(tupdesc, values, nulls);
	/* the identity of the row, as heap_modify_tuple() keeps it */
	tuple->t_data->t_ctid = trigdata->tg_trigtuple->t_data->t_ctid;
	tuple->t_self = trigdata->tg_trigtuple->t_self;
	tuple->t_tableOid = trigdata->tg_trigtuple->t_tableOid;
	return PointerGetDatum(tuple);
}
