/*
 * util/compress.c - codec wrappers over zlib, libdeflate, libzstd,
 * libsnappy, liblz4 and libbrotli. This is the only file that includes their
 * headers.
 */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <libdeflate.h>
#include <lz4.h>
#include <lz4frame.h>
#include <pthread.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "alloc.h"
#include "compress.h"
#include "error.h"

const char *ice_codec__name(ice_codec codec)
{
	switch (codec) {
	case ICE_CODEC_NONE: return "uncompressed";
	case ICE_CODEC_SNAPPY: return "snappy";
	case ICE_CODEC_GZIP: return "gzip";
	case ICE_CODEC_ZLIB: return "zlib";
	case ICE_CODEC_DEFLATE: return "deflate";
	case ICE_CODEC_ZSTD: return "zstd";
	case ICE_CODEC_LZ4_RAW: return "lz4_raw";
	case ICE_CODEC_LZ4_HADOOP: return "lz4";
	case ICE_CODEC_LZ4_FRAME: return "lz4_frame";
	case ICE_CODEC_BROTLI: return "brotli";
	}
	return "unknown";
}

ice_codec ice_codec__sniff(const uint8_t *d, size_t len)
{
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return ICE_CODEC_GZIP;
	if (len >= 4 && d[0] == 0x28 && d[1] == 0xb5 && d[2] == 0x2f && d[3] == 0xfd)
		return ICE_CODEC_ZSTD;
	return ICE_CODEC_NONE;
}

static int corrupt(ice_codec codec, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: corrupt compressed data: %s",
	                      ice_codec__name(codec), what);
}

static int check_expected(ice_codec codec, size_t got, size_t expected)
{
	if (expected && got != expected)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
		                      "%s: decompressed to %zu bytes, expected %zu", ice_codec__name(codec),
		                      got, expected);
	return 0;
}

/*
 * Streaming decoders write into `out` a step at a time. With a stated size
 * they stop as soon as the data decompresses to more than it (a 30 KB page
 * that inflates to 1 GB costs its stated size, not 1 GB), and the buffer
 * grows with what was produced rather than to the stated size at once.
 */
static size_t next_step(size_t produced, size_t expected)
{
	size_t step = produced < 65536 ? 65536 : produced; /* geometric growth */
	if (expected && expected - produced + 1 < step)
		step = expected - produced + 1; /* room for one byte too many, to notice it */
	return step > ((size_t)1 << 30) ? (size_t)1 << 30 : step;
}

static int too_big(ice_codec codec, size_t expected)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: decompresses to more than the stated %zu bytes",
	                      ice_codec__name(codec), expected);
}

/* ---- decompressors kept per thread ------------------------------------------
 * A one-shot decompression needs a context (a zstd DCtx is ~100 KB, a
 * libdeflate decompressor ~10 KB); making one per Parquet page or column
 * chunk cost a scan 240 of each for four columns of 60 files. Each thread
 * keeps one of each, made on first use and freed when the thread ends, so
 * their number is bounded by the threads, not by the columns read. */
typedef struct thread_codecs {
	ZSTD_DCtx *zstd;
	struct libdeflate_decompressor *deflate;
} thread_codecs;

static _Thread_local thread_codecs tl_codecs;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static bool tl_key_made;

static void thread_codecs_free(void *arg)
{
	thread_codecs *t = arg;
	ZSTD_freeDCtx(t->zstd);
	libdeflate_free_decompressor(t->deflate);
	t->zstd = NULL;
	t->deflate = NULL;
}

static void thread_codecs_key(void)
{
	tl_key_made = pthread_key_create(&tl_key, thread_codecs_free) == 0;
}

/* This thread's codecs, registered to be freed when it ends. */
static thread_codecs *thread_codecs_get(void)
{
	thread_codecs *t = &tl_codecs;
	if (!t->zstd && !t->deflate) {
		pthread_once(&tl_once, thread_codecs_key);
		if (tl_key_made)
			pthread_setspecific(tl_key, t);
	}
	return t;
}

static ZSTD_DCtx *thread_zstd(void)
{
	thread_codecs *t = thread_codecs_get();
	return t->zstd ? t->zstd : (t->zstd = ZSTD_createDCtx());
}

static struct libdeflate_decompressor *thread_deflate(void)
{
	thread_codecs *t = thread_codecs_get();
	return t->deflate ? t->deflate : (t->deflate = libdeflate_alloc_decompressor());
}

