/*
 * puffin/internal.h - what lib/puffin's files share, and the entry point
 * the fuzz target uses to read a Puffin file from memory.
 */
#ifndef ICE_PUFFIN_INTERNAL_H
#define ICE_PUFFIN_INTERNAL_H

#include "ice/puffin.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/compress.h"
#include "util/error.h"

/* Open a reader over an already open input (taken over; closed on error). */
int ice_puffin__reader_open_input(ice_puffin_reader **out, ice_input *in, const char *location);

/* The largest position a vector holds, or -1 when it is empty. */
int64_t ice_deletion_vector__last(const ice_deletion_vector *dv);

#endif
