/*
 * spec/builder.h - the metadata builder's state, shared by
 * metadata_builder.c (lifecycle, recorded changes, build) and
 * metadata_updates.c (each table update with its validation).
 */
#ifndef ICE_SPEC_BUILDER_H
#define ICE_SPEC_BUILDER_H

#include "model.h"
#include "util/buf.h"

typedef struct change {
	size_t offset, len; /* into changes text */
} change;

struct ice_metadata_builder {
	const ice_table_metadata *base;
	ice_table_metadata *md; /* the working copy, owned until build() */
	bool creating;
	int64_t now_ms;
	bool now_set;
	bool last_updated_set; /* by an added snapshot */
	char *previous_location;
	bool has_last_added_schema, has_last_added_spec, has_last_added_order;
	int32_t last_added_schema, last_added_spec, last_added_order;
	/* whether the last added one is new in this builder (only then is it
	 * recorded as -1, which a catalog resolves to what it added) */
	bool new_schema, new_spec, new_order;
	int64_t *added_snapshots;
	size_t nadded_snapshots;
	bool removed_snapshots;
	ice_buf changes_text;
	change *changes;
	size_t nchanges;
};

typedef struct recorder {
	ice_metadata_builder *b;
	ice_json_writer w;
} recorder;

int64_t ice_builder__now(ice_metadata_builder *b);
int ice_builder__fail(int code, const char *fmt, ...) ICE_PRINTF(2, 3);
/* The error for an update after build(). */
int ice_builder__spent(void);
/* Recording an effective update: begin with its action, add members, end. */
void ice_builder__rec_begin(recorder *r, ice_metadata_builder *b, const char *action);
int ice_builder__rec_end(recorder *r);
/* Grows an arena array by one element (the old array stays in the arena). */
void *ice_builder__grow(ice_arena *a, void *arr, size_t n, size_t size);
ice_snapshot *ice_builder__find_snapshot(ice_table_metadata *md, int64_t id);
ice_ref *ice_builder__find_ref(ice_table_metadata *md, const char *name);
bool ice_builder__was_added(const ice_metadata_builder *b, int64_t id);

#endif