/* zlib-family: wbits selects gzip (16+15), zlib (15) or raw deflate (-15). */
/*
 * gzip (one member), zlib or raw deflate of a stated size in one
 * libdeflate call: 0 when it decoded exactly `expected` bytes from the
 * whole input, 1 when it did not (several gzip members, corrupt, another
 * size): then zlib decodes it and names what is wrong.
 */
static int inflate_whole(ice_codec codec, const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	struct libdeflate_decompressor *d;
	size_t used = 0, made = 0;
	enum libdeflate_result lr;
	if (ice_buf__grow(out, expected) != 0)
		return ICE_ERROR;
	if (!(d = thread_deflate()))
		return ice_error__oom();
	uint8_t *dst = (uint8_t *)out->ptr + out->len;
	if (codec == ICE_CODEC_GZIP)
		lr = libdeflate_gzip_decompress_ex(d, in, in_len, dst, expected, &used, &made);
	else if (codec == ICE_CODEC_ZLIB)
		lr = libdeflate_zlib_decompress_ex(d, in, in_len, dst, expected, &used, &made);
	else
		lr = libdeflate_deflate_decompress_ex(d, in, in_len, dst, expected, &used, &made);
	if (lr != LIBDEFLATE_SUCCESS || made != expected || used != in_len)
		return 1;
	out->len += made;
	out->ptr[out->len] = '\0';
	return 0;
}

static int inflate_any(ice_codec codec, int wbits, const uint8_t *in, size_t in_len, size_t expected,
                       ice_buf *out)
{
	z_stream zs;
	if (expected > 0) {
		int wr = inflate_whole(codec, in, in_len, expected, out);
		if (wr <= 0)
			return wr;
	}
	int zrc, rc = 0;
	size_t start = out->len;
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = Z_NULL;
	zs.zfree = Z_NULL;
	if (inflateInit2(&zs, wbits) != Z_OK)
		return ice_error__oom();
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
	for (;;) {
		if ((rc = ice_buf__grow(out, next_step(out->len - start, expected))) != 0)
			break;
		zs.next_out = (Bytef *)out->ptr + out->len;
		size_t room = out->cap - out->len - 1;
		if (expected && room > expected - (out->len - start) + 1)
			room = expected - (out->len - start) + 1;
		zs.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
		size_t before = zs.avail_out;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len += before - zs.avail_out;
		out->ptr[out->len] = '\0';
		if (expected && out->len - start > expected) {
			rc = too_big(codec, expected);
			break;
		}
		if (zrc == Z_STREAM_END) {
			/* gzip allows several concatenated members */
			if (codec == ICE_CODEC_GZIP && zs.avail_in > 0) {
				if (inflateReset(&zs) != Z_OK) {
					rc = corrupt(codec, "bad member");
					break;
				}
				continue;
			}
			if (zs.avail_in > 0 && codec != ICE_CODEC_GZIP) {
				rc = corrupt(codec, "trailing bytes after the stream");
				break;
			}
			break;
		}
		if (zrc == Z_MEM_ERROR) {
			rc = ice_error__oom();
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = corrupt(codec, zs.msg ? zs.msg : "inflate failed");
			break;
		}
		if (zrc == Z_BUF_ERROR && zs.avail_in == 0) {
			rc = corrupt(codec, "truncated stream");
			break;
		}
	}
	inflateEnd(&zs);
	if (rc)
		return rc;
	return check_expected(codec, out->len - start, expected);
}

static int deflate_any(int wbits, int level, const uint8_t *in, size_t in_len, ice_buf *out)
{
	z_stream zs;
	int zrc, rc = 0;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, wbits, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return ice_error__oom();
	size_t bound = deflateBound(&zs, (uLong)in_len);
	if ((rc = ice_buf__grow(out, bound)) == 0) {
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)in_len;
		zs.next_out = (Bytef *)out->ptr + out->len;
		zs.avail_out = (uInt)bound;
		zrc = deflate(&zs, Z_FINISH);
		if (zrc != Z_STREAM_END)
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "deflate failed");
		else {
			out->len += bound - zs.avail_out;
			out->ptr[out->len] = '\0';
		}
	}
	deflateEnd(&zs);
	return rc;
}

/* A stated size: one shot into the output with the thread's context (the
 * stated size is the whole output; several frames allowed). */
