/*-------------------------------------------------------------------------
 *
 * cancel_stream.c
 *	  The cancel stream (1.3): every cancel event also written to the WAL
 *	  as a transactional logical decoding message, for consumers of a
 *	  replication slot (pg_recvlogical, Debezium, logical replication
 *	  clients); setting task_cancel.stream.
 *
 * Trigger stream_cancel_event fires AFTER INSERT FOR EACH ROW on
 * cancel_events, so every path that writes an event is covered by one
 * piece of code: both cancel forms (fast path and statements), an agent's
 * cancel, the block list (also tasks born canceled), the timeout sweep, an
 * operator's own INSERT, and on Citus the shard on the worker that stores
 * the event, whose WAL then carries it.  An AFTER trigger sees the row as
 * stored, after every BEFORE trigger (stamp_cancel_event draws the id, an
 * operator's own may change the row or skip it), so the message says what
 * the table says.
 *
 * The message: prefix "task_cancel", transactional (PostgreSQL decodes it
 * with its transaction: at the commit, in commit order, never for a
 * transaction or savepoint that rolled back; a prepared transaction's at
 * COMMIT PREPARED, or at PREPARE where the slot decodes two-phase), and
 * content one JSON object:
 *
 *	{"id": 17, "at": "2026-12-06T09:31:24.123456+00:00", "customer": "+1",
 *	 "canceled_by_journey_id": 7, "canceled_by_journey_name": "Churn",
 *	 "canceled_by_agent": null, "mode": "all", "arg": null,
 *	 "task_ids": [40, 41], "version": 1}
 *
 * Ids are JSON numbers and may exceed 2^53 (a Citus node's range starts
 * at node << 48): a consumer in JavaScript must read them as BigInt or
 * strings.  "at" is the event's at in UTC, whatever the session's
 * TimeZone.  Text is in the database's encoding.
 *
 * Nothing is written where wal_level is below logical (no slot could
 * decode it), or where task_cancel.stream is off for the session, role or
 * database; the trigger then costs an after-trigger event and a test.
 * Under session_replication_role = replica the trigger does not fire
 * (pg_restore --disable-triggers, a logical replication subscriber): those
 * rows were events somewhere else first.
 *
 * IDENTIFICATION
 *	  src/cancel_stream.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "lib/stringinfo.h"
#include "replication/message.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/json.h"
#include "utils/rel.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_stream_cancel_event);

bool		tc_stream = true;

/* The message's prefix: what a consumer filters on. */
#define TC_STREAM_PREFIX "task_cancel"

/* The columns a message carries, in its order. */
enum
{
	S_ID, S_AT, S_CUSTOMER, S_JOURNEY_ID, S_JOURNEY_NAME, S_AGENT, S_MODE,
	S_ARG, S_TASK_IDS, S_NCOLS
};

static const char *const stream_columns[S_NCOLS] = {
	"id", "at", "customer", "canceled_by_journey_id",
	"canceled_by_journey_name", "canceled_by_agent", "mode", "arg",
	"task_ids"
};

static const Oid stream_types[S_NCOLS] = {
	INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, INT8ARRAYOID
};

/* What comes before each value in the JSON object: its key. */
#define KEY(first, name) { first "\"" name "\": ", sizeof(first "\"" name "\": ") - 1 }
static const struct
{
	const char *text;
	int			len;
}			stream_keys[S_NCOLS] = {
	KEY("{", "id"), KEY(", ", "at"), KEY(", ", "customer"),
	KEY(", ", "canceled_by_journey_id"), KEY(", ", "canceled_by_journey_name"),
	KEY(", ", "canceled_by_agent"), KEY(", ", "mode"), KEY(", ", "arg"),
	KEY(", ", "task_ids")
};

/*
 * columns_of
 *		Column numbers of rel (cancel_events, or a Citus shard of it) for
 *		stream_columns, kept until the next relcache invalidation.
 */
