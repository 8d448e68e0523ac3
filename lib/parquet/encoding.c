/*
 * parquet/encoding.c - Parquet's integer encodings (Parquet "Encodings"):
 * the RLE / bit-packed hybrid used for levels, dictionary indices and
 * booleans, the deprecated BIT_PACKED levels, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY decoding, and the RLE
 * encoder the writer uses.
 *
 * Decoders work on whole runs: bit-packed runs are unpacked eight values at
 * a time from 64-bit loads, RLE runs are filled with a loop the compiler
 * vectorizes. Every read is bounded by the page buffer; a run that claims
 * more than the page holds is an error, never an overread.
 */
#include "internal.h"

/* ---- bit unpacking -------------------------------------------------------- */

/* Unpack n values of bw bits, LSB first, starting `bit_off` bits into
 * data, reading nothing at or past data[nbytes] (missing bits are zero). */
void ice_parquet__unpack32(const uint8_t *data, size_t nbytes, size_t bit_off, int bw, uint32_t *out, size_t n)
{
	if (bw == 0) {
		memset(out, 0, n * sizeof(uint32_t));
		return;
	}
	const uint64_t mask = bw == 32 ? 0xffffffffu : ((uint64_t)1 << bw) - 1;
	size_t i = 0;
	size_t bit = bit_off;
	/* Fast path: a 64-bit load covers any value of <= 32 bits at any bit
	 * offset, as long as 8 bytes are readable. */
	if (nbytes >= 8) {
		size_t limit = (nbytes - 8) * 8; /* last start bit with 8 readable bytes */
		for (; i < n && bit <= limit; i++, bit += (size_t)bw)
			out[i] = (uint32_t)((pq_load64(data + (bit >> 3)) >> (bit & 7)) & mask);
	}
	for (; i < n; i++, bit += (size_t)bw) {
		uint64_t v = 0;
		size_t byte = bit >> 3;
		int shift = (int)(bit & 7);
		int need = (shift + bw + 7) / 8;
		for (int k = 0; k < need && byte + (size_t)k < nbytes; k++)
			v |= (uint64_t)data[byte + (size_t)k] << (8 * k);
		out[i] = (uint32_t)((v >> shift) & mask);
	}
}

/* ---- RLE / bit-packed hybrid --------------------------------------------- */

void ice_parquet__rle_init(pq_rle *d, const uint8_t *data, size_t len, int bit_width)
{
	memset(d, 0, sizeof(*d));
	d->p = data;
	d->end = data + len;
	d->bit_width = bit_width;
}

