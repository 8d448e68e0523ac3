/*
 * table/new_snapshot.c - a new snapshot's manifest list, opened and closed
 * the same way by every snapshot producer (new_snapshot.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "new_snapshot.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"

char *ice_table__metadata_file(const ice_table_metadata *md, const char *name)
{
	char *dir = ice_uri__join(ice_table_metadata_location(md), "metadata");
	char *loc = dir ? ice_uri__join(dir, name) : NULL;
	ice__free(dir);
	return loc;
}

int ice_table__new_list_open(ice_new_list *nl, ice_commit_ctx *ctx, const ice_table_metadata *base, const ice_io *io,
                             int64_t snapshot_id, const char *uuid, const ice_snapshot *parent)
{
	ice_manifest_list_writer_options lo;
	char name[160];
	int rc;
	memset(nl, 0, sizeof(*nl));
	if ((rc = ice_table__check_idempotency(ctx, base, parent)) != 0)
		return rc;
	nl->snapshot_id = snapshot_id;
	nl->parent = parent;
	nl->format_version = ice_table_metadata_format_version(base);
	snprintf(name, sizeof(name), "snap-%" PRId64 "-%d-%s.avro", snapshot_id, ice_commit_attempt(ctx) + 1, uuid);
	if (!(nl->location = ice_table__metadata_file(base, name)))
		return ICE_ERROR;
	ice_manifest_list_writer_options_init(&lo);
	lo.format_version = nl->format_version;
	lo.snapshot_id = snapshot_id;
	lo.has_parent_snapshot_id = parent != NULL;
	lo.parent_snapshot_id = parent ? parent->snapshot_id : 0;
	int64_t last = ice_table_metadata_last_sequence_number(base);
	if (nl->format_version >= 2 && __builtin_add_overflow(last, 1, &lo.sequence_number))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "last-sequence-number is %lld: no sequence number is left for a new snapshot",
		                      (long long)last);
	nl->sequence_number = lo.sequence_number;
	if (nl->format_version >= 3) {
		ice_table_metadata_next_row_id(base, &nl->first_row_id);
		lo.has_first_row_id = true;
		lo.first_row_id = nl->first_row_id;
	}
	if ((rc = ice_manifest_list_writer_open(&nl->writer, io, nl->location, &lo)) != 0) {
		nl->writer = NULL;
		return rc;
	}
	if ((rc = ice_commit_track_file(ctx, nl->location)) != 0) {
		ice_manifest_list_writer_abort(nl->writer);
		nl->writer = NULL;
	}
	return rc;
}

int ice_table__new_list_close(ice_new_list *nl, const ice_table_metadata *base, ice_snapshot *snap)
{
	struct timespec ts;
	int64_t next_row_id = 0;
	int rc = ice_manifest_list_writer_close(nl->writer, &next_row_id);
	nl->writer = NULL;
	if (rc)
		return rc;
	memset(snap, 0, sizeof(*snap));
	snap->snapshot_id = nl->snapshot_id;
	snap->has_parent = nl->parent != NULL;
	snap->parent_snapshot_id = nl->parent ? nl->parent->snapshot_id : 0;
	snap->sequence_number = nl->sequence_number;
	clock_gettime(CLOCK_REALTIME, &ts);
	snap->timestamp_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (snap->timestamp_ms <= ice_table_metadata_last_updated_ms(base))
		snap->timestamp_ms = ice_table_metadata_last_updated_ms(base) + 1;
	snap->manifest_list = nl->location;
	snap->has_schema_id = true;
	snap->schema_id = ice_schema_id(ice_table_metadata_current_schema(base));
	if (nl->format_version >= 3) {
		snap->has_first_row_id = true;
		snap->first_row_id = nl->first_row_id;
		snap->has_added_rows = true;
		snap->added_rows = next_row_id - nl->first_row_id;
	}
	return 0;
}

void ice_table__new_list_free(ice_new_list *nl)
{
	if (nl->writer)
		ice_manifest_list_writer_abort(nl->writer);
	ice__free(nl->location);
	memset(nl, 0, sizeof(*nl));
}
