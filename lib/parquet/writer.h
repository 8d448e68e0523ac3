/*
 * parquet/writer.h - what the writer's files share: the written schema
 * (elements and leaves with their shredding paths) and the column writer.
 */
#ifndef ICE_PARQUET_WRITER_H
#define ICE_PARQUET_WRITER_H

#include "internal.h"

#define PQ_MAX_DEPTH 64

enum { PQ_STEP_STRUCT, PQ_STEP_LIST, PQ_STEP_MAP };

/* One step of the walk from the batch (a struct) to a leaf. STRUCT: to
 * child `child` of a struct array; LIST/MAP: over the elements of a list
 * (map: of its entries struct). `optional`: the node reached may be null
 * (for LIST: the elements). `rep`: repetition level of LIST/MAP elements. */
typedef struct pq_wstep {
	int kind;
	int child;
	bool optional;
	int16_t rep;
} pq_wstep;

typedef struct pq_wleaf {
	int type;
	int32_t type_length;
	const ice_type *iceberg;
	int32_t field_id;
	int16_t max_def, max_rep;
	bool under_repeated;
	int depth;
	pq_wstep steps[PQ_MAX_DEPTH];
	size_t npath;
	const char **path;
	const char *dotted;
} pq_wleaf;

typedef struct pq_wschema {
	pq_element *elements;
	size_t nelements;
	pq_wleaf *leaves;
	size_t nleaves;
} pq_wschema;

int ice_parquet__wschema_build(pq_wschema *out, const ice_type *schema, ice_arena *arena);

#endif
