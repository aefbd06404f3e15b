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
 * Three things then differ:
 *
 *	- A table's rows are not in the table a trigger or a direct index
 *	  probe names, but in its shards (tasks_102008, ...).  tc_shard_of()
 *	  finds the shard of a distributed table that holds a customer, for
 *	  the block list, which probes indexes directly.
 *	- Statements must not be planned generically when they span shards
 *	  (plans.c asks for custom plans), and a statement that locks rows
 *	  must stay within one customer (the array form of cancel_tasks locks
 *	  one customer at a time).
 *	- Every node hands out task and event ids from its own sequences.
 *	  prepare_node() moves each node's two sequences into a range of its
 *	  own, (group id) << 48 onwards, so ids are unique in the cluster, and
 *	  grants on the node what the coordinator's privileges need there.
 *
 * IDENTIFICATION
 *	  src/citus.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "task_cancel.h"

PG_FUNCTION_INFO_V1(tc_prepare_node);

/* The bits of an id below a node's group id. */
#define TC_GROUP_SHIFT 48

/*
 * The shard of distributed table $1 that holds customer $2, or no row when
 * $1 is not distributed.  shard_name() gives the qualified name, which
 * regclass turns into the shard's oid.
 */
static const char *const shard_sql =
"SELECT pg_catalog.shard_name(p.logicalrelid,"
"           pg_catalog.get_shard_id_for_distribution_column(p.logicalrelid, $2)"
"       )::pg_catalog.regclass"
"  FROM pg_catalog.pg_dist_partition AS p"
" WHERE p.logicalrelid = $1 AND p.partmethod = 'h'";

/*
 * tc_citus_loaded
 *		Whether the Citus library is loaded in this backend; it defines the
 *		setting citus.version when it is.
 */
bool
tc_citus_loaded(void)
{
	return GetConfigOption("citus.version", true, false) != NULL;
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
 * co-located shard).
 */
Oid
tc_shard_of(Oid relid, Datum customer)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	Oid			shard = relid;
	bool		isnull;

	if (!tc_citus_loaded() || !OidIsValid(get_extension_oid("citus", true)))
		return relid;

	values[0] = ObjectIdGetDatum(relid);
	values[1] = customer;
	SPI_connect();
	if (tc_execute_kept(&plan, shard_sql, 2, argtypes, values, NULL,
						SPI_OK_SELECT) == 1)
		shard = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1,
											   &isnull));
	SPI_finish();
	return shard;
}

/*
 * The shard ids of task_cancel table $1 placed on this node, sorted; no
 * row when the table is not distributed.
 */
static const char *const local_shard_ids_sql =
"SELECT pg_catalog.array_agg(s.shardid ORDER BY s.shardid)"
"       FILTER (WHERE pl.groupid = g.groupid)"
"  FROM pg_catalog.pg_dist_partition AS p"
"  JOIN pg_catalog.pg_dist_shard AS s ON s.logicalrelid = p.logicalrelid"
"  JOIN pg_catalog.pg_dist_placement AS pl ON pl.shardid = s.shardid,"
"       pg_catalog.pg_dist_local_group AS g"
" WHERE p.logicalrelid = pg_catalog.to_regclass('task_cancel.' || $1)"
" GROUP BY p.logicalrelid";

/*
 * tc_local_shard_ids
 *		The ids of the shards of task_cancel.table on this node, as an
 *		int8[] Datum in the current memory context; (Datum) 0 where the
 *		table is not distributed (or Citus is not loaded), NULL (with
 *		*none) where this node holds no shard of it.
 *
 * Must run inside SPI.
 */