static int uleb(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Start the next run. */
static int next_run(pq_rle *d, const char **what)
{
	uint64_t h;
	if (uleb(&d->p, d->end, &h)) {
		*what = "RLE/bit-packed data ends early";
		return -1;
	}
	if (h & 1) {
		uint64_t groups = h >> 1;
		size_t avail = (size_t)(d->end - d->p);
		size_t bytes = d->bit_width ? (size_t)groups * (size_t)d->bit_width : 0;
		if (groups == 0 || groups > (1u << 26)) {
			*what = "bad bit-packed run length";
			return -1;
		}
		/* Writers may end the data inside the last run's padding. */
		uint64_t values = groups * 8;
		if (bytes > avail) {
			values = (uint64_t)avail * 8 / (uint64_t)d->bit_width;
			if (values == 0) {
				*what = "bit-packed run longer than the data";
				return -1;
			}
		}
		d->bp_left = (uint32_t)values;
		d->bp = d->p;
		d->bp_pos = 0;
		d->bp_bytes = bytes > avail ? avail : bytes;
		d->p += d->bp_bytes;
	} else {
		uint64_t count = h >> 1;
		int nbytes = (d->bit_width + 7) / 8;
		if (count == 0 || count > UINT32_MAX) {
			*what = "bad RLE run length";
			return -1;
		}
		if (d->end - d->p < nbytes) {
			*what = "RLE run value beyond the data";
			return -1;
		}
		uint32_t v = 0;
		for (int i = 0; i < nbytes; i++)
			v |= (uint32_t)d->p[i] << (8 * i);
		d->p += nbytes;
		if (d->bit_width < 32 && (v >> d->bit_width) != 0) {
			*what = "RLE run value wider than the bit width";
			return -1;
		}
		d->rle_left = (uint32_t)count;
		d->rle_value = v;
	}
	return 0;
}

int ice_parquet__rle_u32(pq_rle *d, uint32_t *out, size_t n, const char **what)
{
	size_t i = 0;
	if (d->bit_width == 0) {
		/* Everything is zero; no bytes are needed. */
		memset(out, 0, n * sizeof(uint32_t));
		return 0;
	}
	while (i < n) {
		if (d->rle_left) {
			size_t k = d->rle_left < n - i ? d->rle_left : n - i;
			uint32_t v = d->rle_value;
			for (size_t j = 0; j < k; j++)
				out[i + j] = v;
			i += k;
			d->rle_left -= (uint32_t)k;
			continue;
		}
		if (d->bp_left) {
			size_t k = d->bp_left < n - i ? d->bp_left : n - i;
			ice_parquet__unpack32(d->bp, d->bp_bytes, (size_t)d->bp_pos * (size_t)d->bit_width, d->bit_width,
			                      out + i, k);
			d->bp_pos += (uint32_t)k;
			d->bp_left -= (uint32_t)k;
			i += k;
			continue;
		}
		if (next_run(d, what))
			return -1;
	}
	return 0;
}

int ice_parquet__rle_i16(pq_rle *d, int16_t *out, size_t n, const char **what)
{
	uint32_t tmp[512];
	size_t i = 0;
	while (i < n) {
		if (d->rle_left) {
			size_t k = d->rle_left < n - i ? d->rle_left : n - i;
			int16_t v = (int16_t)d->rle_value;
			for (size_t j = 0; j < k; j++)
				out[i + j] = v;
			i += k;
			d->rle_left -= (uint32_t)k;
			continue;
		}
		size_t k = n - i < 512 ? n - i : 512;
		if (d->bp_left && d->bp_left < k)
			k = d->bp_left;
		if (!d->bp_left && d->bit_width) {
			if (next_run(d, what))
				return -1;
			continue;
		}
		if (ice_parquet__rle_u32(d, tmp, k, what))
			return -1;
		for (size_t j = 0; j < k; j++)
			out[i + j] = (int16_t)tmp[j];
		i += k;
	}
	return 0;
}

int ice_parquet__bitpacked_msb_i16(const uint8_t *data, size_t len, int bw, int16_t *out, size_t n)
{
	size_t need = (n * (size_t)bw + 7) / 8;
	if (need > len)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = 0;
		for (int b = 0; b < bw; b++) {
			size_t bit = i * (size_t)bw + (size_t)b;
			v = (v << 1) | ((data[bit / 8] >> (7 - (bit % 8))) & 1);
		}
		out[i] = (int16_t)v;
	}
	return 0;
}

/* ---- variable-length value buffers ------------------------------------------ */

void ice_parquet__bytes_init(pq_bytes *b)
{
	ice_buf__init(&b->offsets, 0);
	ice_buf__init(&b->data, 0);
	b->n = 0;
}

void ice_parquet__bytes_clear(pq_bytes *b)
{
	ice_buf__clear(&b->offsets);
	ice_buf__clear(&b->data);
	b->n = 0;
}

void ice_parquet__bytes_free(pq_bytes *b)
{
	ice_buf__free(&b->offsets);
	ice_buf__free(&b->data);
	b->n = 0;
}

/* Room for n more values and `data` more bytes; the first offset (0) is
 * written on first use. */
