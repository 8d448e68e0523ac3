/*
 * table/internal.h - what the files of lib/table share.
 */
#ifndef ICE_TABLE_INTERNAL_H
#define ICE_TABLE_INTERNAL_H

#include "ice/io.h"

/* Delete files after a failure without losing the error being reported
 * (a file already gone is fine). */
void ice_table__delete_files(const ice_io *io, const char *const *locations, size_t n);

#endif