static int zstd_decompress_whole(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	int rc;
	ZSTD_DCtx *dctx = thread_zstd();
	if (!dctx)
		return ice_error__oom();
	if ((rc = ice_buf__grow(out, expected)) != 0)
		return rc;
	size_t r = ZSTD_decompressDCtx(dctx, out->ptr + out->len, expected, in, in_len);
	if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
		return too_big(ICE_CODEC_ZSTD, expected);
	if (ZSTD_isError(r))
		return corrupt(ICE_CODEC_ZSTD, ZSTD_getErrorName(r));
	if (r != expected)
		return check_expected(ICE_CODEC_ZSTD, r, expected);
	out->len += r;
	out->ptr[out->len] = '\0';
	return 0;
}

/* No stated size: streamed, with a context of its own (a frame's window
 * buffer is not kept past the call). */
static int zstd_decompress(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	if (expected)
		return zstd_decompress_whole(in, in_len, expected, out);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ZSTD_inBuffer ib = {in, in_len, 0};
	size_t start = out->len, zr = 1;
	int rc = 0;
	if (!dctx)
		return ice_error__oom();
	while (ib.pos < ib.size || zr != 0) {
		if ((rc = ice_buf__grow(out, next_step(out->len - start, expected))) != 0)
			break;
		size_t room = out->cap - out->len - 1;
		if (expected && room > expected - (out->len - start) + 1)
			room = expected - (out->len - start) + 1;
		ZSTD_outBuffer ob = {out->ptr + out->len, room, 0};
		zr = ZSTD_decompressStream(dctx, &ob, &ib);
		out->len += ob.pos;
		out->ptr[out->len] = '\0';
		if (expected && out->len - start > expected) {
			rc = too_big(ICE_CODEC_ZSTD, expected);
			break;
		}
		if (ZSTD_isError(zr)) {
			rc = corrupt(ICE_CODEC_ZSTD, ZSTD_getErrorName(zr));
			break;
		}
		if (ib.pos == ib.size && ob.pos == 0 && zr != 0) {
			rc = corrupt(ICE_CODEC_ZSTD, "truncated stream");
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	if (rc)
		return rc;
	return check_expected(ICE_CODEC_ZSTD, out->len - start, expected);
}

static int snappy_decompress(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	size_t n;
	if (snappy_uncompressed_length((const char *)in, in_len, &n) != SNAPPY_OK)
		return corrupt(ICE_CODEC_SNAPPY, "bad length header");
	/* Snappy expands at most about 21:1: a larger stated length is a lie. */
	if (n / 32 > in_len + 2)
		return corrupt(ICE_CODEC_SNAPPY, "stated length larger than the data can hold");
	if (expected && n != expected)
		return check_expected(ICE_CODEC_SNAPPY, n, expected);
	int rc = ice_buf__grow(out, n);
	if (rc)
		return rc;
	size_t got = n;
	if (snappy_uncompress((const char *)in, in_len, out->ptr + out->len, &got) != SNAPPY_OK || got != n)
		return corrupt(ICE_CODEC_SNAPPY, "bad block");
	out->len += n;
	out->ptr[out->len] = '\0';
	return 0;
}

static int lz4_raw_decompress(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	if (!expected) {
		/* Unknown size: grow until it fits, within the buffer's cap. */
		size_t guess = in_len * 4 + 64;
		for (;;) {
			int rc = ice_buf__grow(out, guess);
			if (rc)
				return rc;
			int n = LZ4_decompress_safe((const char *)in, out->ptr + out->len, (int)in_len,
			                            (int)(guess > INT32_MAX ? INT32_MAX : guess));
			if (n >= 0) {
				out->len += (size_t)n;
				out->ptr[out->len] = '\0';
				return 0;
			}
			/* No more than LZ4 can expand to (about 255:1). */
			if (guess >= out->limit || guess > INT32_MAX / 2 || guess / 256 > in_len + 1)
				return corrupt(ICE_CODEC_LZ4_RAW, "bad block");
			guess *= 2;
		}
	}
	if (expected > INT32_MAX || in_len > INT32_MAX)
		return corrupt(ICE_CODEC_LZ4_RAW, "block too large");
	/* LZ4 expands at most about 255:1: a larger stated size is a lie. */
	if (expected / 256 > in_len + 1)
		return corrupt(ICE_CODEC_LZ4_RAW, "stated size larger than the data can hold");
	int rc = ice_buf__grow(out, expected);
	if (rc)
		return rc;
	int n = LZ4_decompress_safe((const char *)in, out->ptr + out->len, (int)in_len, (int)expected);
	if (n < 0)
		return corrupt(ICE_CODEC_LZ4_RAW, "bad block");
	out->len += (size_t)n;
	out->ptr[out->len] = '\0';
	return check_expected(ICE_CODEC_LZ4_RAW, (size_t)n, expected);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop framing: repeated [u32 BE raw size][u32 BE compressed size][block]. */
static int lz4_hadoop_decompress(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	size_t pos = 0, start = out->len;
	while (pos < in_len) {
		if (in_len - pos < 8)
			return corrupt(ICE_CODEC_LZ4_HADOOP, "truncated frame header");
		uint32_t raw = be32(in + pos), comp = be32(in + pos + 4);
		pos += 8;
		if (comp > in_len - pos)
			return corrupt(ICE_CODEC_LZ4_HADOOP, "frame longer than the data");
		if (expected && raw > expected - (out->len - start))
			return too_big(ICE_CODEC_LZ4_HADOOP, expected);
		if (raw == 0) {
			if (comp != 0)
				return corrupt(ICE_CODEC_LZ4_HADOOP, "data in an empty frame");
			continue;
		}
		int rc = lz4_raw_decompress(in + pos, comp, raw, out);
		if (rc)
			return rc;
		pos += comp;
	}
	return check_expected(ICE_CODEC_LZ4_HADOOP, out->len - start, expected);
}

static int lz4_frame_decompress(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	LZ4F_dctx *dctx;
	size_t pos = 0, start = out->len;
	int rc = 0;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return ice_error__oom();
	for (;;) {
		if ((rc = ice_buf__grow(out, next_step(out->len - start, expected))) != 0)
			break;
		size_t dst = out->cap - out->len - 1, src = in_len - pos;
		if (expected && dst > expected - (out->len - start) + 1)
			dst = expected - (out->len - start) + 1;
		size_t r = LZ4F_decompress(dctx, out->ptr + out->len, &dst, in + pos, &src, NULL);
		if (LZ4F_isError(r)) {
			rc = corrupt(ICE_CODEC_LZ4_FRAME, LZ4F_getErrorName(r));
			break;
		}
		pos += src;
		out->len += dst;
		out->ptr[out->len] = '\0';
		if (expected && out->len - start > expected) {
			rc = too_big(ICE_CODEC_LZ4_FRAME, expected);
			break;
		}
		if (r == 0)
			break;
		if (pos >= in_len && dst == 0) {
			rc = corrupt(ICE_CODEC_LZ4_FRAME, "truncated frame");
			break;
		}
	}
	LZ4F_freeDecompressionContext(dctx);
	if (rc)
		return rc;
	return check_expected(ICE_CODEC_LZ4_FRAME, out->len - start, expected);
}

static int brotli_decompress(const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	size_t avail_in = in_len, start = out->len;
	const uint8_t *next_in = in;
	int rc = 0;
	if (!st)
		return ice_error__oom();
	for (;;) {
		if ((rc = ice_buf__grow(out, next_step(out->len - start, expected))) != 0)
			break;
		size_t avail_out = out->cap - out->len - 1;
		if (expected && avail_out > expected - (out->len - start) + 1)
			avail_out = expected - (out->len - start) + 1;
		uint8_t *next_out = (uint8_t *)out->ptr + out->len;
		BrotliDecoderResult r =
		    BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, NULL);
		out->len = (size_t)((char *)next_out - out->ptr);
		out->ptr[out->len] = '\0';
		if (expected && out->len - start > expected) {
			rc = too_big(ICE_CODEC_BROTLI, expected);
			break;
		}
		if (r == BROTLI_DECODER_RESULT_SUCCESS)
			break;
		if (r == BROTLI_DECODER_RESULT_ERROR) {
			rc = corrupt(ICE_CODEC_BROTLI,
			             BrotliDecoderErrorString(BrotliDecoderGetErrorCode(st)));
			break;
		}
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
			rc = corrupt(ICE_CODEC_BROTLI, "truncated stream");
			break;
		}
	}
	BrotliDecoderDestroyInstance(st);
	if (rc)
		return rc;
	return check_expected(ICE_CODEC_BROTLI, out->len - start, expected);
}

static int decompress_any(ice_codec codec, const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	if (expected > out->limit)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
		                      "%s: stated size %zu exceeds the limit of %zu bytes",
		                      ice_codec__name(codec), expected, out->limit);
	switch (codec) {
	case ICE_CODEC_NONE:
		if (expected && in_len != expected)
			return check_expected(codec, in_len, expected);
		return ice_buf__put(out, in, in_len);
	case ICE_CODEC_SNAPPY: return snappy_decompress(in, in_len, expected, out);
	case ICE_CODEC_GZIP: return inflate_any(codec, 16 + 15, in, in_len, expected, out);
	case ICE_CODEC_ZLIB: return inflate_any(codec, 15, in, in_len, expected, out);
	case ICE_CODEC_DEFLATE: return inflate_any(codec, -15, in, in_len, expected, out);
	case ICE_CODEC_ZSTD: return zstd_decompress(in, in_len, expected, out);
	case ICE_CODEC_LZ4_RAW: return lz4_raw_decompress(in, in_len, expected, out);
	case ICE_CODEC_LZ4_HADOOP: return lz4_hadoop_decompress(in, in_len, expected, out);
	case ICE_CODEC_LZ4_FRAME: return lz4_frame_decompress(in, in_len, expected, out);
	case ICE_CODEC_BROTLI: return brotli_decompress(in, in_len, expected, out);
	}
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO, "unknown codec %d", (int)codec);
}

