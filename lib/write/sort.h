/*
 * write/sort.h - ordering a batch's rows by a sort order (sort.c).
 */
#ifndef ICE_WRITE_SORT_H
#define ICE_WRITE_SORT_H

#include "ice/arrow.h"
#include "ice/partition_spec.h"
#include "ice/schema.h"

/* ICE_EINVALID when a field's source is not a primitive column of
 * `schema` outside lists and maps. */
int ice_sort__check(const ice_schema *schema, const ice_sort_order *order);

/*
 * The permutation that sorts `batch` (a struct array of `schema`'s fields,
 * `bschema` its Arrow schema): (*out)[i] is the row that goes i-th. Stable.
 * Free with ice__free.
 */
int ice_sort__permutation(int64_t **out, const ice_schema *schema, const ice_sort_order *order,
                          const struct ArrowArray *batch, const struct ArrowSchema *bschema);

#endif
