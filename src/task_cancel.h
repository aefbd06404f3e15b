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
#include "access/htup.h"
#include "fmgr.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "compat.h"

/* arguments.c */
extern text *tc_text_arg(FunctionCallInfo fcinfo, int argno,
						 const char *argname);
extern text *tc_customer_arg(FunctionCallInfo fcinfo, int argno);
extern int64 tc_int64_arg(FunctionCallInfo fcinfo, int argno,
						  const char *argname);
extern void tc_init_result_set(FunctionCallInfo fcinfo);

/* plans.c */
extern SPIPlanPtr tc_kept_plan(SPIPlanPtr *plan, const char *sql, int nargs,
							   Oid *argtypes);
extern uint64 tc_execute_kept(SPIPlanPtr *plan, const char *sql, int nargs,
							  Oid *argtypes, Datum *values, const char *nulls,
							  int expected_rc);

/* citus.c: what differs on a Citus cluster */
extern bool tc_citus_loaded(void);
extern Oid	tc_shard_of(Oid relid, Datum customer);
extern Datum tc_local_hash_ranges(const char *table, bool *none);
extern void tc_guard_null_customers(void);

/* cancel_stream.c: the cancel stream (1.3) */
extern bool tc_stream;
extern Datum tc_stream_cancel_event(PG_FUNCTION_ARGS);

/* columns.c */
extern AttrNumber tc_column_number(Relation rel, const char *name,
								   bool missing_ok);
extern uint64 tc_relcache_epoch(void);

/* task_row_check.c: the rules of a valid task row */
#define TC_MAX_CUSTOMER_BYTES 1000

typedef struct TaskRowColumns
{
	/* id, customer, status, agent, completed_at, canceled_at, 5 audit */
	AttrNumber	attnum[11];
	AttrNumber	expires_at;		/* 0: before 1.2 */
} TaskRowColumns;

extern void tc_check_customer_length(Datum customer, Relation rel,
									 AttrNumber attnum);
extern void tc_task_row_columns(Relation rel, TaskRowColumns *cols);
extern void tc_check_task_row(Relation rel, const TaskRowColumns *cols,
							  HeapTuple tuple, bool new_customer);
extern void tc_check_task_row_values(Relation rel, const TaskRowColumns *cols,
									 const Datum *values, const bool *nulls,
									 bool new_customer);

/* status_guard.c */
extern Datum tc_status_guard(PG_FUNCTION_ARGS);
extern void tc_guard_task_update(Relation rel, const Datum *oldvalues,
								 const bool *oldnulls, Datum *newvalues,
								 bool *newnulls);

/* block_list.c */
extern void tc_block_list_settle(Relation rel, HeapTuple tuple);

/* lookup_cache.c */
extern void tc_lookup_accept_changes(void);
extern char *tc_journey_name(int64 id);
extern char *tc_campaign_name(int64 id);
extern bool tc_task_type(const char *name, char **label, bool *cancelable);
extern bool tc_task_type_timeout(const char *name, Interval *timeout);
extern Datum tc_cancelable_types(void);

/*
 * cancel_write.c: who canceled and why, as written on every canceled task
 * and on its cancel_events row.  Text fields are text Datums, (Datum) 0
 * for NULL.
 */
typedef struct CancelAudit
{
	const char *mode;			/* all, task_type, campaign, task, block or
								 * timeout */
	Datum		arg;			/* the mode's argument */
	bool		has_journey;
	int64		journey_id;
	Datum		journey_name;
	Datum		agent;
	Datum		reason;			/* never NULL */
} CancelAudit;

#define TC_EVENTS_CHANNEL "task_cancel_events"

/*
 * Async_Notify() refuses a payload of this many bytes or more; the same
 * expression as NOTIFY_PAYLOAD_MAX_LENGTH in commands/async.c, which no
 * header exports.  A customer that long is notified with an empty payload.
 */
#define TC_NOTIFY_PAYLOAD_MAX (BLCKSZ - NAMEDATALEN - 128)

/* commit_notify.c */
extern bool tc_notify;

/* notify_relay.c */
extern bool tc_notify_relay;
extern bool tc_notify_relay_applies(void);
extern bool tc_notify_relay_commit(void);
extern bool tc_notify_relay_ensure(bool preparing);
extern void tc_notify_relay_committed(void);
extern void tc_notify_relay_forget(void);
extern void tc_notify_relay_prepare(void);
extern void tc_notify_relay_prepared(void);
extern void tc_notify_at_commit(const char *customer);
extern void tc_notify_relay_note(void);

extern int64 tc_cancel_one(Datum customer, Datum ids, uint64 n,
						   const CancelAudit *audit);
extern uint64 tc_update_customer_tasks(Datum customer, Datum ids,
									   int64 event_id, Datum reasons,
									   const CancelAudit *audit);
extern void tc_cancel_many(Datum customers, Datum ids, Datum reasons,
						   uint64 n, const CancelAudit *audit);
extern int64 tc_insert_event(Datum customer, Datum ids,
							 const CancelAudit *audit);
extern pg_noreturn void tc_report_skipped_write(bool event);

/* event_order.c: one customer's events in commit order */
extern void tc_event_order_begin(void);
extern void tc_event_order_end(void);
extern bool tc_event_id_left_null(void);
extern bool tc_event_order_applies(bool id_null);
extern void tc_event_order_wait(Relation rel, Datum customer,
								AttrNumber customer_col, AttrNumber id_col);

/* cancel_events_since.c: what trigger stamp_cancel_event does to a row */
extern Datum tc_stamp_cancel_event(PG_FUNCTION_ARGS);
extern void tc_stamp_event(Relation rel, Datum *values, bool *nulls);

/* cancel_direct.c: the fast path of cancel_tasks() and preview_cancel() */
extern bool tc_fast_path;
extern bool tc_direct_cancel(Datum *customers, int ncustomers, Datum types,
							 bool has_campaign, int64 campaign_id, bool lock,
							 bool with_customer, const CancelAudit *audit,
							 ReturnSetInfo *rsinfo);

#endif							/* TASK_CANCEL_H */
