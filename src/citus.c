/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  What task_cancel does differently on a Citus cluster (1.2), and the
 *	  per-node half of task_cancel.distribute(): prepare_node().
 *
 * On one server nothing here runs: tc_citus_loaded() is false, and every
 * caller keeps its single-node path.  On a Citus cluster (see the README's
 * "Scale-out on Citus" and distribute() in sql/task_cancel--1.1--1.2.sql)
 * the tables tasks, cancel_events and blocked_customers are distributed by
 * customer and co-located, the lookup tables are reference tables, and the
 * per-customer functions are delegated to the node that owns the customer.
 * Then:
 *
 *	- A table's rows are not in the table a trigger or a direct index
 *	  probe names, but in its shards (tasks_102008, ...).  tc_shard_of()
 *	  finds the shard of a distributed table that holds a customer, for
 *	  the block list, which probes indexes directly.
 *	- Statements must not be planned generically when they span shards
 *	  (plans.c asks for custom plans), and a statement that locks rows
 *	  must stay within one customer (the array form of cancel_tasks locks
 *	  one customer at a time).
 *	- The node that stores a new task says when it was created: the
 *	  distributed table tasks has no default for created_at
 *	  (stamp_created_at_where_stored()).
 *	- Every node hands out task and event ids from its own sequences.
 *	  prepare_node() moves each node's two sequences into a range of its
 *	  own, (group id) << 48 onwards, so ids are unique in the cluster, and
 *	  grants on the node what the coordinator's privileges need there.
 *	- Each node's cancel events carry that node's transaction ids, so each
 *	  node reads and purges only the events of its own shards
 *	  (tc_local_hash_ranges()), and numbers them from its own range.
 *
 * Where Citus checks privileges as the caller on a shard, prepare_node()
 * also grants on the shards what the coordinator's views and functions
 * need, with row-level security keeping readers of past_tasks to the rows
 * the view shows (restrict_readers()).
 *
 * And one thing Citus 13.2.2 gets wrong: it crashes the backend delegating
 * a call with a NULL customer, or a call from a query the planner has
 * reshaped (a subquery, VALUES, WITH or SQL function pulled up), and the
 * postmaster restarts every session.  A planner hook (guard_planner()),
 * ahead of Citus's when task_cancel is in shared_preload_libraries after
 * citus, keeps every such query from being delegated: the function then
 * runs on the coordinator, with the same result.
 *
 * IDENTIFICATION
 *	  src/citus.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "commands/policy.h"
#include "commands/tablecmds.h"
#include "executor/functions.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_prepare_node);

static planner_hook_type prev_planner_hook = NULL;

static Node *grant_object(const char *kind, Oid oid);

/* The bits of an id below a node's group id. */
#define TC_GROUP_SHIFT 48

/*
 * The shard of distributed table $1 that holds customer $2, or no row when
 * $1 is not distributed.  shard_name() gives the qualified name, which
 * regclass turns into the shard's oid.
 */
static const char *const shard_sql =
"SELECT s.name, pg_catalog.to_regclass(s.name)"
"  FROM (SELECT pg_catalog.shard_name(p.logicalrelid,"
"                 pg_catalog.get_shard_id_for_distribution_column(p.logicalrelid, $2)"
"               ) AS name"
"          FROM pg_catalog.pg_dist_partition AS p"
"         WHERE p.logicalrelid = $1 AND p.partmethod = 'h') AS s";

/*
 * tc_citus_loaded
 *		Whether this database runs on Citus: the library is loaded (it
 *		defines the setting citus.version) and CREATE EXTENSION citus ran
 *		here.  A server that preloads Citus for other databases is one
 *		server for this one.
 *
 * Asked before every query that Citus's library is preloaded for
 * (guard_planner()) and for every task created, so the answer is kept
 * until a relcache entry is invalidated (tc_relcache_epoch()): CREATE and
 * DROP EXTENSION citus create and drop Citus's tables, which invalidates
 * their entries in every backend of the database, and a backend serves
 * one database.  The setting needs no second look: Citus's library loads
 * only from shared_preload_libraries, so it is there from a backend's
 * start or not at all.
 */
bool
tc_citus_loaded(void)
{
	static uint64 epoch = 0;
	static bool loaded = false;
	uint64		now = tc_relcache_epoch();

	if (epoch != now)
	{
		/* the lookup may take in invalidations: then the next call looks again */
		loaded = GetConfigOption("citus.version", true, false) != NULL &&
			OidIsValid(get_extension_oid("citus", true));
		epoch = now;
	}
	return loaded;
}

/*
 * tc_shard_of
 *		The shard of distributed table relid that holds customer, or relid
 *		itself where the table is not distributed (or Citus is not loaded).
 *
 * Connects to SPI itself.  The shard is looked up on every call: shards
 * move and split, and Citus is in the way of every statement on a cluster
 * anyway.  Only a node that holds the shard can open it; that is the node
 * every caller runs on (the customer's delegated call, or a trigger on a
 * co-located shard).  Called elsewhere -- block_customer() in a statement
 * that Citus does not delegate -- it raises 0A000.
 */
Oid
tc_shard_of(Oid relid, Datum customer)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	Oid			shard = relid;
	bool		isnull;

	if (!tc_citus_loaded())
		return relid;

	values[0] = ObjectIdGetDatum(relid);
	values[1] = customer;
	SPI_connect();
	if (tc_execute_kept(&plan, shard_sql, 2, argtypes, values, NULL,
						SPI_OK_SELECT) == 1)
	{
		shard = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 2,
											   &isnull));
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the shard %s of customer \"%s\" is on another node",
							TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
															  SPI_tuptable->tupdesc,
															  1, &isnull)),
							TextDatumGetCString(customer)),
					 errhint("Call block_customer() and unblock_customer() one customer per statement, with constant arguments, so that Citus runs them on the customer's node.")));
	}
	SPI_finish();
	return shard;
}

/*
 * The hash ranges of the shards of task_cancel table $1 placed on this
 * node; no row when the table is not distributed.
 */
static const char *const local_hash_ranges_sql =
"SELECT pg_catalog.array_agg(pg_catalog.int8range(s.shardminvalue::pg_catalog.int8,"
"                                                 s.shardmaxvalue::pg_catalog.int8, '[]')"
"                            ORDER BY s.shardid)"
"       FILTER (WHERE pl.groupid = g.groupid)"
"  FROM pg_catalog.pg_dist_partition AS p"
"  JOIN pg_catalog.pg_dist_shard AS s ON s.logicalrelid = p.logicalrelid"
"  JOIN pg_catalog.pg_dist_placement AS pl ON pl.shardid = s.shardid,"
"       pg_catalog.pg_dist_local_group AS g"
" WHERE p.logicalrelid = pg_catalog.to_regclass('task_cancel.' || $1)"
" GROUP BY p.logicalrelid";

