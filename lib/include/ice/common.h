/*
 * ice/common.h - export macros, version and basic types shared by every
 * public header of libicetable.
 *
 * Every public function is declared with ICE_EXTERN. The library is built with
 * hidden visibility, so only these symbols are exported.
 */
#ifndef ICE_COMMON_H
#define ICE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define ICE_BEGIN_DECL extern "C" {
#define ICE_END_DECL }
#else
#define ICE_BEGIN_DECL
#define ICE_END_DECL
#endif

#if defined(__GNUC__)
#define ICE_EXTERN __attribute__((visibility("default")))
#define ICE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ICE_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define ICE_EXTERN
#define ICE_PRINTF(fmt, args)
#define ICE_WARN_UNUSED
#endif

#define ICE_VERSION_MAJOR 0
#define ICE_VERSION_MINOR 1
#define ICE_VERSION_PATCH 0
#define ICE_VERSION_STRING "0.1.0"

/* The newest table format version this library reads and writes. */
#define ICE_FORMAT_VERSION_MAX 3

ICE_BEGIN_DECL

/* Returns the library version, e.g. "0.1.0". Never NULL. */
ICE_EXTERN const char *ice_version(void);

/*
 * A string with an explicit length; not necessarily NUL-terminated.
 * Used where values may contain NUL bytes (binary) or point into a buffer.
 */
typedef struct ice_slice {
	const uint8_t *data;
	size_t len;
} ice_slice;

ICE_END_DECL

#endif