int ice_codec__decompress(ice_codec codec, const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	int rc = decompress_any(codec, in, in_len, expected, out);
	/* an output that came to nothing still has a buffer to point at */
	return rc ? rc : ice_buf__grow(out, 0);
}

int ice_codec__compress(ice_codec codec, int level, const uint8_t *in, size_t in_len, ice_buf *out)
{
	int rc;
	switch (codec) {
	case ICE_CODEC_NONE:
		return ice_buf__put(out, in, in_len);
	case ICE_CODEC_SNAPPY: {
		size_t n = snappy_max_compressed_length(in_len);
		if ((rc = ice_buf__grow(out, n)) != 0)
			return rc;
		if (snappy_compress((const char *)in, in_len, out->ptr + out->len, &n) != SNAPPY_OK)
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "snappy: compression failed");
		out->len += n;
		out->ptr[out->len] = '\0';
		return 0;
	}
	case ICE_CODEC_GZIP: return deflate_any(16 + 15, level, in, in_len, out);
	case ICE_CODEC_ZLIB: return deflate_any(15, level, in, in_len, out);
	case ICE_CODEC_DEFLATE: return deflate_any(-15, level, in, in_len, out);
	case ICE_CODEC_ZSTD: {
		size_t n = ZSTD_compressBound(in_len);
		if ((rc = ice_buf__grow(out, n)) != 0)
			return rc;
		size_t r = ZSTD_compress(out->ptr + out->len, n, in, in_len, level ? level : 3);
		if (ZSTD_isError(r))
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "zstd: %s", ZSTD_getErrorName(r));
		out->len += r;
		out->ptr[out->len] = '\0';
		return 0;
	}
	case ICE_CODEC_LZ4_RAW: {
		if (in_len > LZ4_MAX_INPUT_SIZE)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "lz4: input too large");
		int n = LZ4_compressBound((int)in_len);
		if ((rc = ice_buf__grow(out, (size_t)n)) != 0)
			return rc;
		int r = LZ4_compress_default((const char *)in, out->ptr + out->len, (int)in_len, n);
		if (r <= 0 && in_len > 0)
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "lz4: compression failed");
		out->len += (size_t)r;
		out->ptr[out->len] = '\0';
		return 0;
	}
	case ICE_CODEC_BROTLI: {
		size_t n = BrotliEncoderMaxCompressedSize(in_len);
		if (n == 0)
			n = in_len + 1024;
		if ((rc = ice_buf__grow(out, n)) != 0)
			return rc;
		if (!BrotliEncoderCompress(level ? level : 5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
		                           in_len, in, &n, (uint8_t *)out->ptr + out->len))
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "brotli: compression failed");
		out->len += n;
		out->ptr[out->len] = '\0';
		return 0;
	}
	case ICE_CODEC_LZ4_FRAME: {
		/* one frame with the content size present, as Puffin requires */
		LZ4F_preferences_t prefs;
		memset(&prefs, 0, sizeof(prefs));
		prefs.frameInfo.contentSize = in_len;
		prefs.compressionLevel = level;
		size_t n = LZ4F_compressFrameBound(in_len, &prefs);
		if ((rc = ice_buf__grow(out, n)) != 0)
			return rc;
		size_t r = LZ4F_compressFrame(out->ptr + out->len, n, in, in_len, &prefs);
		if (LZ4F_isError(r))
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "lz4: %s", LZ4F_getErrorName(r));
		out->len += r;
		out->ptr[out->len] = '\0';
		return 0;
	}
	case ICE_CODEC_LZ4_HADOOP:
		break;
	}
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO, "%s: compression not supported",
	                      ice_codec__name(codec));
}