/*
 * tc_local_hash_ranges
 *		The hash ranges of the shards of task_cancel.table on this node, as
 *		an int8range[] Datum in the current memory context (int8, because
 *		the last range ends at 2^31 - 1, past which an inclusive int4range
 *		cannot reach); (Datum) 0 where the table is not distributed (or
 *		Citus is not loaded), and also with *none set where this node holds
 *		no shard of it.
 *
 * A row is in one of them if and only if it is stored on this node: Citus
 * places a row by the hash of its distribution column, which for text is
 * hashtext() (the hash function of text's default hash operator class, as
 * Citus's worker_hash() computes it).  Statements filter on
 * "hashtext(customer)::int8 <@ ANY (ranges)" because a modification on
 * Citus may not call a volatile function like worker_hash() itself.
 *
 * Must run inside SPI.
 */
Datum
tc_local_hash_ranges(const char *table, bool *none)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtype = TEXTOID;
	Datum		name = CStringGetTextDatum(table);
	Datum		ids;

	*none = false;
	if (!tc_citus_loaded())
		return (Datum) 0;
	if (tc_execute_kept(&plan, local_hash_ranges_sql, 1, &argtype, &name, NULL,
						SPI_OK_SELECT) == 0)
		return (Datum) 0;
	ids = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						none);
	return *none ? (Datum) 0 : PointerGetDatum(DatumGetArrayTypePCopy(ids));
}

/*
 * prepare_node SQL: this node's group (0 on the coordinator); the largest
 * id of each table within a group's range, read through the distributed
 * table (ids restored from a dump, or handed out before); the sequences'
 * last values.
 */
static const char *const group_sql =
"SELECT g.groupid FROM pg_catalog.pg_dist_local_group AS g";

static const char *const tasks_max_sql =
"SELECT pg_catalog.max(t.id) FROM task_cancel.tasks AS t"
" WHERE t.id >= $1 AND t.id < $2";

static const char *const events_max_sql =
"SELECT pg_catalog.max(e.id) FROM task_cancel.cancel_events AS e"
" WHERE e.id >= $1 AND e.id < $2";

static const char *const sequence_sql =
"SELECT s.seq, pg_catalog.pg_sequence_last_value(s.seq)"
"  FROM (SELECT pg_catalog.pg_get_serial_sequence($1, 'id')::pg_catalog.regclass"
"        AS seq) AS s";

static const char *const setval_sql =
"SELECT pg_catalog.setval($1, $2, false)";

/*
 * The coordinator's grants on the schema and on each function, table and
 * view in it, as one json array of [kind, name, acl] (kind "n", "f" or
 * "r"; "c" for the grants on one column of tasks or past_tasks; name
 * schema-qualified, a function's with its argument types; acl
 * an aclitem[] as text): read on the coordinator itself, or from a worker
 * through Citus's run_command_on_coordinator(), which runs it on a
 * connection of its own and so sees what the coordinator has committed.
 * The names are made here rather than by regprocedure's or regclass's
 * output, which leaves out the schema where that connection's search_path
 * has it.
 */
#define ACLS_SQL \
"SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.kind, o.name, o.acl))" \
"  FROM (SELECT 'n' AS kind, n.nspname::pg_catalog.text AS name," \
"               n.nspacl::pg_catalog.text AS acl" \
"          FROM pg_catalog.pg_namespace AS n" \
"         WHERE n.nspname = 'task_cancel' AND n.nspacl IS NOT NULL" \
"        UNION ALL" \
"        SELECT 'f', pg_catalog.format('task_cancel.%I(%s)', p.proname," \
"                                      pg_catalog.oidvectortypes(p.proargtypes))," \
"               p.proacl::pg_catalog.text" \
"          FROM pg_catalog.pg_proc AS p" \
"         WHERE p.pronamespace = 'task_cancel'::pg_catalog.regnamespace" \
"           AND p.proacl IS NOT NULL" \
"        UNION ALL" \
"        SELECT 'r', pg_catalog.format('task_cancel.%I', c.relname)," \
"               c.relacl::pg_catalog.text" \
"          FROM pg_catalog.pg_class AS c" \
"         WHERE c.relnamespace = 'task_cancel'::pg_catalog.regnamespace" \
"           AND c.relkind IN ('r', 'v', 'p') AND c.relacl IS NOT NULL" \
"        UNION ALL" \
"        SELECT 'c', pg_catalog.format('task_cancel.%I', c.relname)," \
"               a.attacl::pg_catalog.text" \
"          FROM pg_catalog.pg_attribute AS a" \
"          JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid" \
"         WHERE a.attrelid IN ('task_cancel.tasks'::pg_catalog.regclass," \
"                              'task_cancel.past_tasks'::pg_catalog.regclass)" \
"           AND a.attnum > 0 AND a.attacl IS NOT NULL) AS o"

static const char *const local_acls_sql = ACLS_SQL;

static const char *const coordinator_acls_sql =
"SELECT r.success, r.result"
"  FROM pg_catalog.run_command_on_coordinator($1) AS r";

/*
 * The objects of that array that exist on this node, by oid (InvalidOid
 * for the schema), with each grantee's privileges on them (NULL: PUBLIC);
 * the owner's own entry left out.
 */
static const char *const grants_sql =
"SELECT o.kind, o.name,"
"       CASE o.kind WHEN 'f' THEN pg_catalog.to_regprocedure(o.name)::pg_catalog.oid"
"                   WHEN 'n' THEN 0"
"                   ELSE pg_catalog.to_regclass(o.name)::pg_catalog.oid END,"
"       pg_catalog.lower(a.privilege_type), r.rolname"
"  FROM pg_catalog.json_array_elements($1::pg_catalog.json) AS e,"
"       LATERAL (SELECT e->>0 AS kind, e->>1 AS name, e->>2 AS acl) AS o,"
"       LATERAL pg_catalog.aclexplode(o.acl::pg_catalog.aclitem[]) AS a"
"  LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee"
" WHERE a.grantee <> a.grantor AND (r.oid IS NOT NULL OR a.grantee = 0)"
" GROUP BY 1, 2, 3, 4, 5"
" ORDER BY 1, 2, 4, 5";

/*
 * What this node grants on the schema and on each function, table and view
 * in it that the coordinator's array ($1, as above) does not: to be
 * revoked.  Shards are left out (relation_is_a_known_shard()): their
 * grants are Citus's copies and those of restrict_readers().
 */
