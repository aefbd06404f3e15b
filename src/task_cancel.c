/*-------------------------------------------------------------------------
 *
 * task_cancel.c
 *	  Module entry: the map of the task_cancel extension.
 *
 * Words used throughout:
 *
 *	task		one unit of queued contact-center work (a call, an SMS
 *				conversation, a callback) for one customer; a row of
 *				task_cancel.tasks.
 *	journey		an automation workflow; its Cancel Task block calls
 *				task_cancel.cancel_tasks().  Every task it cancels records the
 *				journey's id and its name at that moment.
 *	waiting		status "pending" (queued) or "reserved" (offered to one
 *				agent, not yet accepted).  Only waiting tasks are canceled.
 *	cancelable	a task type whose task_types.cancelable is true;
 *				"automated_sms" never is.
 *	final		status "completed" or "canceled": nothing leaves it.
 *	cancel event	one row of task_cancel.cancel_events: one customer's tasks
 *				canceled by one call, announced on channel
 *				"task_cancel_events" when the transaction commits the
 *				ordinary way (1.1; not after PREPARE TRANSACTION, 1.2).
 *	blocked		a customer on the block list: their waiting tasks are
 *				canceled, new ones are created canceled (1.1).
 *	deadline	tasks.expires_at of a waiting task: past it, the task is
 *				never handed out, and the sweep cancels it (1.2).
 *
 * Where each SQL object lives:
 *
 *	sql/task_cancel--1.0.sql	schema, tables, constraints, seed rows,
 *								register_journey(), register_campaign(),
 *								view past_tasks, privileges
 *	sql/task_cancel--1.0--1.1.sql	version 1.1 on top of it (a fresh
 *								install runs all three scripts):
 *								cancel_events, blocked_customers,
 *								event_cursor_origin, the new columns of
 *								tasks and past_tasks
 *	sql/task_cancel--1.1--1.2.sql	version 1.2: lookup triggers that fire
 *								under replication too, the row rules as
 *								trigger zz_check_new_task instead of a
 *								CHECK, queue timeouts (queue_timeout,
 *								expires_at), event_purges, the new
 *								functions
 *	sql/task_cancel--1.2--1.3.sql	version 1.3: event_purges.purge_txid,
 *								notify_relay (the relay's cursor), and
 *								what the boundary checks need of the
 *								catalog
 *	src/cancel_tasks.c			cancel_tasks(text, ...) and
 *								cancel_tasks(text[], ...), both versions;
 *								preview_cancel()
 *	src/cancel_direct.c			their fast path (1.2): the open tasks read,
 *								locked and canceled without SQL statements;
 *								setting task_cancel.fast_path
 *	src/cancel_task.c			cancel_task(): an agent's cancel
 *	src/block_list.c			block_customer(), unblock_customer() and
 *								trigger function block_list_guard()
 *	src/cancel_write.c			the writes every 1.1 cancel shares: tasks,
 *								cancel_events row, notification
 *	src/commit_notify.c			notifications queued per transaction and
 *								sent at commit (so cancels can be prepared)
 *	src/notify_relay.c			the notification relay (1.3): a background
 *								worker that notifies listeners after the
 *								commit; setting task_cancel.notify_relay
 *	src/cancel_events_since.c	cancel_events_since(), both forms, and its
 *								snapshot cursors; trigger function
 *								stamp_cancel_event()
 *	src/cancel_stream.c			the cancel stream (1.3): trigger function
 *								stream_cancel_event() writes each event as
 *								a logical decoding message; setting
 *								task_cancel.stream
 *	src/event_order.c			each customer's event ids drawn in commit
 *								order (1.3), for stamp_cancel_event()
 *	src/purge_cancel_events.c	purge_cancel_events(): event retention
 *								that never lets a cursor skip (1.2; purges
 *								judged by transaction since 1.3)
 *	src/cancel_expired_tasks.c	cancel_expired_tasks(): the sweep of
 *								tasks past their deadline (1.2)
 *	src/router.c				create_task(), reserve_task(), release_task(),
 *								accept_task(), wrap_task(), complete_task(),
 *								set_task_deadline() (1.2)
 *	src/status_guard.c			trigger function status_guard(): the status
 *								state machine and immutable audit columns
 *	src/task_row_check.c		which task rows are valid: trigger function
 *								check_new_task() (1.2), the rules status_guard
 *								also applies, and 1.1's CHECK function
 *								task_row_check()
 *	src/lookup_cache.c			trigger function lookup_changed(), and the
 *								per-backend cache of journey names, task
 *								types and campaign names it keeps current
 *	src/arguments.c				argument checks shared by the entry points
 *	src/citus.c					what differs on a Citus cluster, and
 *								prepare_node(), the per-node half of
 *								distribute() (1.2)
 *	src/columns.c				column numbers by name, for the triggers
 *	src/plans.c					prepare-once, keep-forever SPI execution
 *	src/compat.h				differences between PostgreSQL versions
 *
 * Versions: one library serves databases on 1.0, 1.1, 1.2 and 1.3.  The 1.1
 * script rebinds cancel_tasks to the "_1_1" entry points, which also write
 * events; status_guard checks the 1.1 audit columns only where they exist.
 * What 1.2 changed in the library (notifications at commit, the lookup
 * lock, the block-list protocol, durable cursors) serves all three; the
 * 1.2 script rebinds create_task, reserve_task and accept_task to "_1_2"
 * entry points, which know of deadlines, and code that reads a 1.2 column
 * elsewhere first checks that it exists.
 *
 * Cached plans: every statement runs through a SPIPlanPtr kept in a static
 * variable of the file that owns the statement (see plans.c).  Kept plans
 * live in CacheMemoryContext for the life of the backend, so the statics
 * never point into per-call memory; the plan cache re-plans them by itself
 * after DDL on the tables they use.  Everything else is allocated in the
 * per-call SPI context and released by SPI_finish(), except the lookup
 * cache, which lives in its own context under CacheMemoryContext and is
 * emptied by relcache invalidations of the lookup tables (lookup_cache.c:
 * a READ COMMITTED cancel uses lookups as fresh as a query run when the
 * call starts; a REPEATABLE READ or SERIALIZABLE one reads them with its
 * transaction snapshot and bypasses the cache), and the notifications
 * pending until commit, in TopTransactionContext (commit_notify.c).
 *
 * IDENTIFICATION
 *	  src/task_cancel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "task_cancel.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Define the extension's settings: task_cancel.fast_path
 *		(cancel_direct.c), task_cancel.notify (commit_notify.c),
 *		task_cancel.notify_relay (notify_relay.c) and task_cancel.stream
 *		(cancel_stream.c); on
 *		Citus, guard against its crash on a NULL customer (citus.c).
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("task_cancel.fast_path",
							 "Lets cancel_tasks() and preview_cancel() read and write tasks directly.",
							 "When off, they run their SQL statements through SPI, as before 1.2. "
							 "The fast path is never used where Citus is loaded.",
							 &tc_fast_path,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("task_cancel.notify",
							 "Notifies listeners of channel task_cancel_events of every committed cancel.",
							 "When off, cancels write their events but send no notification, and "
							 "canceling transactions keep group commit (PostgreSQL commits notifying "
							 "transactions one at a time); consumers then poll cancel_events_since().",
							 &tc_notify,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("task_cancel.notify_relay",
							 "Sends the notifications of cancels from a background relay after they commit.",
							 "When on (1.3 databases), canceling transactions keep group commit and a "
							 "background worker notifies listeners a little after each commit; when off, "
							 "each canceling transaction notifies at its own commit, and PostgreSQL commits "
							 "notifying transactions one at a time.",
							 &tc_notify_relay,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("task_cancel.stream",
							 "Writes every cancel event to the WAL as a logical decoding message with prefix task_cancel.",
							 "Only where wal_level is logical; consumers of a replication slot "
							 "(pg_recvlogical, Debezium, pgoutput with messages) receive each event "
							 "with its transaction.",
							 &tc_stream,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("task_cancel");
	tc_guard_null_customers();
}
