/*
 * parquet/values.c - the values of a data page in every encoding Parquet
 * defines for them (Parquet "Encodings"): PLAIN, PLAIN_DICTIONARY and
 * RLE_DICTIONARY (indices gathered from a dictionary already converted to the
 * output layout), RLE booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT, with the conversions to the Arrow
 * layout on the way (INT96 to nanoseconds, decimals of any backing to
 * decimal128, narrow integers). Every read is checked against the page.
 */
#include "column.h"

#define fail_page ice_parquet__col_fail

/* ---- values -------------------------------------------------------------- */

/* The 8 bytes at p as a big-endian number (the pattern compilers turn into
 * one load and a byte swap). */
static inline uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
	       (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* k big-endian two's-complement decimals of w <= 8 bytes to decimal128 (low
 * word, then the sign); called with a constant w so each width gets its own
 * loop. Once 8 bytes precede a value's end inside src, the value is the low
 * 8w bits of the 8 bytes ending with it. */
static inline void dec_be_narrow(const uint8_t *src, size_t k, uint8_t *dst, size_t w)
{
	const uint64_t sign = (uint64_t)1 << (8 * w - 1), mask = sign | (sign - 1);
	size_t i = 0;
	for (; i < k && i * w + w < 8; i++) {
		uint64_t x = 0;
		for (size_t b = 0; b < w; b++)
			x = x << 8 | src[i * w + b];
		uint64_t lo = (x ^ sign) - sign, hi = (lo >> 63) ? UINT64_MAX : 0;
		memcpy(dst + i * 16, &lo, 8);
		memcpy(dst + i * 16 + 8, &hi, 8);
	}
	for (; i < k; i++) {
		uint64_t x = load_be64(src + i * w + w - 8) & mask;
		uint64_t lo = (x ^ sign) - sign, hi = (lo >> 63) ? UINT64_MAX : 0;
		memcpy(dst + i * 16, &lo, 8);
		memcpy(dst + i * 16 + 8, &hi, 8);
	}
}

static int convert_fixed(pq_colreader *c, const uint8_t *src, size_t k, uint8_t *dst)
{
	switch (c->leaf->conv) {
	case CONV_INT8:
	case CONV_UINT8:
		for (size_t i = 0; i < k; i++)
			dst[i] = (uint8_t)pq_load32(src + i * 4);
		return 0;
	case CONV_INT16:
	case CONV_UINT16:
		for (size_t i = 0; i < k; i++) {
			uint16_t v = (uint16_t)pq_load32(src + i * 4);
			memcpy(dst + i * 2, &v, 2);
		}
		return 0;
	case CONV_INT96:
		for (size_t i = 0; i < k; i++) {
			uint64_t nanos = pq_load64(src + i * 12);
			int64_t jd = (int64_t)pq_load32(src + i * 12 + 8);
			/* as pyarrow: (unsigned julian day - 2440588) * 86400e9 + nanos, wrapping */
			uint64_t v = (uint64_t)(jd - 2440588) * UINT64_C(86400000000000) + nanos;
			memcpy(dst + i * 8, &v, 8);
		}
		return 0;
	case CONV_DEC_INT32:
		for (size_t i = 0; i < k; i++) {
			int64_t v = (int32_t)pq_load32(src + i * 4);
			uint64_t lo = (uint64_t)v, hi = v < 0 ? UINT64_MAX : 0;
			memcpy(dst + i * 16, &lo, 8);
			memcpy(dst + i * 16 + 8, &hi, 8);
		}
		return 0;
	case CONV_DEC_INT64:
		for (size_t i = 0; i < k; i++) {
			uint64_t lo = pq_load64(src + i * 8), hi = (lo >> 63) ? UINT64_MAX : 0;
			memcpy(dst + i * 16, &lo, 8);
			memcpy(dst + i * 16 + 8, &hi, 8);
		}
		return 0;
	case CONV_DEC_BYTES: {
		size_t w = (size_t)c->pw;
		switch (w) {
		case 1: dec_be_narrow(src, k, dst, 1); return 0;
		case 2: dec_be_narrow(src, k, dst, 2); return 0;
		case 3: dec_be_narrow(src, k, dst, 3); return 0;
		case 4: dec_be_narrow(src, k, dst, 4); return 0;
		case 5: dec_be_narrow(src, k, dst, 5); return 0;
		case 6: dec_be_narrow(src, k, dst, 6); return 0;
		case 7: dec_be_narrow(src, k, dst, 7); return 0;
		case 8: dec_be_narrow(src, k, dst, 8); return 0;
		}
		for (size_t i = 0; i < k; i++) {
			const uint8_t *be = src + i * w;
			uint8_t fill = (w && (be[0] & 0x80)) ? 0xff : 0;
			uint8_t *o = dst + i * 16;
			memset(o, fill, 16);
			for (size_t b = 0; b < w; b++)
				o[b] = be[w - 1 - b];
		}
		return 0;
	}
	}
	return 0;
}