static const char *const revokes_sql =
"WITH coordinator AS ("
"    SELECT o.kind, o.name, a.grantee, a.privilege_type"
"      FROM pg_catalog.json_array_elements($1::pg_catalog.json) AS e,"
"           LATERAL (SELECT e->>0 AS kind, e->>1 AS name, e->>2 AS acl) AS o,"
"           LATERAL pg_catalog.aclexplode(o.acl::pg_catalog.aclitem[]) AS a),"
"  here AS ("
"    SELECT 'n' AS kind, n.nspname::pg_catalog.text AS name, 0::pg_catalog.oid AS oid, a.*"
"      FROM pg_catalog.pg_namespace AS n, pg_catalog.aclexplode(n.nspacl) AS a"
"     WHERE n.nspname = 'task_cancel'"
"    UNION ALL"
"    SELECT 'f', pg_catalog.format('task_cancel.%I(%s)', p.proname,"
"                                  pg_catalog.oidvectortypes(p.proargtypes)), p.oid, a.*"
"      FROM pg_catalog.pg_proc AS p, pg_catalog.aclexplode(p.proacl) AS a"
"     WHERE p.pronamespace = 'task_cancel'::pg_catalog.regnamespace"
"    UNION ALL"
"    SELECT 'r', pg_catalog.format('task_cancel.%I', c.relname), c.oid, a.*"
"      FROM pg_catalog.pg_class AS c, pg_catalog.aclexplode(c.relacl) AS a"
"     WHERE c.relnamespace = 'task_cancel'::pg_catalog.regnamespace"
"       AND c.relkind IN ('r', 'v', 'p')"
"       AND NOT pg_catalog.relation_is_a_known_shard(c.oid))"
"SELECT h.kind, h.name, h.oid, pg_catalog.lower(h.privilege_type), r.rolname"
"  FROM here AS h LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = h.grantee"
" WHERE h.grantee <> h.grantor AND (r.oid IS NOT NULL OR h.grantee = 0)"
"   AND NOT EXISTS (SELECT 1 FROM coordinator AS c"
"                    WHERE c.kind = h.kind AND c.name = h.name"
"                      AND c.grantee = h.grantee"
"                      AND c.privilege_type = h.privilege_type)"
" ORDER BY 1, 2, 4, 5";

/*
 * The roles granted privilege $2 on relation $1 itself ($3 false), or on
 * one of its columns ($3 true); NULL for PUBLIC.
 */
static const char *const holders_sql =
"SELECT DISTINCT r.rolname"
"  FROM (SELECT a.grantee, a.grantor, a.privilege_type"
"          FROM pg_catalog.pg_class AS c, pg_catalog.aclexplode(c.relacl) AS a"
"         WHERE c.oid = $1 AND NOT $3"
"        UNION ALL"
"        SELECT a.grantee, a.grantor, a.privilege_type"
"          FROM pg_catalog.pg_attribute AS at, pg_catalog.aclexplode(at.attacl) AS a"
"         WHERE at.attrelid = $1 AND at.attnum > 0 AND $3) AS g"
"  LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = g.grantee"
" WHERE g.grantee <> g.grantor AND g.privilege_type = $2"
"   AND (r.oid IS NOT NULL OR g.grantee = 0)"
" ORDER BY 1";

/* The shards of table $2 placed on node group $1. */
static const char *const local_shards_sql =
"SELECT pg_catalog.shard_name(s.logicalrelid, s.shardid)::pg_catalog.regclass"
"  FROM pg_catalog.pg_dist_shard AS s"
"  JOIN pg_catalog.pg_dist_placement AS pl ON pl.shardid = s.shardid"
" WHERE s.logicalrelid = $2 AND pl.groupid = $1"
" ORDER BY s.shardid";

/*
 * local_shards
 *		The shards of task_cancel.table on node group group, as a list of
 *		RangeVar for a GrantStmt.  Must run inside SPI.
 */
static List *
local_shards(int32 group, const char *table)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {INT4OID, OIDOID};
	Datum		values[2];
	List	   *shards = NIL;
	uint64		n;
	uint64		i;

	values[0] = Int32GetDatum(group);
	values[1] = ObjectIdGetDatum(get_relname_relid(table,
												   get_namespace_oid("task_cancel", false)));
	n = tc_execute_kept(&plan, local_shards_sql, 2, argtypes, values, NULL,
						SPI_OK_SELECT);
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		shards = lappend(shards,
						 grant_object("r",
									  DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																	 SPI_tuptable->tupdesc,
																	 1, &isnull))));
	}
	return shards;
}

/*
 * move_sequence
 *		Make the id sequence of table (in task_cancel) hand out ids from
 *		group's range onwards, after every id of that range already in the
 *		table: setval() to the first free id, if the sequence is below it.
 *		Must run inside SPI.
 */
static void
move_sequence(const char *table, SPIPlanPtr *max_plan, const char *max_sql,
			  int32 group)
{
	static SPIPlanPtr seq_plan = NULL;
	static SPIPlanPtr setval_plan = NULL;
	Oid			range_types[2] = {INT8OID, INT8OID};
	Datum		range[2];
	Oid			seq_type = TEXTOID;
	Datum		seq_name = CStringGetTextDatum(psprintf("task_cancel.%s", table));
	Oid			setval_types[2] = {REGCLASSOID, INT8OID};
	Datum		setval_values[2];
	int64		lo = (int64) group << TC_GROUP_SHIFT;
	int64		next = lo > 0 ? lo : 1;
	Datum		value;
	bool		isnull;

	range[0] = Int64GetDatum(lo);
	range[1] = Int64GetDatum(lo + ((int64) 1 << TC_GROUP_SHIFT));
	tc_execute_kept(max_plan, max_sql, 2, range_types, range, NULL,
					SPI_OK_SELECT);
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	if (!isnull && DatumGetInt64(value) >= next)
		next = DatumGetInt64(value) + 1;

	tc_execute_kept(&seq_plan, sequence_sql, 1, &seq_type, &seq_name, NULL,
					SPI_OK_SELECT);
	setval_values[0] = SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull);
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
						  &isnull);
	if (!isnull && DatumGetInt64(value) >= next)
		return;					/* already in the range, past its ids */

	setval_values[1] = Int64GetDatum(next);
	tc_execute_kept(&setval_plan, setval_sql, 2, setval_types, setval_values,
					NULL, SPI_OK_SELECT);
}

/*
 * grant_object
 *		The name of object oid of kind ("f" function, "r" relation) as a
 *		GrantStmt wants it.
 */
static Node *
grant_object(const char *kind, Oid oid)
{
	if (kind[0] == 'f')
	{
		ObjectWithArgs *func = makeNode(ObjectWithArgs);
		HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(oid));
		Form_pg_proc proc;
		int			i;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for function %u", oid);
		proc = (Form_pg_proc) GETSTRUCT(tuple);
		func->objname = list_make2(makeString(get_namespace_name(proc->pronamespace)),
								   makeString(pstrdup(NameStr(proc->proname))));
		for (i = 0; i < proc->pronargs; i++)
			func->objargs = lappend(func->objargs,
									makeTypeNameFromOid(proc->proargtypes.values[i], -1));
		ReleaseSysCache(tuple);
		return (Node *) func;
	}
	return (Node *) makeRangeVar(get_namespace_name(get_rel_namespace(oid)),
								 get_rel_name(oid), -1);
}

/*
 * privilege
 *		One privilege (lower case, as the parser makes it), on the columns
 *		cols (NIL: the whole object), for a GrantStmt.
 */
