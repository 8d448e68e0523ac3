/*
 * manifest/manifest_schema.h - the field tables ice writes manifests and
 * manifest lists from (see manifest_schema.c).
 */
#ifndef ICE_MANIFEST_SCHEMA_H
#define ICE_MANIFEST_SCHEMA_H

#include "internal.h"

/* What v1 writers put in the deprecated block_size_in_bytes (64 MiB). */
#define ICE_MANIFEST_V1_BLOCK_SIZE 67108864

enum { ICE_WREC_ENTRY, ICE_WREC_DATA_FILE, ICE_WREC_LIST, ICE_WREC_SUMMARY };

enum {
	W_INT,
	W_LONG,
	W_BOOL,
	W_STRING,
	W_BYTES,
	W_COUNTS,    /* map<int, long> as an array of key/value records */
	W_BOUNDS,    /* map<int, binary> */
	W_LONG_LIST,
	W_INT_LIST,
	W_SUMMARIES, /* list<field_summary> */
	W_PARTITION, /* the partition struct of the spec */
	W_RECORD,    /* data_file */
};

typedef struct ice_manifest_wfield {
	int32_t id;
	const char *name;
	int kind;
	unsigned versions; /* bit v set: the field exists in format version v */
	unsigned required; /* bit v set: required in version v */
	int32_t key_id, value_id; /* maps: key and value ids; lists: element id */
	const char *doc;
} ice_manifest_wfield;

const ice_manifest_wfield *ice_manifest__wfields(int record, size_t *n);

static inline bool ice_manifest__wfield_in(const ice_manifest_wfield *f, int version)
{
	return (f->versions >> version) & 1u;
}

static inline bool ice_manifest__wfield_required(const ice_manifest_wfield *f, int version)
{
	return (f->required >> version) & 1u;
}

/* A partition field name as an Avro name (the reference implementation's
 * sanitizing: invalid characters become _x<HEX>, a leading digit _<digit>). */
const char *ice_manifest__avro_name(ice_arena *arena, const char *name);

#endif
