/*
 * ice/errors.h - the error model.
 *
 * Every fallible function returns an int: 0 (ICE_OK) on success, one of the
 * negative codes below for outcomes a caller acts on, or ICE_ERROR (-1) for
 * everything else. Details live in a thread-local "last error" read with
 * ice_error_last() after a failure. The message is one line that says what is
 * wrong and where: the file, then the location inside it (a JSON path such as
 * $.schemas[0].fields[2].type, a line and column, an Avro record, a Parquet
 * column and page), then what.
 *
 * Out-of-memory sets a static error and never allocates. The library never
 * prints and never aborts.
 */
#ifndef ICE_ERRORS_H
#define ICE_ERRORS_H

#include "common.h"

ICE_BEGIN_DECL

typedef enum ice_error_code {
	ICE_OK = 0,
	ICE_ERROR = -1,        /* generic failure; see the message */
	ICE_ENOTFOUND = -3,    /* a table, file, snapshot, ref, ... does not exist */
	ICE_EEXISTS = -4,      /* the object already exists */
	ICE_EINVALID = -5,     /* invalid input: malformed file, bad argument */
	ICE_EUNSUPPORTED = -6, /* valid but not supported (e.g. format version 4) */
	ICE_ECONFLICT = -7,    /* a commit lost a race; safe to refresh and retry */
	ICE_ECOMMITUNKNOWN = -8, /* the commit may or may not have landed */
	ICE_EAUTH = -9,        /* authentication or authorization failed */
	ICE_ITEROVER = -31,    /* an iterator has no more items (not an error) */
} ice_error_code;

/* Which part of the library raised the error. */
typedef enum ice_error_class {
	ICE_ERRCLASS_NONE = 0,
	ICE_ERRCLASS_NOMEMORY,
	ICE_ERRCLASS_OS,
	ICE_ERRCLASS_INVALID,
	ICE_ERRCLASS_JSON,
	ICE_ERRCLASS_METADATA,
	ICE_ERRCLASS_AVRO,
	ICE_ERRCLASS_PARQUET,
	ICE_ERRCLASS_IO,
	ICE_ERRCLASS_CATALOG,
	ICE_ERRCLASS_COMMIT,
	ICE_ERRCLASS_EXPR,
	ICE_ERRCLASS_CALLBACK,
} ice_error_class;

typedef struct ice_error {
	int code;          /* the ice_error_code that was returned */
	int klass;         /* an ice_error_class */
	const char *message; /* one line, no trailing newline; never NULL */
} ice_error;

/*
 * The last error raised on this thread, or NULL if none was raised since the
 * last ice_error_clear(). The pointer stays valid until the next library call
 * on this thread.
 */
ICE_EXTERN const ice_error *ice_error_last(void);

/* Forget the last error of this thread. */
ICE_EXTERN void ice_error_clear(void);

/* A short name for a code: "ok", "not found", "conflict", ... */
ICE_EXTERN const char *ice_error_code_name(int code);

/*
 * Raise an error from a callback so that it travels back through the library
 * unchanged (for callers that implement vtables or visitor callbacks).
 */
ICE_EXTERN int ice_error_set(int code, const char *fmt, ...) ICE_PRINTF(2, 3);

/*
 * What the library does, for a caller that wants to show it (ice -v): one
 * line per event - a commit attempt that lost a race and the wait before
 * the next, a commit that landed (its metadata file, attempts, time), a
 * data file written (rows, bytes), a data file a scan reads - handed to
 * one process-wide function, when one is set (NULL: none, the default).
 * The library itself never prints. The function may be called from
 * worker threads at once; `message` is valid during the call only.
 */
typedef void (*ice_trace_fn)(const char *message, void *payload);
ICE_EXTERN void ice_set_trace(ice_trace_fn fn, void *payload);

ICE_END_DECL

#endif