static AccessPriv *
privilege(const char *priv, List *cols)
{
	AccessPriv *ap = makeNode(AccessPriv);

	ap->priv_name = pstrdup(priv);
	ap->cols = cols;
	return ap;
}

static void grant_privileges(ObjectType objtype, List *objects,
							 List *privileges, List *roles);
static void change_privileges(bool is_grant, ObjectType objtype,
							  List *objects, List *privileges, List *roles);

/*
 * grant
 *		GRANT priv (lower case, as the parser makes it) ON objtype objects
 *		TO roles (see change_privileges()).
 */
static void
grant(ObjectType objtype, List *objects, const char *priv, List *roles)
{
	grant_privileges(objtype, objects, list_make1(privilege(priv, NIL)), roles);
}

/*
 * The register functions write the lookup tables as their caller on Citus
 * (distribute() makes them SECURITY INVOKER; see the README): a role that
 * may call one may write exactly the columns it writes, and read them
 * (INSERT ... ON CONFLICT DO UPDATE reads the row it updates).
 */
static void
grant_register_writes(bool is_grant, List *objects, List *roles, bool campaigns)
{
	List	   *written = list_make2(makeString("id"), makeString("name"));
	List	   *updated = list_make1(makeString("name"));

	if (campaigns)
	{
		written = lappend(written, makeString("channel"));
		updated = lappend(updated, makeString("channel"));
	}
	change_privileges(is_grant, OBJECT_TABLE, objects,
					  list_make3(privilege("select", list_copy(written)),
								 privilege("insert", written),
								 privilege("update", updated)),
					  roles);
}

static void
grant_privileges(ObjectType objtype, List *objects, List *privileges,
				 List *roles)
{
	change_privileges(true, objtype, objects, privileges, roles);
}

/*
 * change_privileges
 *		GRANT (is_grant) or REVOKE privileges ON objtype objects TO / FROM
 *		roles, as a statement node: no SQL text is made, and Citus, which
 *		sees only utility statements, does not propagate it (each node runs
 *		prepare_node() itself).
 */
static void
change_privileges(bool is_grant, ObjectType objtype, List *objects,
				  List *privileges, List *roles)
{
	GrantStmt  *stmt = makeNode(GrantStmt);

	if (roles == NIL || objects == NIL)
		return;
	stmt->is_grant = is_grant;
	stmt->targtype = ACL_TARGET_OBJECT;
	stmt->objtype = objtype;
	stmt->objects = objects;
	stmt->privileges = privileges;
	stmt->grantees = roles;
	stmt->grant_option = false;
	stmt->behavior = DROP_RESTRICT;
	ExecuteGrantStmt(stmt);
}

/*
 * One object and privilege of grants_sql's or revokes_sql's result, with
 * all its roles.
 */
typedef struct PrivilegeGroup
{
	char		kind;			/* 'n' schema, 'f' function, 'r' relation */
	char	   *name;
	char	   *priv;
	bool		missing;		/* not on this node */
	ObjectType	objtype;
	Node	   *object;			/* as GrantStmt wants it */
	List	   *roles;			/* of RoleSpec */
} PrivilegeGroup;

/*
 * next_group
 *		The group of rows of table (sorted by kind, name, privilege) that
 *		starts at *i; *i moves past it.
 */
static PrivilegeGroup
next_group(SPITupleTable *table, uint64 n, uint64 *i)
{
	TupleDesc	desc = table->tupdesc;
	HeapTuple	first = table->vals[*i];
	PrivilegeGroup g;
	char	   *kind;
	Datum		oid;
	Datum		name;
	bool		isnull;

	kind = TextDatumGetCString(SPI_getbinval(first, desc, 1, &isnull));
	g.kind = kind[0];
	g.name = TextDatumGetCString(SPI_getbinval(first, desc, 2, &isnull));
	oid = SPI_getbinval(first, desc, 3, &isnull);
	g.missing = isnull;
	g.priv = TextDatumGetCString(SPI_getbinval(first, desc, 4, &isnull));
	g.roles = NIL;
	for (; *i < n; (*i)++)
	{
		HeapTuple	row = table->vals[*i];
		RoleSpec   *role;

		if (strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 2, &isnull)), g.name) != 0 ||
			strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 4, &isnull)), g.priv) != 0 ||
			strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 1, &isnull)), kind) != 0)
			break;
		role = makeNode(RoleSpec);
		role->location = -1;
		name = SPI_getbinval(row, desc, 5, &isnull);
		if (isnull)
			role->roletype = ROLESPEC_PUBLIC;
		else
		{
			role->roletype = ROLESPEC_CSTRING;
			role->rolename = pstrdup(NameStr(*DatumGetName(name)));
		}
		g.roles = lappend(g.roles, role);
	}
	g.objtype = g.kind == 'n' ? OBJECT_SCHEMA :
		g.kind == 'f' ? OBJECT_FUNCTION : OBJECT_TABLE;
	g.object = g.missing ? NULL : g.kind == 'n' ? (Node *) makeString(g.name) :
		grant_object(g.kind == 'f' ? "f" : "r", DatumGetObjectId(oid));
	return g;
}

/*
 * has_role
 *		Whether roles (RoleSpec) holds the role named name, or PUBLIC when
 *		name is NULL.
 */
static bool
has_role(List *roles, const char *name)
{
	ListCell   *lc;

	foreach(lc, roles)
	{
		RoleSpec   *role = lfirst(lc);

		if (name == NULL ? role->roletype == ROLESPEC_PUBLIC :
			role->roletype == ROLESPEC_CSTRING && strcmp(role->rolename, name) == 0)
			return true;
	}
	return false;
}

/*
 * holders_except
 *		The roles that hold privilege (as aclexplode() names it) on
 *		relation relid itself, or on one of its columns (columns), but are
 *		not in keep.  Must run inside SPI.
 */
static List *
holders_except(Oid relid, const char *privilege_type, bool columns, List *keep)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[3] = {OIDOID, TEXTOID, BOOLOID};
	Datum		values[3];
	List	   *others = NIL;
	uint64		n;
	uint64		i;

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(privilege_type);
	values[2] = BoolGetDatum(columns);
	n = tc_execute_kept(&plan, holders_sql, 3, argtypes, values, NULL,
						SPI_OK_SELECT);
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);
		char	   *name = isnull ? NULL : pstrdup(NameStr(*DatumGetName(value)));

		if (!has_role(keep, name))
		{
			RoleSpec   *role = makeNode(RoleSpec);

			role->roletype = name == NULL ? ROLESPEC_PUBLIC : ROLESPEC_CSTRING;
			role->rolename = name;
			role->location = -1;
			others = lappend(others, role);
		}
	}
	return others;
}

/*
 * revoke_others
 *		REVOKE priv ON each relation of relations (RangeVar) FROM the roles
 *		that hold it (privilege_type) there but are not in keep.
 */
