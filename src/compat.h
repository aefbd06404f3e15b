/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The differences between the PostgreSQL major versions task_cancel
 *	  builds against, in one place.
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef TASK_CANCEL_COMPAT_H
#define TASK_CANCEL_COMPAT_H

#include "access/genam.h"

/*
 * PostgreSQL 18 replaced pg_attribute_noreturn() (after the declarator)
 * with pg_noreturn (before the return type).
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/* PostgreSQL 18 added index_beginscan()'s instrumentation argument. */
#if PG_VERSION_NUM >= 180000
#define tc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys))
#else
#define tc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), (norderbys))
#endif

#endif							/* TASK_CANCEL_COMPAT_H */
