/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The differences between the PostgreSQL major versions task_cancel
 *	  builds against (15 to 18), in one place.
 *
 * Every version conditional of the C code is here; the .c files use the
 * names below and read the same on every version.  Included from
 * task_cancel.h, after postgres.h (which defines PG_VERSION_NUM).
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TASK_CANCEL_COMPAT_H
#define TASK_CANCEL_COMPAT_H

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 190000
#error "task_cancel supports PostgreSQL 15, 16, 17 and 18"
#endif

/*
 * pg_noreturn goes before a declaration ("pg_noreturn static void f(...)").
 * PostgreSQL 18 introduced it and removed pg_attribute_noreturn(), which
 * went after the declarator; before 18, the older attribute does the same
 * job, and GCC and clang accept it in front.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * tc_index_beginscan
 *		index_beginscan() without instrumentation.  PostgreSQL 18 added an
 *		IndexScanInstrumentation pointer after the snapshot (for EXPLAIN
 *		ANALYZE's "Index Searches"); callers that do not count pass NULL.
 */
#if PG_VERSION_NUM >= 180000
#define tc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys))
#else
#define tc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), (norderbys))
#endif

/*
 * tc_lock_held_by_me
 *		Whether this backend holds locktag in exactly lockmode.
 *		PostgreSQL 17 added LockHeldByMe()'s "orstronger" argument.
 */
#if PG_VERSION_NUM >= 170000
#define tc_lock_held_by_me(locktag, lockmode) \
	LockHeldByMe((locktag), (lockmode), false)
#else
#define tc_lock_held_by_me(locktag, lockmode) \
	LockHeldByMe((locktag), (lockmode))
#endif

/*
 * tc_eval_plan_qual_init
 *		EvalPlanQualInit() for a caller without a plan or row marks.
 *		PostgreSQL 16 added the list of result relations.
 */
#if PG_VERSION_NUM >= 160000
#define tc_eval_plan_qual_init(epqstate, estate) \
	EvalPlanQualInit((epqstate), (estate), NULL, NIL, -1, NIL)
#else
#define tc_eval_plan_qual_init(epqstate, estate) \
	EvalPlanQualInit((epqstate), (estate), NULL, NIL, -1)
#endif

/*
 * tc_identity_sequence
 *		The sequence of identity column attnum of rel.  PostgreSQL 17 made
 *		getIdentitySequence() take the Relation instead of its oid.
 */
#if PG_VERSION_NUM >= 170000
#define tc_identity_sequence(rel, attnum) \
	getIdentitySequence((rel), (attnum), false)
#else
#define tc_identity_sequence(rel, attnum) \
	getIdentitySequence(RelationGetRelid(rel), (attnum), false)
#endif

/*
 * tc_log_logical_message
 *		Write a transactional logical decoding message.  PostgreSQL 17
 *		added "flush" (for non-transactional messages; a transactional one
 *		is flushed with its commit).
 */
#if PG_VERSION_NUM >= 170000
#define tc_log_logical_message(prefix, message, size) \
	LogLogicalMessage((prefix), (message), (size), true, false)
#else
#define tc_log_logical_message(prefix, message, size) \
	LogLogicalMessage((prefix), (message), (size), true)
#endif

#endif							/* TASK_CANCEL_COMPAT_H */
