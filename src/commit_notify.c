/*-------------------------------------------------------------------------
 *
 * commit_notify.c
 *	  The notifications of cancels on channel "task_cancel_events", queued
 *	  when a cancel is written and handed to PostgreSQL only as the
 *	  transaction commits.
 *
 * PostgreSQL refuses to PREPARE a transaction that has called NOTIFY
 * (0A000), and since 1.1 every cancel notifies.  Journey engines behind an
 * XA transaction manager, and Citus for any write to several nodes, commit
 * with two-phase commit, so calling Async_Notify() while the cancel runs
 * would break them.  Instead, tc_notify_at_commit() remembers the customer
 * in this backend, and a transaction callback calls Async_Notify() at
 * XACT_EVENT_PRE_COMMIT.  CommitTransaction() runs those callbacks before
 * PreCommit_Notify() takes the pending notifications, so they are sent
 * with this commit exactly as if they had been queued earlier.
 * PrepareTransaction() raises XACT_EVENT_PRE_PREPARE instead: a prepared
 * transaction notifies nothing, and its events are in cancel_events, where
 * consumers polling cancel_events_since() find them after COMMIT PREPARED.
 *
 * A rolled-back subtransaction takes back what it queued, as NOTIFY
 * inside it would: every entry records the nesting level that queued it,
 * a subtransaction commit hands its entries to the parent level, an abort
 * drops them.  Repeats of one customer are left for Async_Notify() to fold
 * into one notification.
 *
 * A notification's payload is limited to 8000 bytes (commands/async.c).
 * Since 1.2 a new task's customer is at most
 * 1,000 bytes (task_row_check.c), but tasks of 1.0 and 1.1 may have longer
 * ones, and they must stay cancelable: their notification carries an
 * empty payload, which tells a listener to read cancel_events_since().
 *
 * Memory: the list and its strings live in TopTransactionContext and go
 * with the transaction; the static pointer is reset at every end.
 *
 * The price (1.2, bench/commits): PostgreSQL lets one notifying
 * transaction of a database commit at a time -- PreCommit_Notify() takes a
 * database-wide lock that is held until the commit record is flushed -- so
 * canceling transactions lost group commit among themselves.  Since 1.3
 * the notifications of a 1.3 database are sent after the commit by the
 * relay (notify_relay.c), and a canceling transaction only records here
 * that it canceled something, once per subtransaction level; it notifies
 * itself only where the relay cannot run (task_cancel.notify_relay = off,
 * a database on 1.2 or older, no background worker to be had).  Where
 * consumers poll cancel_events_since() anyway, the setting
 * task_cancel.notify = off (superuser; ALTER ROLE ... SET for the journey
 * engine's role) leaves notifications out and the events in.
 *
 * IDENTIFICATION
 *	  src/commit_notify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "task_cancel.h"

bool		tc_notify = true;


/* One customer to notify at commit. */
typedef struct PendingNotify
{
	int			nest_level;		/* subtransaction level that queued it */
	char	   *payload;		/* NULL: an event the relay will notify */
} PendingNotify;

static List *pending = NIL;		/* of PendingNotify, in TopTransactionContext */
static bool callbacks_registered = false;

/*
 * notify_xact_callback
 *		Send what is pending just before the commit; forget it at any other
 *		end (abort, prepare).
 */
static void
notify_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			{
				bool		relay_seen = false;

				foreach(lc, pending)
				{
					PendingNotify *p = (PendingNotify *) lfirst(lc);

					if (p->payload != NULL)
						Async_Notify(TC_EVENTS_CHANNEL, p->payload);
					else if (!relay_seen)
					{
						/* the relay notifies after the commit ... */
						relay_seen = true;
						if (!tc_notify_relay_commit())
							Async_Notify(TC_EVENTS_CHANNEL, "");	/* ... if there is one */
					}
				}
			}
			pending = NIL;
			break;
		case XACT_EVENT_PRE_PREPARE:
			/* the relay notifies at COMMIT PREPARED; it must be there */
			foreach(lc, pending)
			{
				if (((PendingNotify *) lfirst(lc))->payload == NULL)
				{
					tc_notify_relay_prepare();
					break;
				}
			}
			pending = NIL;
			break;
		case XACT_EVENT_ABORT:
			tc_notify_relay_forget();
			tc_notify_relay_prepared();
			pending = NIL;
			break;
		case XACT_EVENT_PREPARE:
			tc_notify_relay_prepared();
			pending = NIL;
			break;
		case XACT_EVENT_COMMIT:
			/* nothing is sent for a prepared transaction; see above */
			tc_notify_relay_committed();
			pending = NIL;
			break;
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			break;
	}
}

/*
 * notify_subxact_callback
 *		On a subtransaction's commit its entries pass to the parent level;
 *		on its abort they are dropped.
 */
static void
notify_subxact_callback(SubXactEvent event,
						SubTransactionId mySubid pg_attribute_unused(),
						SubTransactionId parentSubid pg_attribute_unused(),
						void *arg pg_attribute_unused())
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, pending)
		{
			PendingNotify *p = (PendingNotify *) lfirst(lc);

			if (p->nest_level >= level)
				p->nest_level = level - 1;
		}
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(lc, pending)
		{
			PendingNotify *p = (PendingNotify *) lfirst(lc);

			if (p->nest_level >= level)
				pending = foreach_delete_current(pending, lc);
		}
	}
}

/*
 * tc_notify_at_commit
 *		Queue a notification of customer's cancel on channel
 *		"task_cancel_events", sent when the transaction commits the
 *		ordinary way (see the file header).
 */
static void
queue(const char *payload)
{
	MemoryContext old;
	PendingNotify *p;

	if (!callbacks_registered)
	{
		RegisterXactCallback(notify_xact_callback, NULL);
		RegisterSubXactCallback(notify_subxact_callback, NULL);
		callbacks_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(PendingNotify));
	p->nest_level = GetCurrentTransactionNestLevel();
	p->payload = payload != NULL ? pstrdup(payload) : NULL;
	pending = lappend(pending, p);
	MemoryContextSwitchTo(old);
}

/*
 * tc_notify_at_commit
 *		Queue a notification of customer's cancel on channel
 *		"task_cancel_events", sent when the transaction commits the
 *		ordinary way (see the file header) -- where the relay does not
 *		notify for us (notify_relay.c); where it does, trigger
 *		stamp_cancel_event has called tc_notify_relay_note().
 */
void
tc_notify_at_commit(const char *customer)
{
	if (!tc_notify || tc_notify_relay_applies())
		return;
	queue(strlen(customer) < TC_NOTIFY_PAYLOAD_MAX ? customer : "");
}

/*
 * tc_notify_relay_note
 *		An event was written on this node, whose relay will notify it
 *		(called by trigger stamp_cancel_event, which fires on the node that
 *		stores the event, on Citus too): at commit this transaction makes
 *		sure the relay runs.  One entry per subtransaction level.
 */
void
tc_notify_relay_note(void)
{
	PendingNotify *last;

	if (!tc_notify || !tc_notify_relay_applies())
		return;
	last = pending != NIL ? (PendingNotify *) llast(pending) : NULL;
	if (last != NULL && last->payload == NULL &&
		last->nest_level == GetCurrentTransactionNestLevel())
		return;
	queue(NULL);
}