/* Append decoded raw values (fixed in c->raw or bytes in c->raw_bytes) to the
 * batch in the output layout. */
static int emit_raw(pq_colreader *c, size_t k, pq_batch_col *out)
{
	int rc;
	const pq_leaf *l = c->leaf;
	if (l->conv == CONV_NULL)
		return 0;
	if (l->conv == CONV_DEC_BYTES && l->type == ICE_PARQUET_BYTE_ARRAY) {
		const int32_t *off = pq_offsets(&c->raw_bytes);
		if ((rc = ice_buf__grow(&out->values, k * 16)) != 0)
			return rc;
		uint8_t *dst = (uint8_t *)out->values.ptr + out->values.len;
		for (size_t i = 0; i < k; i++) {
			size_t w = (size_t)(off[i + 1] - off[i]);
			const uint8_t *be = (const uint8_t *)c->raw_bytes.data.ptr + off[i];
			if (w > 16)
				return fail_page(c, "decimal value wider than 16 bytes");
			uint8_t fill = (w && (be[0] & 0x80)) ? 0xff : 0;
			memset(dst + i * 16, fill, 16);
			for (size_t b = 0; b < w; b++)
				dst[i * 16 + b] = be[w - 1 - b];
		}
		out->values.len += k * 16;
		return 0;
	}
	size_t ow = (size_t)pq_out_width(l);
	if ((rc = ice_buf__grow(&out->values, k * ow)) != 0)
		return rc;
	convert_fixed(c, (const uint8_t *)c->raw.ptr, k, (uint8_t *)out->values.ptr + out->values.len);
	out->values.len += k * ow;
	return 0;
}

/* Convert k fixed-width physical values straight into the batch. */
static int convert_into(pq_colreader *c, const uint8_t *src, size_t k, pq_batch_col *out)
{
	if (c->leaf->conv == CONV_NULL)
		return 0;
	size_t ow = (size_t)pq_out_width(c->leaf);
	int rc = ice_buf__grow(&out->values, k * ow);
	if (rc)
		return rc;
	convert_fixed(c, src, k, (uint8_t *)out->values.ptr + out->values.len);
	out->values.len += k * ow;
	return 0;
}

/* Copy values [from, from+k) of a bytes store to the end of another. */
static int append_bytes(pq_bytes *dst, const pq_bytes *src, size_t from, size_t k)
{
	const int32_t *so = pq_offsets(src);
	size_t start = (size_t)so[from], len = (size_t)(so[from + k] - so[from]);
	int rc = ice_parquet__bytes_reserve(dst, k, len);
	if (rc)
		return rc;
	int32_t *d = pq_offsets(dst) + dst->n;
	int64_t base = d[0];
	if (base + (int64_t)len > INT32_MAX)
		return PQ_ERR(ICE_EINVALID, "values exceed 2 GiB in one batch");
	for (size_t i = 0; i < k; i++)
		d[i + 1] = (int32_t)(base + (so[from + i + 1] - (int64_t)start));
	memcpy(dst->data.ptr + dst->data.len, src->data.ptr + start, len);
	dst->data.len += len;
	dst->offsets.len += k * 4;
	dst->n += k;
	return 0;
}