static const AttrNumber *
columns_of(Relation rel)
{
	static AttrNumber attnums[S_NCOLS];
	static Oid	for_rel = InvalidOid;
	static uint64 epoch = 0;
	uint64		now = tc_relcache_epoch();
	int			i;

	if (for_rel != RelationGetRelid(rel) || epoch != now)
	{
		for_rel = InvalidOid;
		for (i = 0; i < S_NCOLS; i++)
		{
			Form_pg_attribute att;

			attnums[i] = tc_column_number(rel, stream_columns[i], false);
			att = TupleDescAttr(RelationGetDescr(rel), attnums[i] - 1);
			/* the JSON is built from the values' binary form */
			if (att->atttypid != stream_types[i])
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of \"%s\" has type %s, not %s",
								stream_columns[i], RelationGetRelationName(rel),
								format_type_be(att->atttypid),
								format_type_be(stream_types[i])),
						 errdetail("The cancel stream writes the columns of cancel_events as task_cancel defines them."),
						 errhint("Restore the column's type, or set task_cancel.stream to off.")));
		}
		for_rel = RelationGetRelid(rel);
		epoch = now;
	}
	return attnums;
}

static void
append_int8(StringInfo buf, Datum value)
{
	char		digits[MAXINT8LEN + 1];

	appendBinaryStringInfo(buf, digits,
						   pg_lltoa(DatumGetInt64(value), digits));
}

/*
 * append_text
 *		A text value as a JSON string.  Customers, names and modes rarely
 *		hold a character JSON must escape: those are copied in one piece,
 *		and only the others go through escape_json().
 */
static void
append_text(StringInfo buf, Datum value)
{
	text	   *t = DatumGetTextPP(value);
	const char *data = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) data[i];

		if (c < 0x20 || c == '"' || c == '\\')
			break;
	}
	if (i == len)
	{
		enlargeStringInfo(buf, len + 2);
		buf->data[buf->len++] = '"';
		memcpy(buf->data + buf->len, data, len);
		buf->len += len;
		buf->data[buf->len++] = '"';
		buf->data[buf->len] = '\0';
	}
	else
	{
		char	   *s = text_to_cstring(t);

		escape_json(buf, s);
		pfree(s);
	}
	if ((Pointer) t != DatumGetPointer(value))
		pfree(t);
}

static void
append_timestamptz(StringInfo buf, Datum value)
{
	char		out[MAXDATELEN + 1];
	int			utc = 0;

	JsonEncodeDateTime(out, value, TIMESTAMPTZOID, &utc);
	appendStringInfoChar(buf, '"');
	appendStringInfoString(buf, out);
	appendStringInfoChar(buf, '"');
}

static void
append_ids(StringInfo buf, Datum value)
{
	ArrayType  *ids = DatumGetArrayTypeP(value);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	/* one dimension, no NULLs: trigger stamp_cancel_event checks it */
	deconstruct_array(ids, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		if (nulls[i])
			appendStringInfoString(buf, "null");
		else
			append_int8(buf, elems[i]);
	}
	appendStringInfoChar(buf, ']');
	pfree(elems);
	pfree(nulls);
	if ((Pointer) ids != DatumGetPointer(value))
		pfree(ids);
}

/*
 * stream_message
 *		The JSON content of event row tuple of rel (file header).
 */
static void
stream_message(StringInfo buf, Relation rel, HeapTuple tuple)
{
	const AttrNumber *attnums = columns_of(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	int			i;

	/* one pass over the tuple, not one per column */
	heap_deform_tuple(tuple, desc, values, nulls);
	for (i = 0; i < S_NCOLS; i++)
	{
		Datum		value = values[attnums[i] - 1];

		appendBinaryStringInfo(buf, stream_keys[i].text, stream_keys[i].len);
		if (nulls[attnums[i] - 1])
			appendStringInfoString(buf, "null");
		else if (i == S_ID || i == S_JOURNEY_ID)
			append_int8(buf, value);
		else if (i == S_AT)
			append_timestamptz(buf, value);
		else if (i == S_TASK_IDS)
			append_ids(buf, value);
		else
			append_text(buf, value);
	}
	appendStringInfoString(buf, ", \"version\": 1}");
	pfree(values);
	pfree(nulls);
}

/*
 * tc_stream_cancel_event
 *		AFTER INSERT FOR EACH ROW trigger on cancel_events: write the event
 *		as a logical decoding message (file header).  Raises 39P01 when
 *		attached any other way.
 */
Datum
tc_stream_cancel_event(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	StringInfoData buf;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"stream_cancel_event\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"stream_cancel_event\" must be fired AFTER INSERT FOR EACH ROW")));

	if (!tc_stream || !XLogLogicalInfoActive())
		return PointerGetDatum(NULL);

	initStringInfo(&buf);
	stream_message(&buf, trigdata->tg_relation, trigdata->tg_trigtuple);
	tc_log_logical_message(TC_STREAM_PREFIX, buf.data, buf.len);
	pfree(buf.data);
	return PointerGetDatum(NULL);
}