static void
revoke_others(List *relations, const char *privilege_type, const char *priv,
			  List *keep)
{
	ListCell   *lc;

	foreach(lc, relations)
	{
		RangeVar   *rel = lfirst(lc);

		change_privileges(false, OBJECT_TABLE, list_make1(rel),
						  list_make1(privilege(priv, NIL)),
						  holders_except(RangeVarGetRelid(rel, NoLock, false),
										 privilege_type, false, keep));
	}
}

/*
 * register_writes
 *		The column privileges of the callers of register_journey (table
 *		"journeys") or register_campaign ("campaigns", campaigns true) on
 *		the table and its shards here: granted to writers, revoked from
 *		every other role that holds them.
 */
static void
register_writes(int32 group, const char *table, List *writers, bool campaigns)
{
	List	   *objects = lcons(grant_object("r", get_relname_relid(table,
																	get_namespace_oid("task_cancel", false))),
								local_shards(group, table));
	ListCell   *lc;

	grant_register_writes(true, objects, writers, campaigns);
	foreach(lc, objects)
	{
		RangeVar   *rel = lfirst(lc);

		grant_register_writes(false, list_make1(rel),
							  holders_except(RangeVarGetRelid(rel, NoLock, false),
											 "INSERT", true, writers),
							  campaigns);
	}
}

/*
 * A policy of a shard of tasks (see restrict_readers()): its name, command,
 * condition and check, parsed from constant text.
 */
#define READERS_POLICY "task_cancel_past_tasks_readers"
#define ALL_ROWS_UNLESS_READER \
"SELECT pg_catalog.has_table_privilege('task_cancel.tasks'::pg_catalog.regclass, 'SELECT')" \
"    OR NOT pg_catalog.has_any_column_privilege('task_cancel.past_tasks'::pg_catalog.regclass, 'SELECT')"

static Node *
parse_condition(const char *condition)
{
	List	   *parsed = raw_parser(condition, RAW_PARSE_DEFAULT);
	SelectStmt *select = (SelectStmt *) ((RawStmt *) linitial(parsed))->stmt;

	return ((ResTarget *) linitial(select->targetList))->val;
}

/*
 * distinct_roles
 *		roles (RoleSpec) without repeated names.
 */
static List *
distinct_roles(List *roles)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, roles)
	{
		RoleSpec   *role = lfirst(lc);
		ListCell   *seen;
		bool		found = false;

		foreach(seen, result)
		{
			RoleSpec   *other = lfirst(seen);

			if (other->roletype == role->roletype &&
				(role->roletype != ROLESPEC_CSTRING ||
				 strcmp(other->rolename, role->rolename) == 0))
				found = true;
		}
		if (!found)
			result = lappend(result, role);
	}
	return result;
}

/*
 * set_policy
 *		Create policy name on shard, or give the existing one these roles
 *		and conditions (qual or check NULL: none); with no roles, drop it.
 *		Must run inside SPI.
 */
static void
set_policy(RangeVar *shard, const char *name, const char *cmd, List *roles,
		   const char *qual, const char *check)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	Oid			existing = InvalidOid;
	bool		isnull;

	values[0] = ObjectIdGetDatum(RangeVarGetRelid(shard, NoLock, false));
	values[1] = CStringGetTextDatum(name);
	if (tc_execute_kept(&plan,
						"SELECT p.oid FROM pg_catalog.pg_policy AS p"
						" WHERE p.polrelid = $1 AND p.polname = $2",
						2, argtypes, values, NULL, SPI_OK_SELECT) == 1)
		existing = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1,
												  &isnull));
	if (roles == NIL)
	{
		if (OidIsValid(existing))
		{
			ObjectAddress policy;

			/* as DROP POLICY does: with its dependencies */
			ObjectAddressSet(policy, PolicyRelationId, existing);
			performDeletion(&policy, DROP_RESTRICT, 0);
		}
	}
	else if (!OidIsValid(existing))
	{
		CreatePolicyStmt *stmt = makeNode(CreatePolicyStmt);

		stmt->policy_name = pstrdup(name);
		stmt->table = shard;
		stmt->cmd_name = pstrdup(cmd);
		stmt->permissive = true;
		stmt->roles = roles;
		stmt->qual = qual != NULL ? parse_condition(qual) : NULL;
		stmt->with_check = check != NULL ? parse_condition(check) : NULL;
		CreatePolicy(stmt);
	}
	else
	{
		AlterPolicyStmt *stmt = makeNode(AlterPolicyStmt);

		stmt->policy_name = pstrdup(name);
		stmt->table = shard;
		stmt->roles = roles;
		stmt->qual = qual != NULL ? parse_condition(qual) : NULL;
		stmt->with_check = check != NULL ? parse_condition(check) : NULL;
		AlterPolicy(stmt);
	}
	CommandCounterIncrement();
}

/*
 * The roles the coordinator grants each privilege on tasks itself or on
 * its columns: on the shards they keep every row for that command
 * (restrict_readers()).
 */
typedef struct TableGrantees
{
	List	   *select;
	List	   *column_select;	/* SELECT on some columns only */
	List	   *insert;
	List	   *update;
	List	   *delete;
} TableGrantees;

/*
 * restrict_readers
 *		Let the readers of past_tasks read on the shards of tasks here only
 *		what the view shows, the final tasks: row-level security on each
 *		shard, a policy for them, and for each command a policy that leaves
 *		every row to the roles the coordinator grants that command on tasks
 *		or on some of its columns.  The extension's owner (the functions,
 *		Citus) is not subject to any.  Without readers, none of this: the
 *		policies are dropped and row-level security is off.  Must run
 *		inside SPI.
 */
static void
restrict_readers(List *shards, List *readers, const TableGrantees *table)
{
	ListCell   *lc;
	bool		any_readers = readers != NIL;

	readers = distinct_roles(readers);
	foreach(lc, shards)
	{
		RangeVar   *shard = lfirst(lc);
		Oid			relid = RangeVarGetRelid(shard, ShareRowExclusiveLock, false);
		AlterTableCmd *cmd = makeNode(AlterTableCmd);

		/* without readers, no policies and no row-level security */
		set_policy(shard, READERS_POLICY, "select", readers,
				   "SELECT status IN ('completed', 'canceled')", NULL);
		/*
		 * Every row to those granted SELECT on tasks or its columns, except
		 * to readers of past_tasks -- also through PUBLIC or a group -- who
		 * are not granted SELECT on the whole table: on the shards a reader
		 * reads every column, so a column grant would give it every row of
		 * every column.  Such a role reaches only the final tasks (README).
		 */
		set_policy(shard, "task_cancel_table_select", "select",
				   any_readers ?
				   distinct_roles(list_concat(list_copy(table->select),
											  table->column_select)) : NIL,
				   ALL_ROWS_UNLESS_READER, NULL);
		set_policy(shard, "task_cancel_table_insert", "insert",
				   any_readers ? distinct_roles(table->insert) : NIL,
				   NULL, "SELECT true");
		set_policy(shard, "task_cancel_table_update", "update",
				   any_readers ? distinct_roles(table->update) : NIL,
				   "SELECT true", "SELECT true");
		set_policy(shard, "task_cancel_table_delete", "delete",
				   any_readers ? distinct_roles(table->delete) : NIL,
				   "SELECT true", NULL);
		cmd->subtype = any_readers ? AT_EnableRowSecurity : AT_DisableRowSecurity;
		AlterTableInternal(relid, list_make1(cmd), false);
		CommandCounterIncrement();
	}
}

