/*
 * Fuzz target: what HTTP servers send back, as the client parses it. The
 * input is a response head split into lines the way curl hands them over
 * (ice_http__head_line), then every header value is also read as a
 * Content-Range, a Retry-After and a date, and percent-decoded. A head that parses
 * has a status in 100..999, names and values without line breaks, and no
 * more headers or bytes than its limits.
 */
#include <string.h>

#include "fuzz.h"
#include "io/http.h"
#include "util/buf.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_http_head head;
	const char *p = (const char *)data, *end = p + size;
	int rc = 0;
	memset(&head, 0, sizeof(head));
	head.what = "fuzz";
	head.max_bytes = 4096;
	head.max_headers = 32;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		rc = ice_http__head_line(&head, p, n);
		p += n;
	}
	if (!rc && head.status) {
		FUZZ_ASSERT(head.status >= 100 && head.status <= 999);
		FUZZ_ASSERT(head.headers.n <= 32 && head.bytes <= 4096);
	}
	for (size_t i = 0; i < head.headers.n; i++) {
		const ice_http_header *h = &head.headers.items[i];
		uint64_t first, last, total;
		FUZZ_ASSERT(!strchr(h->name, '\n') && !strchr(h->value, '\n') && !strchr(h->value, '\r'));
		FUZZ_ASSERT(ice_http_headers__get(&head.headers, h->name) != NULL);
		if (ice_http__parse_content_range(h->value, &first, &last, &total) == 0)
			FUZZ_ASSERT(first <= last && (total == UINT64_MAX || last < total));
		int64_t ms = ice_http__parse_retry_after(h->value);
		FUZZ_ASSERT(ms >= -1 && ms <= 86400000);
		int64_t date = ice_http__parse_date(h->value);
		FUZZ_ASSERT(date >= 0 && date < (int64_t)253402300800 * 1000);
		ice_buf b = ICE_BUF_INIT;
		if (ice_http__url_decode(&b, h->value, strlen(h->value)) == 0)
			FUZZ_ASSERT(b.len <= strlen(h->value));
		ice_buf__free(&b);
	}
	ice_http_headers__free(&head.headers);
	ice_error_clear();
	return 0;
}
