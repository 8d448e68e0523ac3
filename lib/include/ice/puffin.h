/*
 * ice/puffin.h - Puffin files (puffin-spec.md) and deletion vectors.
 *
 * A Puffin file is `PFA1`, blobs, and a footer (`PFA1`, a JSON payload that
 * may be LZ4-framed, its length, flags, `PFA1`) describing each blob: type,
 * field ids, snapshot id, sequence number, offset, length, codec and
 * properties. The reader parses the footer once, checked against the file
 * size, and reads blobs on demand (zstd and lz4 blobs decompressed). The
 * writer streams blobs into a new file and writes the footer on close.
 *
 * Deletion vectors (`deletion-vector-v1` blobs, spec "Deletion Vectors")
 * are sets of deleted row positions: a big-endian length, the magic
 * D1 D3 39 64, a 64-bit "portable" Roaring bitmap (a count, then per
 * 32-bit key a standard 32-bit Roaring bitmap), and a big-endian CRC-32 of
 * magic and bitmap. Manifests address a vector by file, content_offset and
 * content_size_in_bytes, so readers need not parse the Puffin footer;
 * ice_deletion_vector_read() does exactly that, which also reads vectors
 * stored as bare blobs without a Puffin container (older writers did).
 *
 * Errors (ice/errors.h) are one line naming the file and the place in it:
 * "<file>: footer: offset 120: footer payload length 999 does not fit the
 * file", "<file>: blob at offset 4: deletion vector: CRC 0x... does not
 * match 0x...". ICE_EINVALID for malformed input, ICE_EUNSUPPORTED for a
 * compression codec or flag the spec does not define, ICE_ENOTFOUND for a
 * missing file. `**out` results belong to the caller and are released with
 * the matching _free (NULL is fine); accessors return borrowed pointers
 * valid as long as their parent.
 */
#ifndef ICE_PUFFIN_H
#define ICE_PUFFIN_H

#include "common.h"
#include "io.h"

ICE_BEGIN_DECL

/* The blob type of deletion vectors, and the field id they list (_pos). */
#define ICE_PUFFIN_DELETION_VECTOR_V1 "deletion-vector-v1"
#define ICE_PUFFIN_ROW_POSITION_FIELD_ID 2147483645

typedef struct ice_puffin_property {
	const char *key;
	const char *value;
} ice_puffin_property;

/* A blob's metadata (spec "BlobMetadata"). */
typedef struct ice_puffin_blob {
	const char *type;
	size_t nfields;
	const int32_t *fields;
	int64_t snapshot_id;
	int64_t sequence_number;
	int64_t offset;                /* where the blob's bytes start in the file */
	int64_t length;                /* stored bytes (after compression) */
	const char *compression_codec; /* NULL: uncompressed; "lz4" or "zstd" */
	size_t nproperties;
	const ice_puffin_property *properties;
} ice_puffin_blob;

/* The value of a blob property, or NULL. */
ICE_EXTERN const char *ice_puffin_blob_property(const ice_puffin_blob *blob, const char *key);

/* ---- reading ------------------------------------------------------------ */

typedef struct ice_puffin_reader ice_puffin_reader;

/*
 * Open a Puffin file and parse its footer: both magics, the payload length
 * and flags, the JSON (required members and their types, every blob's
 * range inside the blob area). `io` must outlive the reader.
 */
ICE_EXTERN int ice_puffin_reader_open(ice_puffin_reader **out, const ice_io *io, const char *location);
ICE_EXTERN void ice_puffin_reader_free(ice_puffin_reader *r);

ICE_EXTERN const char *ice_puffin_reader_location(const ice_puffin_reader *r);
ICE_EXTERN uint64_t ice_puffin_reader_file_size(const ice_puffin_reader *r);
ICE_EXTERN size_t ice_puffin_reader_blob_count(const ice_puffin_reader *r);
ICE_EXTERN const ice_puffin_blob *ice_puffin_reader_blob(const ice_puffin_reader *r, size_t i);
/* File-level properties (e.g. "created-by"). */
ICE_EXTERN size_t ice_puffin_reader_property_count(const ice_puffin_reader *r);
ICE_EXTERN const ice_puffin_property *ice_puffin_reader_property(const ice_puffin_reader *r, size_t i);

/*
 * The bytes of blob `i`, decompressed (at most `max_len` bytes after
 * decompression; 0 means 1 GiB). *data_out is allocated (free with
 * ice_free()); an empty blob gives a non-NULL pointer and length 0.
 */
ICE_EXTERN int ice_puffin_reader_read_blob(ice_puffin_reader *r, size_t i, size_t max_len, uint8_t **data_out,
                                           size_t *len_out);

/* ---- writing ------------------------------------------------------------ */

typedef struct ice_puffin_writer ice_puffin_writer;

/* Create `location` (exclusively: ICE_EEXISTS if it exists) and write the
 * leading magic. */
ICE_EXTERN int ice_puffin_writer_open(ice_puffin_writer **out, const ice_io *io, const char *location);

/* Set a file-level property (a later value for the same key wins). */
ICE_EXTERN int ice_puffin_writer_set_property(ice_puffin_writer *w, const char *key, const char *value);