/*
 * stamp_created_at_where_stored
 *		Drop the default of created_at from tasks on this node: from the
 *		distributed table, not from its shards.
 *
 * Citus evaluates the functions of an INSERT into a distributed table,
 * those of the columns' defaults included, on the node that plans it, and
 * sends the values to the node that stores the row.  For a task created
 * through the coordinator, now() is then the coordinator's transaction
 * start, before the storing worker's (and read by another machine's
 * clock), and block_list_guard() there would take the new task for
 * history and let a blocked customer's task wait.  Without the default, a
 * task created without created_at arrives with none, and
 * block_list_guard() gives it the storing node's transaction start
 * (block_list.c).  A shard keeps its default: where one applies, the
 * storing node evaluates it.  Looked at first, so that distribute() run
 * again takes no lock for it.
 */
static void
stamp_created_at_where_stored(void)
{
	Oid			relid = get_relname_relid("tasks",
										  get_namespace_oid("task_cancel", false));
	HeapTuple	att;
	bool		has_default;
	AlterTableCmd *cmd;

	att = SearchSysCacheAttName(relid, "created_at");
	if (!HeapTupleIsValid(att))
		elog(ERROR, "task_cancel.tasks has no column created_at");
	has_default = ((Form_pg_attribute) GETSTRUCT(att))->atthasdef;
	ReleaseSysCache(att);
	if (!has_default)
		return;

	cmd = makeNode(AlterTableCmd);
	cmd->subtype = AT_ColumnDefault;	/* def NULL: DROP DEFAULT */
	cmd->name = "created_at";
	cmd->def = NULL;
	AlterTableInternal(relid, list_make1(cmd), false);
	CommandCounterIncrement();
}

/*
 * prepare_node() RETURNS void
 *		The part of distribute() that each node of a cluster runs for
 *		itself, through run_command_on_all_nodes():
 *
 *	- the id sequences of tasks and cancel_events move into this node's
 *	  range (file header);
 *	- tasks.created_at loses its default, so that the node that stores a
 *	  new task says when it was created (stamp_created_at_where_stored());
 *	- every grant the coordinator has on the schema and on the functions,
 *	  tables and views in it is made here too, and every other grant on
 *	  them here is revoked: Citus does not propagate grants on the objects
 *	  an extension created, nor those made before a table or function was
 *	  distributed;
 *	- the callers of the register functions get, and only they keep, the
 *	  column privileges those functions need on Citus (grant_register_writes());
 *	- every role that may read past_tasks on the coordinator may read the
 *	  shards of tasks on this node: Citus checks a shard's privileges as
 *	  the calling role, not as the view's owner (citusdata/citus#1683).
 *	  Row-level security on the shards keeps such a role, connecting to a
 *	  worker directly, to the rows the view shows (restrict_readers());
 *
 * Idempotent.  Only the extension's owner or a superuser may run it
 * (nothing is granted to PUBLIC).
 */
Datum
tc_prepare_node(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr group_plan = NULL;
	static SPIPlanPtr tasks_max_plan = NULL;
	static SPIPlanPtr events_max_plan = NULL;
	static SPIPlanPtr acls_plan = NULL;
	static SPIPlanPtr coordinator_plan = NULL;
	static SPIPlanPtr grants_plan = NULL;
	static SPIPlanPtr revokes_plan = NULL;
	int32		group;
	bool		isnull;
	Datum		acls;
	bool		acls_null;
	Oid			json_type = TEXTOID;
	List	   *shards;
	List	   *readers = NIL;
	List	   *journey_writers = NIL;
	List	   *campaign_writers = NIL;
	TableGrantees table = {NIL, NIL, NIL, NIL, NIL};
	SPITupleTable *revokes_table;
	SPITupleTable *grants_table;
	uint64		n;
	uint64		i;

	if (!tc_citus_loaded())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prepare_node() needs Citus"),
				 errhint("It is part of task_cancel.distribute(); run that on a Citus coordinator.")));

	SPI_connect();
	if (tc_execute_kept(&group_plan, group_sql, 0, NULL, NULL, NULL,
						SPI_OK_SELECT) != 1)
		elog(ERROR, "pg_dist_local_group has no row");
	group = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	/* the last group's range would end at 2^63, past int8 */
	if (group < 0 || group >= (1 << (63 - TC_GROUP_SHIFT)) - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Citus group id %d is too large for task_cancel's id ranges",
						group),
				 errdetail("Each node's ids start at its group id times 2^%d.",
						   TC_GROUP_SHIFT)));

	move_sequence("tasks", &tasks_max_plan, tasks_max_sql, group);
	move_sequence("cancel_events", &events_max_plan, events_max_sql, group);
	stamp_created_at_where_stored();

	/* the coordinator's grants, as json */
	if (group == 0)
	{
		tc_execute_kept(&acls_plan, local_acls_sql, 0, NULL, NULL, NULL,
						SPI_OK_SELECT);
		acls = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
							 &acls_null);
	}
	else
	{
		Oid			argtype = TEXTOID;
		Datum		query = CStringGetTextDatum(local_acls_sql);
		HeapTuple	row;

		tc_execute_kept(&coordinator_plan, coordinator_acls_sql, 1, &argtype,
						&query, NULL, SPI_OK_SELECT);
		row = SPI_tuptable->vals[0];
		if (!DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not read task_cancel's privileges on the coordinator"),
					 errdetail("%s", TextDatumGetCString(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull)))));
		acls = SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &acls_null);
		/* run_command_on_coordinator() returns "" for NULL */
		if (!acls_null && VARSIZE_ANY_EXHDR(DatumGetPointer(acls)) == 0)
			acls_null = true;
	}
	if (acls_null)
	{
		SPI_finish();
		PG_RETURN_VOID();		/* nothing granted to anyone */
	}
	acls = PointerGetDatum(DatumGetTextPCopy(acls));

	/* the shards of tasks here, for the readers of past_tasks */
	shards = local_shards(group, "tasks");

	/* one GRANT per object and privilege, to all its grantees */
	n = tc_execute_kept(&grants_plan, grants_sql, 1, &json_type, &acls, NULL,
						SPI_OK_SELECT);
	grants_table = SPI_tuptable;
	for (i = 0; i < n;)
	{
		PrivilegeGroup g = next_group(grants_table, n, &i);

		if (g.missing)
			continue;			/* not on this node (a shard elsewhere) */
		if (g.kind != 'c')		/* column grants: Citus copies them */
			change_privileges(true, g.objtype, list_make1(g.object),
							  list_make1(privilege(g.priv, NIL)), g.roles);
		if ((g.kind == 'r' || g.kind == 'c') && strcmp(g.priv, "select") == 0 &&
			strcmp(g.name, "task_cancel.past_tasks") == 0)
		{
			grant(OBJECT_TABLE, shards, g.priv, g.roles);
			readers = list_concat(readers, g.roles);
		}
		if ((g.kind == 'r' || g.kind == 'c') &&
			strcmp(g.name, "task_cancel.tasks") == 0)
		{
			if (strcmp(g.priv, "select") == 0 && g.kind == 'c')
				table.column_select = list_concat(table.column_select, g.roles);
			else if (strcmp(g.priv, "select") == 0)
				table.select = list_concat(table.select, g.roles);
			else if (strcmp(g.priv, "insert") == 0)
				table.insert = list_concat(table.insert, g.roles);
			else if (strcmp(g.priv, "update") == 0)
				table.update = list_concat(table.update, g.roles);
			else if (strcmp(g.priv, "delete") == 0)
				table.delete = list_concat(table.delete, g.roles);
		}
		if (g.kind == 'f' && strcmp(g.priv, "execute") == 0 &&
			strcmp(g.name, "task_cancel.register_journey(bigint, text)") == 0)
			journey_writers = g.roles;
		if (g.kind == 'f' && strcmp(g.priv, "execute") == 0 &&
			strcmp(g.name, "task_cancel.register_campaign(bigint, text, text)") == 0)
			campaign_writers = g.roles;
	}
	register_writes(group, "journeys", journey_writers, false);
	register_writes(group, "campaigns", campaign_writers, true);

	/* and one REVOKE for each that the coordinator no longer grants */
	n = tc_execute_kept(&revokes_plan, revokes_sql, 1, &json_type, &acls,
						NULL, SPI_OK_SELECT);
	revokes_table = SPI_tuptable;
	for (i = 0; i < n;)
	{
		PrivilegeGroup g = next_group(revokes_table, n, &i);

		change_privileges(false, g.objtype, list_make1(g.object),
						  list_make1(privilege(g.priv, NIL)), g.roles);
	}
	revoke_others(shards, "SELECT", "select",
				  list_concat(list_copy(readers), table.select));
	restrict_readers(shards, readers, &table);
	SPI_finish();

	PG_RETURN_VOID();
}