Datum
tc_local_shard_ids(const char *table, bool *none)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtype = TEXTOID;
	Datum		name = CStringGetTextDatum(table);
	Datum		ids;

	*none = false;
	if (!tc_citus_loaded() || !OidIsValid(get_extension_oid("citus", true)))
		return (Datum) 0;
	if (tc_execute_kept(&plan, local_shard_ids_sql, 1, &argtype, &name, NULL,
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
 * "r"; name as regprocedure or regclass prints it; acl an aclitem[] as
 * text): read on the coordinator itself, or from a worker through Citus's
 * run_command_on_coordinator(), which runs it on a connection of its own
 * and so sees what the coordinator has committed.
 */
#define ACLS_SQL \
"SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.kind, o.name, o.acl))" \
"  FROM (SELECT 'n' AS kind, n.nspname::pg_catalog.text AS name," \
"               n.nspacl::pg_catalog.text AS acl" \
"          FROM pg_catalog.pg_namespace AS n" \
"         WHERE n.nspname = 'task_cancel' AND n.nspacl IS NOT NULL" \
"        UNION ALL" \
"        SELECT 'f', p.oid::pg_catalog.regprocedure::pg_catalog.text," \
"               p.proacl::pg_catalog.text" \
"          FROM pg_catalog.pg_proc AS p" \
"         WHERE p.pronamespace = 'task_cancel'::pg_catalog.regnamespace" \
"           AND p.proacl IS NOT NULL" \
"        UNION ALL" \
"        SELECT 'r', c.oid::pg_catalog.regclass::pg_catalog.text," \
"               c.relacl::pg_catalog.text" \
"          FROM pg_catalog.pg_class AS c" \
"         WHERE c.relnamespace = 'task_cancel'::pg_catalog.regnamespace" \
"           AND c.relkind IN ('r', 'v', 'p') AND c.relacl IS NOT NULL) AS o"

static const char *const local_acls_sql = ACLS_SQL;

static const char *const coordinator_acls_sql =
"SELECT r.success, r.result"
"  FROM pg_catalog.run_command_on_coordinator($1) AS r";

/*
 * The objects of that array that exist on this node, by oid (InvalidOid
 * for the schema), with each grantee's privileges on them; PUBLIC and the
 * owner's own entry left out.
 */
static const char *const grants_sql =
"SELECT o.kind, o.name,"
"       CASE o.kind WHEN 'f' THEN pg_catalog.to_regprocedure(o.name)::pg_catalog.oid"
"                   WHEN 'r' THEN pg_catalog.to_regclass(o.name)::pg_catalog.oid"
"                   ELSE 0 END,"
"       pg_catalog.lower(a.privilege_type), r.rolname"
"  FROM pg_catalog.json_array_elements($1::pg_catalog.json) AS e,"
"       LATERAL (SELECT e->>0 AS kind, e->>1 AS name, e->>2 AS acl) AS o,"
"       LATERAL pg_catalog.aclexplode(o.acl::pg_catalog.aclitem[]) AS a"
"  JOIN pg_catalog.pg_roles AS r ON r.oid = a.grantee"
" WHERE a.grantee <> a.grantor"
" ORDER BY 1, 2, 4, 5";

/* The shards of tasks placed on node group $1. */
static const char *const local_shards_sql =
"SELECT pg_catalog.shard_name(s.logicalrelid, s.shardid)::pg_catalog.regclass"
"  FROM pg_catalog.pg_dist_shard AS s"
"  JOIN pg_catalog.pg_dist_placement AS pl ON pl.shardid = s.shardid"
" WHERE s.logicalrelid = 'task_cancel.tasks'::pg_catalog.regclass"
"   AND pl.groupid = $1"
" ORDER BY s.shardid";

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
 * grant
 *		GRANT priv (lower case, as the parser makes it) ON objtype objects
 *		TO roles, as a statement node: no SQL
 *		text is made, and Citus, which sees only utility statements, does
 *		not propagate it (each node runs prepare_node() itself).
 */
static void
grant(ObjectType objtype, List *objects, const char *priv, List *roles)
{
	GrantStmt  *stmt = makeNode(GrantStmt);
	AccessPriv *ap = makeNode(AccessPriv);

	if (roles == NIL || objects == NIL)
		return;
	ap->priv_name = pstrdup(priv);
	stmt->is_grant = true;
	stmt->targtype = ACL_TARGET_OBJECT;
	stmt->objtype = objtype;
	stmt->objects = objects;
	stmt->privileges = list_make1(ap);
	stmt->grantees = roles;
	stmt->grant_option = false;
	stmt->behavior = DROP_RESTRICT;
	ExecuteGrantStmt(stmt);
}

/*
 * prepare_node() RETURNS void
 *		The part of distribute() that each node of a cluster runs for
 *		itself, through run_command_on_all_nodes():
 *
 *	- the id sequences of tasks and cancel_events move into this node's
 *	  range (file header);
 *	- every grant the coordinator has on the schema and on the functions,
 *	  tables and views in it is made here too: Citus does not propagate
 *	  grants on the objects an extension created, nor those made before
 *	  a table or function was distributed.  Grants only: a REVOKE on the
 *	  coordinator must be repeated on each node;
 *	- every role that may read past_tasks on the coordinator may read the
 *	  shards of tasks on this node: Citus checks a shard's privileges as
 *	  the calling role, not as the view's owner (citusdata/citus#1683).
 *	  Such a role connecting to a worker directly could read the waiting
 *	  tasks there too, as preview_cancel() shows them anyway.
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
	static SPIPlanPtr shards_plan = NULL;
	static SPIPlanPtr grants_plan = NULL;
	int32		group;
	bool		isnull;
	Datum		acls;
	bool		acls_null;
	Oid			json_type = TEXTOID;
	Oid			group_type = INT4OID;
	Datum		group_value;
	List	   *shards = NIL;
	SPITupleTable *shards_table;
	SPITupleTable *grants_table;
	uint64		n;
	uint64		i;

	if (!tc_citus_loaded() || !OidIsValid(get_extension_oid("citus", true)))
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
	if (group < 0 || group >= (1 << (63 - TC_GROUP_SHIFT)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Citus group id %d is too large for task_cancel's id ranges",
						group),
				 errdetail("Each node's ids start at its group id times 2^%d.",
						   TC_GROUP_SHIFT)));

	move_sequence("tasks", &tasks_max_plan, tasks_max_sql, group);
	move_sequence("cancel_events", &events_max_plan, events_max_sql, group);

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
	group_value = Int32GetDatum(group);
	n = tc_execute_kept(&shards_plan, local_shards_sql, 1, &group_type,
						&group_value, NULL, SPI_OK_SELECT);
	shards_table = SPI_tuptable;
	for (i = 0; i < n; i++)
		shards = lappend(shards,
						 grant_object("r",
									  DatumGetObjectId(SPI_getbinval(shards_table->vals[i],
																	 shards_table->tupdesc,
																	 1, &isnull))));

	/* one GRANT per object and privilege, to all its grantees */
	n = tc_execute_kept(&grants_plan, grants_sql, 1, &json_type, &acls, NULL,
						SPI_OK_SELECT);
	grants_table = SPI_tuptable;
	for (i = 0; i < n;)
	{
		TupleDesc	desc = grants_table->tupdesc;
		HeapTuple	first = grants_table->vals[i];
		char	   *kind = TextDatumGetCString(SPI_getbinval(first, desc, 1, &isnull));
		char	   *name = TextDatumGetCString(SPI_getbinval(first, desc, 2, &isnull));
		Datum		oid = SPI_getbinval(first, desc, 3, &isnull);
		bool		missing = isnull;
		char	   *priv = TextDatumGetCString(SPI_getbinval(first, desc, 4, &isnull));
		List	   *roles = NIL;

		for (; i < n; i++)
		{
			HeapTuple	row = grants_table->vals[i];
			RoleSpec   *role;

			if (strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 2, &isnull)), name) != 0 ||
				strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 4, &isnull)), priv) != 0 ||
				strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 1, &isnull)), kind) != 0)
				break;
			role = makeNode(RoleSpec);
			role->roletype = ROLESPEC_CSTRING;
			role->rolename = pstrdup(NameStr(*DatumGetName(SPI_getbinval(row, desc, 5, &isnull))));
			role->location = -1;
			roles = lappend(roles, role);
		}
		if (missing)
			continue;			/* not on this node (a shard elsewhere) */
		if (kind[0] == 'n')
			grant(OBJECT_SCHEMA, list_make1(makeString(name)), priv, roles);
		else
		{
			grant(kind[0] == 'f' ? OBJECT_FUNCTION : OBJECT_TABLE,
				  list_make1(grant_object(kind, DatumGetObjectId(oid))), priv,
				  roles);
			if (kind[0] == 'r' && strcmp(priv, "select") == 0 &&
				strcmp(name, "task_cancel.past_tasks") == 0)
				grant(OBJECT_TABLE, shards, priv, roles);
		}
	}
	SPI_finish();

	PG_RETURN_VOID();
}
