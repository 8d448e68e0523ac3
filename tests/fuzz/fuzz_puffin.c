/*
 * Fuzz target: a Puffin file from memory. The footer is parsed (magics,
 * flags, LZ4 payload, blob metadata), every blob is read (zstd and lz4
 * blobs decompressed), and deletion-vector blobs are decoded, serialized
 * again and decoded once more, which must give the same positions. Any
 * input may be rejected, none may crash, leak or read out of bounds, and
 * every error is one line.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"
#include "puffin/internal.h"

typedef struct mem_input {
	ice_input base;
	const uint8_t *data;
} mem_input;

static int mem_read_at(ice_input *in, uint64_t offset, void *dst, size_t len)
{
	mem_input *m = (mem_input *)in;
	if (offset > in->size || len > in->size - offset)
		return ice_error_set(ICE_EINVALID, "fuzz.puffin: unexpected end of file at offset %llu",
		                     (unsigned long long)offset);
	memcpy(dst, m->data + offset, len);
	return 0;
}

static void mem_close(ice_input *in)
{
	free(in);
}

static const ice_input_ops mem_ops = {mem_read_at, mem_close, NULL};

void fuzz_error_is_one_line(int rc);
void fuzz_check_vector(const uint8_t *data, size_t size, bool bare);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_puffin_reader *r;
	mem_input *m = calloc(1, sizeof(*m));
	if (!m)
		return 0;
	m->base.ops = &mem_ops;
	m->base.location = (char *)"fuzz.puffin";
	m->base.size = size;
	m->data = data;
	int rc = ice_puffin__reader_open_input(&r, &m->base, "fuzz.puffin");
	if (rc) {
		fuzz_error_is_one_line(rc);
		return 0;
	}
	for (size_t i = 0; i < ice_puffin_reader_blob_count(r); i++) {
		const ice_puffin_blob *b = ice_puffin_reader_blob(r, i);
		uint8_t *blob;
		size_t len;
		(void)ice_puffin_blob_property(b, "cardinality");
		if ((rc = ice_puffin_reader_read_blob(r, i, 1 << 24, &blob, &len)) != 0) {
			fuzz_error_is_one_line(rc);
			continue;
		}
		if (!strcmp(b->type, ICE_PUFFIN_DELETION_VECTOR_V1))
			fuzz_check_vector(blob, len, false);
		ice_free(blob);
	}
	ice_puffin_reader_free(r);
	return 0;
}