/*
 * is_customer_first
 *		Whether proc (a row of pg_proc) is a function of task_cancel whose
 *		first argument is named customer: one that Citus may delegate by
 *		customer.
 */
static bool
is_customer_first(HeapTuple proc, Oid nsp)
{
	char	  **names;
	Oid		   *types;
	char	   *modes;

	return ((Form_pg_proc) GETSTRUCT(proc))->pronamespace == nsp &&
		get_func_arg_info(proc, &types, &names, &modes) > 0 &&
		names != NULL && names[0] != NULL && strcmp(names[0], "customer") == 0;
}

/* The context of may_reach_task_cancel(). */
typedef struct ReachContext
{
	Oid			nsp;			/* task_cancel */
	int			depth;			/* SQL function bodies entered so far */
} ReachContext;

static bool may_reach_task_cancel(Node *node, ReachContext *context);

/* Names the function whose body body_may_reach() was reading. */
static void
body_error_context(void *arg)
{
	errcontext("SQL function \"%s\", read by task_cancel's Citus guard",
			   (const char *) arg);
}

/*
 * body_may_reach
 *		Whether the body of the SQL function that call calls (proc, its row
 *		of pg_proc) may reach a customer-first function of task_cancel
 *		once the planner inlines it: the body as the planner's inlining
 *		reads it -- parsed and analyzed with call's argument types, or as
 *		stored for a SQL-standard body -- and walked.  Nothing is evaluated
 *		(the planner evaluates immutable functions while it inlines, and
 *		doing that here too ran them twice, side effects and all).
 *
 * A function the planner never inlines reaches nothing this way: one in
 * another language, in pg_catalog, SECURITY DEFINER, with SET options, or
 * with a body string of more than one statement.  Its body runs as
 * queries of their own, which this hook checks as they are planned.  Any
 * other counts by its body (a SQL-standard one by all its statements)
 * even where the planner then declines to inline it: that costs such a
 * query an always-true condition, never a crash.  Kept out of line: the
 * walker visits every node of every query, and most call nothing here.
 */
pg_noinline static bool
body_may_reach(HeapTuple proc, FuncExpr *call, ReachContext *context)
{
	Form_pg_proc form = (Form_pg_proc) GETSTRUCT(proc);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext reading;
	ErrorContextCallback errcallback;
	Node	   *body = NULL;
	Datum		stored;
	bool		isnull;
	bool		found = false;

	if (form->prolang != SQLlanguageId ||
		form->pronamespace == PG_CATALOG_NAMESPACE || form->prosecdef ||
		!heap_attisnull(proc, Anum_pg_proc_proconfig, NULL))
		return false;

	reading = AllocSetContextCreate(caller, "task_cancel Citus guard",
									ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(reading);
	errcallback.callback = body_error_context;
	errcallback.arg = NameStr(form->proname);
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	stored = SysCacheGetAttr(PROCOID, proc, Anum_pg_proc_prosqlbody, &isnull);
	if (!isnull)
		body = stringToNode(TextDatumGetCString(stored));
	else
	{
		char	   *src;
		List	   *raw;
		FuncExpr	expanded = *call;

		src = TextDatumGetCString(SysCacheGetAttr(PROCOID, proc,
												  Anum_pg_proc_prosrc,
												  &isnull));
		raw = pg_parse_query(src);
		if (list_length(raw) == 1)
		{
			/*
			 * The arguments in declared order, defaults added (nothing
			 * evaluated), from which polymorphic ones take their types.
			 */
			expanded.args = expand_function_arguments(call->args, false,
													  call->funcresulttype,
													  proc);
			body = (Node *)
				pg_analyze_and_rewrite_withcb(linitial_node(RawStmt, raw), src,
											  (ParserSetupHook) sql_fn_parser_setup,
											  prepare_sql_fn_parse_info(proc,
																		(Node *) &expanded,
																		call->inputcollid),
											  NULL);
		}
	}
	if (body != NULL)
	{
		context->depth++;
		found = may_reach_task_cancel(body, context);
		context->depth--;
	}

	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(reading);
	return found;
}

/*
 * may_reach_task_cancel
 *		expression_tree_walker callback, also into subqueries: whether the
 *		query calls a customer-first function of task_cancel, directly or
 *		through the body of a user's SQL function that the planner may
 *		inline (body_may_reach()), to a depth of 16 bodies.
 */
static bool
may_reach_task_cancel(Node *node, ReachContext *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, may_reach_task_cancel,
								 context, 0);
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *call = (FuncExpr *) node;
		HeapTuple	proc = SearchSysCache1(PROCOID,
										   ObjectIdGetDatum(call->funcid));
		bool		found = false;

		if (HeapTupleIsValid(proc))
		{
			found = is_customer_first(proc, context->nsp) ||
				(context->depth < 16 && body_may_reach(proc, call, context));
			ReleaseSysCache(proc);
		}
		if (found)
			return true;
	}
	return expression_tree_walker(node, may_reach_task_cancel, context);
}

