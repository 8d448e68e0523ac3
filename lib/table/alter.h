/*
 * table/alter.h - what the files of an alter share (alter.c records the
 * changes and commits them; update_schema.c applies the column changes,
 * update_spec.c the partition changes).
 */
#ifndef ICE_TABLE_ALTER_H
#define ICE_TABLE_ALTER_H

#include "ice/update.h"

typedef enum alter_kind {
	ALTER_ADD_COLUMN,      /* value: the definition after the parent; name: the parent path or NULL */
	ALTER_RENAME_COLUMN,   /* name -> value */
	ALTER_DROP_COLUMN,     /* name */
	ALTER_MOVE_COLUMN,     /* name, position, ref */
	ALTER_WIDEN_COLUMN,    /* name, value: the type */
	ALTER_MAKE_OPTIONAL,   /* name */
	ALTER_MAKE_REQUIRED,   /* name */
	ALTER_SET_DOC,         /* name, value (NULL: remove) */
	ALTER_SET_DEFAULT,     /* name, value (NULL: remove) */
	ALTER_SET_IDENTIFIER,  /* names */
	ALTER_ADD_PARTITION,   /* value: the expression */
	ALTER_DROP_PARTITION,  /* name */
	ALTER_RENAME_PARTITION, /* name -> value */
	ALTER_SET_SORT_ORDER,  /* value */
	ALTER_SET_PROPERTY,    /* name = value */
	ALTER_REMOVE_PROPERTY, /* name */
	ALTER_FORMAT_VERSION,  /* version */
} alter_kind;

typedef struct alter_change {
	alter_kind kind;
	char *name;
	char *value;
	ice_column_position position;
	char *ref;
	char **names;
	size_t nnames;
	int version;
} alter_change;

struct ice_alter {
	alter_change *changes;
	size_t n;
	bool allow_incompatible;
};

/* The changes' wording in messages: "alter: drop column 'x': ...". */
const char *ice_alter__describe(const alter_change *c, char *buf, size_t cap);

/*
 * The current schema of `base` with every column change applied, for a
 * table of `format_version` (the version after the alter's upgrade): *out
 * is NULL when they change nothing, else a new schema (caller frees).
 */
int ice_alter__schema(ice_schema **out, const ice_alter *alter, const ice_table_metadata *base,
                      int format_version);

/*
 * The default spec of `base` with every partition change applied, over
 * `schema` (the new current schema): *out is NULL when they change
 * nothing, else a new spec (caller frees).
 */
int ice_alter__spec(ice_partition_spec **out, const ice_alter *alter, const ice_table_metadata *base,
                    const ice_schema *schema, int format_version);

#endif