/* PLAIN byte arrays: length-prefixed. */
static int plain_bytes(pq_colreader *c, size_t k, pq_bytes *dst)
{
	const uint8_t *p = c->vp;
	size_t total = 0;
	for (size_t i = 0; i < k; i++) {
		if (c->vend - p < 4)
			return fail_page(c, "PLAIN byte array length beyond the page");
		uint32_t n = pq_load32(p);
		if (n > (size_t)(c->vend - p - 4))
			return fail_page(c, "PLAIN byte array longer than the page");
		p += 4 + n;
		total += n;
	}
	int rc = ice_parquet__bytes_reserve(dst, k, total);
	if (rc)
		return rc;
	int32_t *off = pq_offsets(dst) + dst->n;
	int64_t base = off[0];
	if (base + (int64_t)total > INT32_MAX)
		return fail_page(c, "values exceed 2 GiB in one batch");
	uint8_t *d = (uint8_t *)dst->data.ptr + dst->data.len;
	p = c->vp;
	for (size_t i = 0; i < k; i++) {
		uint32_t n = pq_load32(p);
		memcpy(d, p + 4, n);
		d += n;
		base += n;
		off[i + 1] = (int32_t)base;
		p += 4 + n;
	}
	dst->data.len += total;
	dst->offsets.len += k * 4;
	dst->n += k;
	c->vp = p;
	return 0;
}

static int decode_indices(pq_colreader *c, size_t k, uint32_t **out)
{
	const char *what = NULL;
	int rc = ice_buf__grow(&c->idx, k * 4);
	if (rc)
		return rc;
	uint32_t *idx = (uint32_t *)(void *)c->idx.ptr;
	if (ice_parquet__rle_u32(&c->rle, idx, k, &what))
		return fail_page(c, what);
	*out = idx;
	return 0;
}

static int gather_dict(pq_colreader *c, size_t k, pq_batch_col *out)
{
	uint32_t *idx = NULL;
	int rc;
	if (!c->has_dict)
		return fail_page(c, "dictionary-encoded page without a dictionary page");
	if ((rc = decode_indices(c, k, &idx)) != 0)
		return rc;
	uint32_t maxi = 0;
	for (size_t i = 0; i < k; i++)
		maxi = idx[i] > maxi ? idx[i] : maxi;
	if (k && maxi >= c->dict_n)
		return fail_page(c, "dictionary index out of range");
	if (c->leaf->conv == CONV_NULL)
		return 0;
	if (pq_out_is_bytes(c->leaf)) {
		const int32_t *doff = pq_offsets(&c->dict_bytes);
		size_t total = 0;
		for (size_t i = 0; i < k; i++)
			total += (size_t)(doff[idx[i] + 1] - doff[idx[i]]);
		pq_bytes *dst = &out->bytes;
		if ((rc = ice_parquet__bytes_reserve(dst, k, total)) != 0)
			return rc;
		int32_t *off = pq_offsets(dst) + dst->n;
		int64_t base = off[0];
		if (base + (int64_t)total > INT32_MAX)
			return fail_page(c, "values exceed 2 GiB in one batch");
		uint8_t *d = (uint8_t *)dst->data.ptr + dst->data.len;
		const uint8_t *dd = (const uint8_t *)c->dict_bytes.data.ptr;
		for (size_t i = 0; i < k; i++) {
			int32_t s = doff[idx[i]];
			size_t n = (size_t)(doff[idx[i] + 1] - s);
			memcpy(d, dd + s, n);
			d += n;
			base += (int64_t)n;
			off[i + 1] = (int32_t)base;
		}
		dst->data.len += total;
		dst->offsets.len += k * 4;
		dst->n += k;
		return 0;
	}
	size_t w = (size_t)pq_out_width(c->leaf);
	if ((rc = ice_buf__grow(&out->values, k * w)) != 0)
		return rc;
	uint8_t *d = (uint8_t *)out->values.ptr + out->values.len;
	const uint8_t *dict = (const uint8_t *)c->dict_fixed.ptr;
	if (w == 4) {
		const uint32_t *dv = (const uint32_t *)(const void *)dict;
		uint32_t *o = (uint32_t *)(void *)d;
		for (size_t i = 0; i < k; i++)
			o[i] = dv[idx[i]];
	} else if (w == 8) {
		const uint64_t *dv = (const uint64_t *)(const void *)dict;
		uint64_t *o = (uint64_t *)(void *)d;
		for (size_t i = 0; i < k; i++)
			o[i] = dv[idx[i]];
	} else if (w == 16) {
		for (size_t i = 0; i < k; i++)
			memcpy(d + i * 16, dict + (size_t)idx[i] * 16, 16);
	} else {
		for (size_t i = 0; i < k; i++)
			memcpy(d + i * w, dict + (size_t)idx[i] * w, w);
	}
	out->values.len += k * w;
	return 0;
}