/*
 * Append a blob: `meta` gives type, fields, snapshot id, sequence number,
 * codec (NULL, "lz4" or "zstd": the bytes are compressed here) and
 * properties; its offset and length are ignored. *offset_out and
 * *length_out (may be NULL) receive where the stored bytes are. Everything
 * is copied. ICE_EUNSUPPORTED for another codec; after an I/O failure the
 * writer can only be aborted.
 */
ICE_EXTERN int ice_puffin_writer_add(ice_puffin_writer *w, const ice_puffin_blob *meta, const uint8_t *data,
                                     size_t len, int64_t *offset_out, int64_t *length_out);

/*
 * Write the footer (its payload LZ4-framed when `compress_footer`), make
 * the file durable and visible, and free the writer whatever the result.
 * *file_size_out (may be NULL) receives the file's size. After a failure
 * nothing is left at the location.
 */
ICE_EXTERN int ice_puffin_writer_close(ice_puffin_writer *w, bool compress_footer, uint64_t *file_size_out);
/* Remove what was written and free the writer. NULL is fine. */
ICE_EXTERN void ice_puffin_writer_abort(ice_puffin_writer *w);

/* ---- deletion vectors ---------------------------------------------------- */

typedef struct ice_deletion_vector ice_deletion_vector;

/* An empty vector, to fill with ice_deletion_vector_add(). */
ICE_EXTERN int ice_deletion_vector_new(ice_deletion_vector **out);
ICE_EXTERN void ice_deletion_vector_free(ice_deletion_vector *dv);

/*
 * Decode a whole `deletion-vector-v1` blob: the length must cover exactly
 * the magic and the bitmap, the magic must match, the CRC must match, and
 * the bitmap must be well-formed (keys ascending and at most 2^31-1,
 * containers ascending, array values ascending, runs inside their
 * container, declared cardinalities true). `what` names the input in
 * messages (e.g. "<file>: blob at offset 4"); NULL: "deletion vector".
 */
ICE_EXTERN int ice_deletion_vector_decode(ice_deletion_vector **out, const uint8_t *blob, size_t len,
                                          const char *what);
/* Decode only the 64-bit portable Roaring bitmap (no length, magic, CRC). */
ICE_EXTERN int ice_deletion_vector_decode_bitmap(ice_deletion_vector **out, const uint8_t *data, size_t len,
                                                 const char *what);

/*
 * Read and decode the vector stored at [offset, offset + length) of
 * `location` (a delete file's file_path, content_offset and
 * content_size_in_bytes). Works for vectors inside Puffin files and for
 * bare vector blobs. ICE_ENOTFOUND when the file does not exist;
 * ICE_EINVALID when the range is outside the file or the blob is corrupt.
 */
ICE_EXTERN int ice_deletion_vector_read(ice_deletion_vector **out, const ice_io *io, const char *location,
                                        int64_t offset, int64_t length);

/* Add a position (0 <= pos < 2^63). ICE_EINVALID for a negative one. */
ICE_EXTERN int ice_deletion_vector_add(ice_deletion_vector *dv, int64_t pos);
/* Add every position of [start, end). */
ICE_EXTERN int ice_deletion_vector_add_range(ice_deletion_vector *dv, int64_t start, int64_t end);
/* Add every position of another vector. */
ICE_EXTERN int ice_deletion_vector_merge(ice_deletion_vector *dv, const ice_deletion_vector *other);

ICE_EXTERN int64_t ice_deletion_vector_cardinality(const ice_deletion_vector *dv);
ICE_EXTERN bool ice_deletion_vector_contains(const ice_deletion_vector *dv, int64_t pos);
/* The smallest position >= `from`, or -1 when there is none (iteration:
 * for (p = next(dv, 0); p >= 0; p = next(dv, p + 1))). */
ICE_EXTERN int64_t ice_deletion_vector_next(const ice_deletion_vector *dv, int64_t from);
/* Set bit p (LSB first) of `bits` for every position p < nbits. */
ICE_EXTERN void ice_deletion_vector_mark(const ice_deletion_vector *dv, uint8_t *bits, uint64_t nbits);

/*
 * The vector as a `deletion-vector-v1` blob (length, magic, bitmap, CRC),
 * with each container in its smallest form (array, bitmap or run), as the
 * reference implementation writes after run optimization. Allocated; free
 * with ice_free().
 */
ICE_EXTERN int ice_deletion_vector_serialize(const ice_deletion_vector *dv, uint8_t **out, size_t *len_out);

/*
 * Append the vector to a Puffin file as a `deletion-vector-v1` blob for
 * `referenced_data_file` (properties referenced-data-file and cardinality,
 * field _pos, snapshot id and sequence number -1, uncompressed). The
 * offset and length go into the delete file's content_offset and
 * content_size_in_bytes.
 */
ICE_EXTERN int ice_puffin_writer_add_deletion_vector(ice_puffin_writer *w, const ice_deletion_vector *dv,
                                                     const char *referenced_data_file, int64_t *offset_out,
                                                     int64_t *length_out);

ICE_END_DECL

#endif