int ice_parquet__bytes_reserve(pq_bytes *b, size_t n, size_t data)
{
	int rc;
	if (b->offsets.len == 0) {
		int32_t zero = 0;
		if ((rc = ice_buf__put(&b->offsets, &zero, 4)) != 0)
			return rc;
	}
	if ((rc = ice_buf__grow(&b->offsets, n * 4)) != 0)
		return rc;
	return ice_buf__grow(&b->data, data);
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------- */

int ice_parquet__delta_decode(const uint8_t *data, size_t len, bool is32, size_t max_values, ice_buf *out,
                              size_t *count_out, size_t *consumed_out, const char **what)
{
	const uint8_t *p = data, *end = data + len;
	uint64_t block_size, miniblocks, total, first_zz;
	if (uleb(&p, end, &block_size) || uleb(&p, end, &miniblocks) || uleb(&p, end, &total) ||
	    uleb(&p, end, &first_zz)) {
		*what = "DELTA_BINARY_PACKED header ends early";
		return -1;
	}
	if (block_size == 0 || block_size % 128 != 0 || miniblocks == 0 || block_size % miniblocks != 0 ||
	    (block_size / miniblocks) % 32 != 0 || block_size > (1u << 20)) {
		*what = "bad DELTA_BINARY_PACKED block size";
		return -1;
	}
	if (total > max_values) {
		*what = "DELTA_BINARY_PACKED holds more values than the page";
		return -1;
	}
	size_t width = is32 ? 4 : 8;
	int rc = ice_buf__grow(out, (size_t)total * width);
	if (rc)
		return rc;
	uint8_t *dst = (uint8_t *)out->ptr + out->len;
	uint64_t value = (first_zz >> 1) ^ (uint64_t)-(int64_t)(first_zz & 1);
	size_t n = 0;
	size_t per_mini = (size_t)(block_size / miniblocks);
	uint32_t unpacked[1024];
	uint64_t *deltas64 = NULL;
	(void)deltas64;
	if (total > 0) {
		if (is32) {
			uint32_t v32 = (uint32_t)value;
			memcpy(dst, &v32, 4);
		} else {
			memcpy(dst, &value, 8);
		}
		n = 1;
	}
	while (n < total) {
		uint64_t min_zz;
		if (uleb(&p, end, &min_zz)) {
			*what = "DELTA_BINARY_PACKED block ends early";
			return -1;
		}
		uint64_t min_delta = (min_zz >> 1) ^ (uint64_t)-(int64_t)(min_zz & 1);
		if ((uint64_t)(end - p) < miniblocks) {
			*what = "DELTA_BINARY_PACKED bit widths beyond the data";
			return -1;
		}
		const uint8_t *widths = p;
		p += miniblocks;
		for (uint64_t m = 0; m < miniblocks && n < total; m++) {
			int bw = widths[m];
			if (bw > 64) {
				*what = "DELTA_BINARY_PACKED bit width over 64";
				return -1;
			}
			size_t bytes = per_mini * (size_t)bw / 8;
			size_t k = per_mini < total - n ? per_mini : (size_t)(total - n);
			size_t need = (k * (size_t)bw + 7) / 8;
			if ((size_t)(end - p) < need) {
				*what = "DELTA_BINARY_PACKED miniblock beyond the data";
				return -1;
			}
			if (bw <= 32 && per_mini <= 1024) {
				ice_parquet__unpack32(p, (size_t)(end - p), 0, bw, unpacked, k);
				if (is32) {
					uint32_t v = (uint32_t)value, md = (uint32_t)min_delta;
					uint32_t *o = (uint32_t *)(void *)(dst) + n;
					for (size_t j = 0; j < k; j++) {
						v += md + unpacked[j];
						memcpy(&o[j], &v, 4);
					}
					value = v;
				} else {
					uint8_t *o = dst + n * 8;
					for (size_t j = 0; j < k; j++) {
						value += min_delta + unpacked[j];
						memcpy(o + j * 8, &value, 8);
					}
				}
			} else {
				for (size_t j = 0; j < k; j++) {
					uint64_t d = 0;
					for (int b = 0; b < bw; b++) {
						size_t bit = j * (size_t)bw + (size_t)b;
						d |= (uint64_t)((p[bit / 8] >> (bit % 8)) & 1) << b;
					}
					value += min_delta + d;
					if (is32) {
						uint32_t v32 = (uint32_t)value;
						memcpy(dst + (n + j) * 4, &v32, 4);
					} else {
						memcpy(dst + (n + j) * 8, &value, 8);
					}
				}
			}
			n += k;
			/* The last miniblock may be cut short by the end of the data. */
			p += bytes <= (size_t)(end - p) ? bytes : (size_t)(end - p);
		}
	}
	out->len += (size_t)total * width;
	*count_out = (size_t)total;
	*consumed_out = (size_t)(p - data);
	return 0;
}

int ice_parquet__dlba_decode(const uint8_t *data, size_t len, size_t n, pq_bytes *out, const char **what)
{
	ice_buf lens;
	size_t count, used;
	int rc;
	ice_buf__init(&lens, 0);
	if ((rc = ice_parquet__delta_decode(data, len, true, n, &lens, &count, &used, what)) != 0)
		goto done;
	if (count != n) {
		*what = "DELTA_LENGTH_BYTE_ARRAY holds a different number of values than the page";
		rc = -1;
		goto done;
	}
	const int32_t *l = (const int32_t *)(void *)lens.ptr;
	const uint8_t *p = data + used;
	size_t left = len - used, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (l[i] < 0 || (size_t)l[i] > left - total) {
			*what = "DELTA_LENGTH_BYTE_ARRAY lengths exceed the data";
			rc = -1;
			goto done;
		}
		total += (size_t)l[i];
	}
	if ((rc = ice_parquet__bytes_reserve(out, n, total)) != 0)
		goto done;
	int32_t *off = pq_offsets(out) + out->n;
	int32_t base = off[0];
	if ((size_t)base + total > INT32_MAX) {
		*what = "values exceed 2 GiB in one batch";
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		base += l[i];
		off[i + 1] = base;
	}
	memcpy(out->data.ptr + out->data.len, p, total);
	out->data.len += total;
	out->offsets.len += n * 4;
	out->n += n;
done:
	ice_buf__free(&lens);
	return rc;
}