struct ice_codec_ctx {
	ZSTD_CCtx *cctx;
};

ice_codec_ctx *ice_codec__ctx_new(void)
{
	return ice__calloc(1, sizeof(ice_codec_ctx));
}

void ice_codec__ctx_free(ice_codec_ctx *ctx)
{
	if (!ctx)
		return;
	ZSTD_freeCCtx(ctx->cctx);
	ice__free(ctx);
}

size_t ice_codec__ctx_memory(const ice_codec_ctx *ctx)
{
	return ctx ? ZSTD_sizeof_CCtx(ctx->cctx) : 0;
}

void ice_codec__ctx_trim(ice_codec_ctx *ctx)
{
	if (!ctx)
		return;
	ZSTD_freeCCtx(ctx->cctx);
	ctx->cctx = NULL;
}

int ice_codec__compress_ctx(ice_codec_ctx *ctx, ice_codec codec, int level, const uint8_t *in, size_t in_len,
                            ice_buf *out)
{
	int rc;
	if (!ctx || codec != ICE_CODEC_ZSTD)
		return ice_codec__compress(codec, level, in, in_len, out);
	if (!ctx->cctx && !(ctx->cctx = ZSTD_createCCtx()))
		return ice_error__oom();
	size_t n = ZSTD_compressBound(in_len);
	if ((rc = ice_buf__grow(out, n)) != 0)
		return rc;
	size_t r = ZSTD_compressCCtx(ctx->cctx, out->ptr + out->len, n, in, in_len, level ? level : 3);
	if (ZSTD_isError(r))
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "zstd: %s", ZSTD_getErrorName(r));
	out->len += r;
	out->ptr[out->len] = '\0';
	return 0;
}