/* Append the next k non-null values of the page to the batch. */
int ice_parquet__col_append_values(pq_colreader *c, size_t k, pq_batch_col *out)
{
	const pq_leaf *l = c->leaf;
	int rc;
	if (k == 0)
		return 0;
	if (k > c->nvalues - c->value_pos)
		return fail_page(c, "more values than the page holds");
	if (c->enc == ICE_PARQUET_ENC_RLE_DICTIONARY || c->enc == ICE_PARQUET_ENC_PLAIN_DICTIONARY) {
		rc = gather_dict(c, k, out);
		c->value_pos += k;
		return rc;
	}
	bool direct = l->conv == CONV_NONE;
	size_t pw = (size_t)c->pw;
	if (c->predecoded) {
		if (l->type == ICE_PARQUET_BYTE_ARRAY) {
			if (direct || l->conv == CONV_NULL) {
				rc = l->conv == CONV_NULL ? 0 : append_bytes(&out->bytes, &c->pre_bytes, c->value_pos, k);
			} else {
				ice_parquet__bytes_clear(&c->raw_bytes);
				if ((rc = append_bytes(&c->raw_bytes, &c->pre_bytes, c->value_pos, k)) == 0)
					rc = emit_raw(c, k, out);
			}
		} else if (direct) {
			rc = ice_buf__put(&out->values, c->pre_fixed.ptr + c->value_pos * pw, k * pw);
		} else {
			rc = convert_into(c, (const uint8_t *)c->pre_fixed.ptr + c->value_pos * pw, k, out);
		}
		c->value_pos += k;
		return rc;
	}
	if (l->type == ICE_PARQUET_BOOLEAN) {
		if ((rc = ice_buf__grow(&out->values, k)) != 0)
			return rc;
		uint8_t *d = (uint8_t *)out->values.ptr + out->values.len;
		if (c->enc == ICE_PARQUET_ENC_RLE) {
			uint32_t *v = NULL;
			if ((rc = decode_indices(c, k, &v)) != 0)
				return rc;
			for (size_t i = 0; i < k; i++)
				d[i] = (uint8_t)(v[i] & 1);
		} else {
			size_t bits = (size_t)(c->vend - c->vp) * 8;
			if (c->bool_bit + k > bits)
				return fail_page(c, "PLAIN booleans beyond the page");
			for (size_t i = 0; i < k; i++, c->bool_bit++)
				d[i] = (c->vp[c->bool_bit >> 3] >> (c->bool_bit & 7)) & 1;
		}
		out->values.len += k;
		c->value_pos += k;
		return 0;
	}
	/* PLAIN */
	if (l->type == ICE_PARQUET_BYTE_ARRAY) {
		if (l->conv == CONV_NONE) {
			rc = plain_bytes(c, k, &out->bytes);
		} else {
			ice_parquet__bytes_clear(&c->raw_bytes);
			if ((rc = plain_bytes(c, k, &c->raw_bytes)) == 0)
				rc = emit_raw(c, k, out);
		}
		c->value_pos += k;
		return rc;
	}
	if ((size_t)(c->vend - c->vp) / pw < k)
		return fail_page(c, "PLAIN values beyond the page");
	if (direct)
		rc = ice_buf__put(&out->values, c->vp, k * pw);
	else
		rc = convert_into(c, c->vp, k, out);
	c->vp += k * pw;
	c->value_pos += k;
	return rc;
}