/*
 * never_null
 *		Whether the planner, folding arg (a call's customer), certainly
 *		leaves Citus no NULL constant there, as far as can be told without
 *		evaluating anything: arg is a constant that is not NULL, or an
 *		external parameter whose value is not NULL or that the planner
 *		leaves in place (Citus delegates no call by a parameter; the
 *		planner substitutes a value as eval_const_expressions() decides,
 *		which is copied here).  Anything else -- an expression that folding
 *		might turn into NULL -- counts as NULL.
 */
static bool
never_null(Node *arg, ParamListInfo params)
{
	Param	   *param;
	ParamExternData *prm;
	ParamExternData prmdata;

	/* a binary-compatible cast (varchar to text) keeps NULL and not NULL */
	while (IsA(arg, RelabelType))
		arg = (Node *) ((RelabelType *) arg)->arg;
	if (IsA(arg, Const))
		return !((Const *) arg)->constisnull;
	if (!IsA(arg, Param) || ((Param *) arg)->paramkind != PARAM_EXTERN)
		return false;

	param = (Param *) arg;
	if (params == NULL || param->paramid <= 0 ||
		param->paramid > params->numParams)
		return true;			/* no value: left in place */
	if (params->paramFetch != NULL)
		prm = params->paramFetch(params, param->paramid, true, &prmdata);
	else
		prm = &params->params[param->paramid - 1];
	if (!OidIsValid(prm->ptype) || !(prm->pflags & PARAM_FLAG_CONST))
		return true;			/* not substituted: left in place */
	return !prm->isnull;
}

/*
 * safely_delegated
 *		Whether parse is one of the two calls Citus 13.2.2 delegates without
 *		crashing: SELECT f(...) or SELECT ... FROM f(...), f a customer-first
 *		function, and nothing else -- no other FROM item, no WHERE but a
 *		constant true, no WITH, subquery, grouping, aggregate, window, sort,
 *		DISTINCT, LIMIT or set operation -- with a customer that is never
 *		NULL once folded (never_null()).  Evaluates nothing: where the
 *		answer would take evaluating, it is no, and the call runs on the
 *		coordinator.
 */
static bool
safely_delegated(Query *parse, ParamListInfo params, Oid nsp)
{
	FuncExpr   *call = NULL;
	Node	   *quals = parse->jointree->quals;
	HeapTuple	proc;
	List	   *args = NIL;

	if (parse->cteList != NIL || parse->hasSubLinks || parse->hasAggs ||
		parse->hasWindowFuncs || parse->groupClause != NIL ||
		parse->groupingSets != NIL || parse->havingQual != NULL ||
		parse->sortClause != NIL || parse->distinctClause != NIL ||
		parse->limitCount != NULL || parse->limitOffset != NULL ||
		parse->setOperations != NULL || list_length(parse->targetList) < 1)
		return false;
	if (quals != NULL &&
		!(IsA(quals, Const) && !((Const *) quals)->constisnull &&
		  DatumGetBool(((Const *) quals)->constvalue)))
		return false;
	if (parse->rtable == NIL)
	{
		Node	   *expr = (Node *) ((TargetEntry *) linitial(parse->targetList))->expr;

		if (list_length(parse->targetList) == 1 && IsA(expr, FuncExpr))
			call = (FuncExpr *) expr;
	}
	else if (list_length(parse->rtable) == 1)
	{
		RangeTblEntry *rte = linitial(parse->rtable);

		if (rte->rtekind == RTE_FUNCTION && list_length(rte->functions) == 1 &&
			IsA(((RangeTblFunction *) linitial(rte->functions))->funcexpr, FuncExpr))
			call = (FuncExpr *) ((RangeTblFunction *) linitial(rte->functions))->funcexpr;
	}
	if (call == NULL)
		return false;

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(call->funcid));
	if (!HeapTupleIsValid(proc))
		return false;
	/* named arguments in declared order: the customer first */
	if (is_customer_first(proc, nsp))
		args = expand_function_arguments(call->args, false,
										 call->funcresulttype, proc);
	ReleaseSysCache(proc);
	return args != NIL && never_null(linitial(args), params);
}

/*
 * guard_planner
 *		planner_hook, ahead of Citus's: in a database that runs on Citus
 *		(tc_citus_loaded()), a query that may reach a customer-first
 *		function of task_cancel (may_reach_task_cancel()) and is not one of
 *		the calls Citus delegates safely gets an extra WHERE condition that
 *		is always true but never folded away ("clock_timestamp() IS NOT
 *		NULL"), so that Citus does not delegate it and the function runs
 *		here -- raising its own 22004 for a NULL customer, or doing its
 *		work with the same result, more slowly.  Citus 13.2.2 crashes the
 *		backend delegating such queries (file header).
 *
 * Every other query is planned as before.  Where Citus is not in the
 * database (the hook is installed wherever Citus's library is preloaded,
 * for every database) that costs a look at a remembered answer; where it
 * is, a lookup of the schema and a walk that looks up each function called
 * and reads the body of each user's SQL function.  Neither evaluates
 * anything.
 */
static PlannedStmt *
guard_planner(Query *parse, const char *query_string, int cursor_options,
			  ParamListInfo params)
{
	ReachContext reach = {InvalidOid, 0};

	if (parse->commandType == CMD_SELECT && parse->jointree != NULL &&
		tc_citus_loaded() &&
		OidIsValid(reach.nsp = get_namespace_oid("task_cancel", true)) &&
		may_reach_task_cancel((Node *) parse, &reach) &&
		!safely_delegated(parse, params, reach.nsp))
	{
		FuncExpr   *now = makeFuncExpr(F_CLOCK_TIMESTAMP, TIMESTAMPTZOID, NIL,
									   InvalidOid, InvalidOid,
									   COERCE_EXPLICIT_CALL);
		NullTest   *always = makeNode(NullTest);

		always->arg = (Expr *) now;
		always->nulltesttype = IS_NOT_NULL;
		always->argisrow = false;
		always->location = -1;
		parse->jointree->quals = make_and_qual(parse->jointree->quals,
											   (Node *) always);
	}
	if (prev_planner_hook != NULL)
		return prev_planner_hook(parse, query_string, cursor_options, params);
	return standard_planner(parse, query_string, cursor_options, params);
}

/*
 * tc_guard_null_customers
 *		Install guard_planner() where Citus is loaded (called by _PG_init;
 *		on one server it does nothing).
 */
void
tc_guard_null_customers(void)
{
	if (GetConfigOption("citus.version", true, false) == NULL)
		return;
	prev_planner_hook = planner_hook;
	planner_hook = guard_planner;
}