uint32_t ice_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
	return (uint32_t)crc32((uLong)crc, data, (uInt)len);
}

/* ---- streaming decompression (gzip, zstd) ----------------------------------------- */

struct ice_codec_stream {
	ice_codec codec;
	z_stream z;
	bool z_ready, z_member_done;
	ZSTD_DCtx *zd;
	size_t zd_hint; /* ZSTD_decompressStream's last answer: 0 at a frame's end */
	struct libdeflate_decompressor *ld; /* raw deflate decoded whole (made on first use) */
};

static voidpf stream_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return ice__mallocarray(items, size);
}

static void stream_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	ice__free(p);
}


const char *ice_codec__sniff_other(const uint8_t *d, size_t len)
{
	if (len >= 3 && d[0] == 'B' && d[1] == 'Z' && d[2] == 'h')
		return "bzip2";
	if (len >= 6 && d[0] == 0xfd && d[1] == '7' && d[2] == 'z' && d[3] == 'X' && d[4] == 'Z' && d[5] == 0)
		return "xz";
	if (len >= 4 && d[0] == 0x04 && d[1] == 0x22 && d[2] == 0x4d && d[3] == 0x18)
		return "lz4";
	if (len >= 4 && d[0] == 'P' && d[1] == 'K' && d[2] == 3 && d[3] == 4)
		return "zip";
	if (len >= 6 && d[0] == '7' && d[1] == 'z' && d[2] == 0xbc && d[3] == 0xaf && d[4] == 0x27 && d[5] == 0x1c)
		return "7z";
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x9d)
		return "compress (.Z)";
	return NULL;
}