int ice_parquet__dba_decode(const uint8_t *data, size_t len, size_t n, pq_bytes *out, const char **what)
{
	ice_buf prefixes;
	pq_bytes suffixes;
	size_t count, used;
	int rc;
	ice_buf__init(&prefixes, 0);
	ice_parquet__bytes_init(&suffixes);
	if ((rc = ice_parquet__delta_decode(data, len, true, n, &prefixes, &count, &used, what)) != 0)
		goto done;
	if (count != n) {
		*what = "DELTA_BYTE_ARRAY holds a different number of values than the page";
		rc = -1;
		goto done;
	}
	if ((rc = ice_parquet__dlba_decode(data + used, len - used, n, &suffixes, what)) != 0)
		goto done;
	const int32_t *pre = (const int32_t *)(void *)prefixes.ptr;
	const int32_t *so = pq_offsets(&suffixes);
	size_t prev_start = 0, prev_len = 0;
	for (size_t i = 0; i < n; i++) {
		int32_t pl = pre[i];
		size_t sl = (size_t)(so[i + 1] - so[i]);
		if (pl < 0 || (size_t)pl > prev_len) {
			*what = "DELTA_BYTE_ARRAY prefix longer than the previous value";
			rc = -1;
			goto done;
		}
		if ((rc = ice_parquet__bytes_reserve(out, 1, (size_t)pl + sl)) != 0)
			goto done;
		size_t start = out->data.len;
		/* prefix from the previous value (already in out), then the suffix */
		memmove(out->data.ptr + start, out->data.ptr + prev_start, (size_t)pl);
		memcpy(out->data.ptr + start + pl, suffixes.data.ptr + so[i], sl);
		out->data.len += (size_t)pl + sl;
		if (out->data.len > INT32_MAX) {
			*what = "values exceed 2 GiB in one batch";
			rc = -1;
			goto done;
		}
		int32_t *off = pq_offsets(out);
		off[out->n + 1] = (int32_t)out->data.len;
		out->offsets.len += 4;
		out->n++;
		prev_start = start;
		prev_len = (size_t)pl + sl;
	}
done:
	ice_buf__free(&prefixes);
	ice_parquet__bytes_free(&suffixes);
	return rc;
}

/* ---- RLE encoder ------------------------------------------------------------ */

/*
 * Runs of 8 or more equal values become RLE runs; everything else goes into
 * bit-packed runs of groups of 8. `pending` holds up to 8 values not yet
 * committed; a bit-packed run stays open (its header patched at the end) so
 * consecutive literal groups share one header.
 */
void ice_parquet__rle_enc_init(pq_rle_enc *e, ice_buf *out, int bit_width)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->bit_width = bit_width;
	e->bp_header_pos = SIZE_MAX;
}

static void put_uleb(ice_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	int n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	ice_buf__put(b, tmp, (size_t)n);
}

static void close_bp(pq_rle_enc *e)
{
	if (e->bp_header_pos == SIZE_MAX)
		return;
	/* The header was reserved as one byte: up to 63 groups fit. */
	e->out->ptr[e->bp_header_pos] = (char)((e->bp_groups << 1) | 1);
	e->bp_header_pos = SIZE_MAX;
	e->bp_groups = 0;
}

static void write_group(pq_rle_enc *e, const uint32_t *v)
{
	if (e->bp_header_pos == SIZE_MAX) {
		if (e->out->error)
			return;
		e->bp_header_pos = e->out->len;
		ice_buf__putc(e->out, 0);
	}
	int bw = e->bit_width;
	uint8_t *dst = ice_buf__reserve(e->out, (size_t)bw);
	if (!dst)
		return;
	uint64_t acc = 0;
	int nbits = 0;
	size_t o = 0;
	for (int i = 0; i < 8; i++) {
		acc |= (uint64_t)v[i] << nbits;
		nbits += bw;
		while (nbits >= 8) {
			dst[o++] = (uint8_t)acc;
			acc >>= 8;
			nbits -= 8;
		}
	}
	if (++e->bp_groups == 63)
		close_bp(e);
}

static void write_rle_run(pq_rle_enc *e, uint32_t v, uint64_t n)
{
	close_bp(e);
	put_uleb(e->out, n << 1);
	int nbytes = (e->bit_width + 7) / 8;
	for (int i = 0; i < nbytes; i++)
		ice_buf__putc(e->out, (char)(v >> (8 * i)));
}

