/*
 * Fuzz target: the XML S3 answers with, as ice_s3_xml__parse reads it
 * (errors, ListObjectsV2 pages, multipart upload ids, DeleteObjects
 * results). A document that parses is a tree of named elements no deeper
 * than the limit, whose text is what a reader gets back; the accessors
 * find what is there. Seeds: tests/fuzz/corpus/s3-xml.
 */
#include <string.h>

#include "fuzz.h"
#include "io/s3.h"
#include "util/arena.h"
#include "util/error.h"

static size_t walk(const ice_s3_xml *n, int depth)
{
	size_t count = 1;
	FUZZ_ASSERT(depth <= 40);
	FUZZ_ASSERT(n->name && n->name[0] && !strchr(n->name, ':'));
	FUZZ_ASSERT(n->text && strlen(n->text) <= n->text_len);
	if (n->children)
		FUZZ_ASSERT(n->text[0] == '\0');
	for (const ice_s3_xml *c = n->children; c; c = c->next) {
		FUZZ_ASSERT(ice_s3_xml__child(n, c->name) != NULL);
		count += walk(c, depth + 1);
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_arena arena;
	ice_s3_xml *root = NULL;
	ice_arena__init(&arena, 4096);
	if (ice_s3_xml__parse(&root, &arena, (const char *)data, size, "fuzz") == 0) {
		FUZZ_ASSERT(root != NULL);
		FUZZ_ASSERT(walk(root, 0) <= 200001);
		(void)ice_s3_xml__text(root, "Code");
		(void)ice_s3_xml__text(root, "NextContinuationToken");
	} else {
		FUZZ_ASSERT(root == NULL);
	}
	ice_arena__free(&arena);
	ice_error_clear();
	return 0;
}