int ice_codec__stream_new(ice_codec_stream **out, ice_codec codec)
{
	ice_codec_stream *s;
	*out = NULL;
	if (codec != ICE_CODEC_GZIP && codec != ICE_CODEC_DEFLATE && codec != ICE_CODEC_ZSTD)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO, "%s: no streaming decompression",
		                      ice_codec__name(codec));
	if (!(s = ice__calloc(1, sizeof(*s))))
		return ICE_ERROR;
	s->codec = codec;
	s->zd_hint = 1;
	if (codec == ICE_CODEC_ZSTD) {
		if (!(s->zd = ZSTD_createDCtx())) {
			ice__free(s);
			return ice_error__oom();
		}
	} else {
		s->z.zalloc = stream_alloc;
		s->z.zfree = stream_free;
		/* gzip (or zlib) detected by its header; Avro's deflate is raw */
		if (inflateInit2(&s->z, codec == ICE_CODEC_DEFLATE ? -15 : 15 + 32) != Z_OK) {
			ice__free(s);
			return ice_error__oom();
		}
		s->z_ready = true;
	}
	*out = s;
	return 0;
}

void ice_codec__stream_free(ice_codec_stream *s)
{
	if (!s)
		return;
	if (s->z_ready)
		inflateEnd(&s->z);
	ZSTD_freeDCtx(s->zd);
	if (s->ld)
		libdeflate_free_decompressor(s->ld);
	ice__free(s);
}

int ice_codec__stream_decompress(ice_codec_stream *s, const uint8_t *in, size_t in_len, size_t *in_used,
                                 uint8_t *out, size_t cap, size_t *out_len)
{
	*in_used = 0;
	*out_len = 0;
	if (s->codec == ICE_CODEC_ZSTD) {
		ZSTD_inBuffer ib = {in, in_len, 0};
		ZSTD_outBuffer ob = {out, cap, 0};
		size_t r = ZSTD_decompressStream(s->zd, &ob, &ib);
		if (ZSTD_isError(r))
			return corrupt(s->codec, ZSTD_getErrorName(r));
		if (in_len > 0 || ob.pos > 0)
			s->zd_hint = r; /* a call with nothing in and out says nothing of the frame */
		*in_used = ib.pos;
		*out_len = ob.pos;
		return 0;
	}
	/* gzip: one member after another (as gzip -c a b > c makes); raw
	 * deflate is one stream, what follows it ignored (as Avro readers do) */
	if (s->z_member_done) {
		if (in_len == 0 || s->codec == ICE_CODEC_DEFLATE)
			return 0;
		if (inflateReset(&s->z) != Z_OK)
			return corrupt(s->codec, "reset");
		s->z_member_done = false;
	}
	s->z.next_in = (Bytef *)(uintptr_t)in;
	s->z.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
	s->z.next_out = out;
	s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
	int zr = inflate(&s->z, Z_NO_FLUSH);
	if (zr == Z_STREAM_END)
		s->z_member_done = true;
	else if (zr == Z_MEM_ERROR)
		return ice_error__oom();
	else if (zr != Z_OK && zr != Z_BUF_ERROR)
		return corrupt(s->codec, s->z.msg ? s->z.msg : "inflate failed");
	*in_used = (size_t)(s->z.next_in - in);
	*out_len = (size_t)(s->z.next_out - out);
	return 0;
}

int ice_codec__stream_whole(ice_codec_stream *s, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                            size_t *out_len)
{
	*out_len = 0;
	if (s->codec != ICE_CODEC_DEFLATE)
		return 1;
	if (!s->ld && !(s->ld = libdeflate_alloc_decompressor()))
		return ice_error__oom();
	size_t used = 0, made = 0;
	enum libdeflate_result lr = libdeflate_deflate_decompress_ex(s->ld, in, in_len, out, cap, &used, &made);
	if (lr != LIBDEFLATE_SUCCESS)
		return 1; /* too large for `cap`, or corrupt: the stream says which */
	*out_len = made;
	return 0;
}

bool ice_codec__stream_finished(const ice_codec_stream *s)
{
	if (s->codec != ICE_CODEC_ZSTD)
		return s->z_member_done;
	return s->zd_hint == 0;
}

int ice_codec__stream_reset(ice_codec_stream *s)
{
	if (s->codec == ICE_CODEC_ZSTD) {
		if (ZSTD_isError(ZSTD_DCtx_reset(s->zd, ZSTD_reset_session_only)))
			return corrupt(s->codec, "cannot reset the stream");
		s->zd_hint = 1;
		return 0;
	}
	if (inflateReset(&s->z) != Z_OK)
		return corrupt(s->codec, "cannot reset the stream");
	s->z_member_done = false;
	return 0;
}