/* Commit the current run (if long) or move it into pending. */
static void settle_run(pq_rle_enc *e)
{
	if (e->run_len >= 8 && e->npending == 0) {
		write_rle_run(e, e->run_value, e->run_len);
		e->run_len = 0;
		return;
	}
	while (e->run_len > 0) {
		e->pending[e->npending++] = e->run_value;
		e->run_len--;
		if (e->npending == 8) {
			write_group(e, e->pending);
			e->npending = 0;
			if (e->run_len >= 8) {
				write_rle_run(e, e->run_value, e->run_len);
				e->run_len = 0;
			}
		}
	}
}

void ice_parquet__rle_enc_put_run(pq_rle_enc *e, uint32_t v, size_t n)
{
	if (n == 0)
		return;
	if (e->run_len > 0 && v == e->run_value) {
		e->run_len += (uint32_t)n;
		return;
	}
	settle_run(e);
	e->run_value = v;
	e->run_len = (uint32_t)n;
}

void ice_parquet__rle_enc_put(pq_rle_enc *e, uint32_t v)
{
	if (e->run_len > 0 && v == e->run_value) {
		e->run_len++;
		return;
	}
	if (e->run_len)
		settle_run(e);
	e->run_value = v;
	e->run_len = 1;
}

void ice_parquet__rle_enc_flush(pq_rle_enc *e)
{
	if (e->run_len >= 8 && e->npending == 0) {
		write_rle_run(e, e->run_value, e->run_len);
		e->run_len = 0;
	}
	settle_run(e);
	if (e->npending) {
		/* Pad the last group with zeros; readers stop at the value count. */
		while (e->npending < 8)
			e->pending[e->npending++] = 0;
		write_group(e, e->pending);
		e->npending = 0;
	}
	close_bp(e);
}

/* ---- bulk RLE / bit-packed hybrid encoding ------------------------------------ */

static void put_literals(ice_buf *out, const uint32_t *v, size_t n, int bw)
{
	/* n is a multiple of 8 except for the final group, padded with zeros */
	size_t groups = (n + 7) / 8;
	put_uleb(out, ((uint64_t)groups << 1) | 1);
	uint8_t *dst = ice_buf__reserve(out, groups * (size_t)bw);
	if (!dst)
		return;
	uint64_t acc = 0;
	int nbits = 0;
	size_t o = 0;
	for (size_t i = 0; i < groups * 8; i++) {
		acc |= (uint64_t)(i < n ? v[i] : 0) << nbits;
		nbits += bw;
		while (nbits >= 8) {
			dst[o++] = (uint8_t)acc;
			acc >>= 8;
			nbits -= 8;
		}
	}
}

static void put_run(ice_buf *out, uint32_t v, size_t n, int bw)
{
	put_uleb(out, (uint64_t)n << 1);
	int nbytes = (bw + 7) / 8;
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	ice_buf__put(out, b, (size_t)nbytes);
}

void ice_parquet__hybrid_encode(ice_buf *out, const uint32_t *v, size_t n, int bw)
{
	size_t lit = 0, i = 0;
	if (bw == 0) {
		if (n)
			put_run(out, 0, n, 0);
		return;
	}
	while (i < n) {
		size_t j = i + 1;
		uint32_t x = v[i];
		while (j < n && v[j] == x)
			j++;
		size_t run = j - i;
		if (run >= 8) {
			/* literals before the run must fill whole groups: borrow from the run */
			size_t pad = (8 - (i - lit) % 8) % 8;
			if (run - pad >= 8) {
				if (i + pad > lit)
					put_literals(out, v + lit, i + pad - lit, bw);
				put_run(out, x, run - pad, bw);
				lit = j;
			}
		}
		i = j;
	}
	if (n > lit)
		put_literals(out, v + lit, n - lit, bw);
}

void ice_parquet__hybrid_encode16(ice_buf *out, const int16_t *v, size_t n, int bw, ice_buf *scratch)
{
	/* Levels are mostly one value (a page without nulls): one run, as the
	 * general path would write it, without widening them first. */
	if (n >= 8) {
		uint16_t diff = 0;
		for (size_t i = 1; i < n; i++)
			diff |= (uint16_t)(v[i] ^ v[0]);
		if (diff == 0) {
			put_run(out, (uint16_t)v[0], n, bw);
			return;
		}
	}
	ice_buf__clear(scratch);
	uint32_t *u = (uint32_t *)(void *)ice_buf__reserve(scratch, n * 4 + 4);
	if (!u) {
		out->error = scratch->error ? scratch->error : ICE_ERROR;
		return;
	}
	for (size_t i = 0; i < n; i++)
		u[i] = (uint16_t)v[i];
	ice_parquet__hybrid_encode(out, u, n, bw);
}