int ice_parquet__col_setup_values(pq_colreader *c, int encoding, const uint8_t *p, const uint8_t *end)
{
	const pq_leaf *l = c->leaf;
	const char *what = "values";
	int rc;
	c->enc = encoding;
	c->vp = p;
	c->vend = end;
	c->bool_bit = 0;
	c->value_pos = 0;
	c->predecoded = false;
	size_t n = c->nvalues;
	switch (encoding) {
	case ICE_PARQUET_ENC_PLAIN:
		return 0;
	case ICE_PARQUET_ENC_PLAIN_DICTIONARY:
	case ICE_PARQUET_ENC_RLE_DICTIONARY: {
		if (n == 0)
			return 0;
		if (p >= end)
			return fail_page(c, "dictionary indices missing");
		int bw = p[0];
		if (bw > 32)
			return fail_page(c, "dictionary index bit width over 32");
		ice_parquet__rle_init(&c->rle, p + 1, (size_t)(end - p - 1), bw);
		return 0;
	}
	case ICE_PARQUET_ENC_RLE:
		if (l->type != ICE_PARQUET_BOOLEAN)
			return fail_page(c, "RLE values for a non-boolean column");
		if (end - p < 4)
			return fail_page(c, "RLE boolean data length beyond the page");
		{
			uint32_t len = pq_load32(p);
			if (len > (size_t)(end - p - 4))
				return fail_page(c, "RLE boolean data longer than the page");
			ice_parquet__rle_init(&c->rle, p + 4, len, 1);
		}
		return 0;
	case ICE_PARQUET_ENC_DELTA_BINARY_PACKED: {
		size_t count, used;
		if (l->type != ICE_PARQUET_INT32 && l->type != ICE_PARQUET_INT64)
			return fail_page(c, "DELTA_BINARY_PACKED for a type other than INT32/INT64");
		ice_buf__clear(&c->pre_fixed);
		rc = ice_parquet__delta_decode(p, (size_t)(end - p), l->type == ICE_PARQUET_INT32, n, &c->pre_fixed,
		                               &count, &used, &what);
		if (rc)
			return rc == -1 ? fail_page(c, what) : rc;
		if (count < n)
			return fail_page(c, "DELTA_BINARY_PACKED holds fewer values than the page");
		c->predecoded = true;
		return 0;
	}
	case ICE_PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY:
	case ICE_PARQUET_ENC_DELTA_BYTE_ARRAY:
		if (l->type != ICE_PARQUET_BYTE_ARRAY &&
		    !(encoding == ICE_PARQUET_ENC_DELTA_BYTE_ARRAY && l->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY))
			return fail_page(c, "DELTA byte array encoding for a type that is not a byte array");
		ice_parquet__bytes_clear(&c->pre_bytes);
		if ((rc = ice_parquet__bytes_reserve(&c->pre_bytes, 0, 0)) != 0)
			return rc;
		rc = encoding == ICE_PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY
		         ? ice_parquet__dlba_decode(p, (size_t)(end - p), n, &c->pre_bytes, &what)
		         : ice_parquet__dba_decode(p, (size_t)(end - p), n, &c->pre_bytes, &what);
		if (rc)
			return rc == -1 ? fail_page(c, what) : rc;
		if (l->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY) {
			/* FLBA values must all have the declared width. */
			const int32_t *off = pq_offsets(&c->pre_bytes);
			for (size_t i = 0; i < n; i++)
				if (off[i + 1] - off[i] != c->pw)
					return fail_page(c, "DELTA_BYTE_ARRAY value of the wrong width");
			ice_buf__clear(&c->pre_fixed);
			if ((rc = ice_buf__put(&c->pre_fixed, c->pre_bytes.data.ptr, n * (size_t)c->pw)) != 0)
				return rc;
		}
		c->predecoded = true;
		return 0;
	case ICE_PARQUET_ENC_BYTE_STREAM_SPLIT: {
		size_t w = (size_t)c->pw;
		if (l->type == ICE_PARQUET_BOOLEAN || l->type == ICE_PARQUET_BYTE_ARRAY || l->type == ICE_PARQUET_INT96)
			return fail_page(c, "BYTE_STREAM_SPLIT for an unsupported type");
		if ((size_t)(end - p) / w < n)
			return fail_page(c, "BYTE_STREAM_SPLIT data shorter than the values");
		ice_buf__clear(&c->pre_fixed);
		if ((rc = ice_buf__grow(&c->pre_fixed, n * w)) != 0)
			return rc;
		uint8_t *d = (uint8_t *)c->pre_fixed.ptr;
		for (size_t b = 0; b < w; b++) {
			const uint8_t *s = p + b * n;
			for (size_t i = 0; i < n; i++)
				d[i * w + b] = s[i];
		}
		c->pre_fixed.len = n * w;
		c->predecoded = true;
		return 0;
	}
	}
	return fail_page(c, "unsupported value encoding");
}

