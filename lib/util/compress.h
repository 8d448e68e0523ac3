/*
 * util/compress.h - every compression codec ice meets, behind one interface:
 * gzip/zstd metadata files, Avro's deflate and snappy blocks, Parquet's
 * SNAPPY, GZIP, ZSTD, LZ4_RAW, LZ4 (Hadoop framing), BROTLI.
 *
 * Output sizes are always capped by the caller so that a hostile header
 * cannot make us allocate without bound.
 */
#ifndef ICE_UTIL_COMPRESS_H
#define ICE_UTIL_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum ice_codec {
	ICE_CODEC_NONE = 0,
	ICE_CODEC_SNAPPY,      /* raw snappy block */
	ICE_CODEC_GZIP,        /* gzip member(s), RFC 1952 */
	ICE_CODEC_ZLIB,        /* zlib stream, RFC 1950 */
	ICE_CODEC_DEFLATE,     /* raw deflate, RFC 1951 (Avro "deflate") */
	ICE_CODEC_ZSTD,        /* zstd frame(s) */
	ICE_CODEC_LZ4_RAW,     /* lz4 block without framing (Parquet LZ4_RAW) */
	ICE_CODEC_LZ4_HADOOP,  /* Hadoop-framed lz4 blocks (Parquet's legacy LZ4) */
	ICE_CODEC_LZ4_FRAME,   /* lz4 frame format */
	ICE_CODEC_BROTLI,
} ice_codec;

const char *ice_codec__name(ice_codec codec);

/* Guess a container by its magic bytes: GZIP, ZSTD, or NONE. */
ice_codec ice_codec__sniff(const uint8_t *data, size_t len);

/*
 * Decompress `in` and append to `out`. `expected` is the exact decompressed
 * size when the container states it (Parquet pages), or 0 when unknown, in
 * which case output is capped by out->limit. Errors are ICE_EINVALID with a
 * message naming the codec and what went wrong (no file name: the caller
 * prefixes it). On success `out` has a buffer even when nothing came out
 * (callers point into it). Safe from any thread: a one-shot zstd or libdeflate
 * decompression uses a context the calling thread keeps until it ends.
 */
int ice_codec__decompress(ice_codec codec, const uint8_t *in, size_t in_len, size_t expected, ice_buf *out);

/* Compress `in` and append to `out`. level 0 = codec default. */
int ice_codec__compress(ice_codec codec, int level, const uint8_t *in, size_t in_len, ice_buf *out);

/*
 * Reusable compression state for callers that compress many blocks, such as
 * Parquet pages: the zstd context is created once instead of per block.
 * A NULL ctx behaves as the functions above. ice_codec__ctx_new returns NULL
 * (out of memory raised) on failure. (Decompression needs none: a one-shot
 * decompression uses a context its thread keeps.)
 */
typedef struct ice_codec_ctx ice_codec_ctx;
ice_codec_ctx *ice_codec__ctx_new(void);
void ice_codec__ctx_free(ice_codec_ctx *ctx);
/* Bytes the context's zstd state holds; trimming frees that state (it is
 * made again on the next use). */
size_t ice_codec__ctx_memory(const ice_codec_ctx *ctx);
void ice_codec__ctx_trim(ice_codec_ctx *ctx);
int ice_codec__compress_ctx(ice_codec_ctx *ctx, ice_codec codec, int level, const uint8_t *in, size_t in_len,
                            ice_buf *out);

/*
 * Streaming decompression of gzip (one member or several in a row), raw
 * deflate (Avro blocks: what follows the stream is ignored) and zstd (one
 * frame or several), for inputs read a buffer at a time and outputs drained
 * a piece at a time (a reader decodes from a bounded window instead of
 * holding what nothing states the size of). Each call consumes some input
 * (*in_used) and produces up to `cap` bytes (*out_len); call again with the
 * rest. ICE_EINVALID on corrupt data. reset starts a new stream.
 */
typedef struct ice_codec_stream ice_codec_stream;
int ice_codec__stream_new(ice_codec_stream **out, ice_codec codec);
void ice_codec__stream_free(ice_codec_stream *s);
int ice_codec__stream_reset(ice_codec_stream *s);
int ice_codec__stream_decompress(ice_codec_stream *s, const uint8_t *in, size_t in_len, size_t *in_used,
                                 uint8_t *out, size_t cap, size_t *out_len);
/*
 * A whole raw deflate stream (an Avro block) decoded in one call into
 * `out`, up to `cap` bytes, what follows it ignored: 0 with *out_len set,
 * or 1 when it does not fit in `cap`, is corrupt or the codec is not raw
 * deflate; then decode it through stream_decompress, which says why it is
 * corrupt. (One call is about twice as fast as zlib's inflate.)
 */
int ice_codec__stream_whole(ice_codec_stream *s, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                            size_t *out_len);
/* Whether the input so far ends a gzip member or deflate stream or zstd
 * frame (a cut file does not). */
bool ice_codec__stream_finished(const ice_codec_stream *s);
/* The name of a compression ice does not read (bzip2, xz, lz4 frame, zip,
 * 7z, compress) recognised by its magic bytes, or NULL. */
const char *ice_codec__sniff_other(const uint8_t *data, size_t len);

/* CRC-32 (zlib polynomial), used by Avro's snappy framing. */
uint32_t ice_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
