/*
 * util/error.h - raising errors inside the library.
 *
 * ice_error__set() formats the thread-local message and returns the code, so
 * the idiom is `return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
 * "%s: %s: expected a string", file, path);`.
 */
#ifndef ICE_UTIL_ERROR_H
#define ICE_UTIL_ERROR_H

#include <stdarg.h>

#include "ice/errors.h"

int ice_error__set(int code, int klass, const char *fmt, ...) ICE_PRINTF(3, 4);
int ice_error__vset(int code, int klass, const char *fmt, va_list ap) ICE_PRINTF(3, 0);
/* Raise the static out-of-memory error; returns ICE_ERROR. Never allocates. */
int ice_error__oom(void);
/*
 * When the current error is out of memory and does not name it yet, name
 * what was being read or written ("<file>: out of memory"): for the places
 * that know the file but pass other errors up unchanged (their messages name
 * it already). Still the out-of-memory error; never allocates. Returns
 * ICE_ERROR.
 */
int ice_error__oom_in(const char *fmt, ...) ICE_PRINTF(1, 2);
/* An OS error from errno, e.g. "<path>: open: No such file or directory".
 * ENOENT maps to ICE_ENOTFOUND, EEXIST to ICE_EEXISTS. */
int ice_error__os(const char *path, const char *op);
/*
 * Put "<prefix>: " in front of the current message (e.g. the file name once it
 * is known); an out-of-memory error gets it too ("<file>: out of memory"),
 * without allocating, and stays that error. Returns the current code.
 */
int ice_error__prefix(const char *fmt, ...) ICE_PRINTF(1, 2);
/*
 * A credential (`len` bytes of `value`): from now on masked as "***" in
 * every error message and trace line of the process. Values shorter than
 * 5 bytes are not kept. Never allocates.
 */
void ice_error__secret(const char *value, size_t len);
/* The value of a property whose key names a credential (token, credential,
 * secret-access-key, header.x-api-key ...; not its settings: *.type,
 * *-enabled, *-uri ...) registered as a secret, and of id:secret the secret. */
void ice_error__secret_property(const char *key, size_t klen, const char *value, size_t vlen);
/* One line for the trace function (ice_set_trace), when one is set. */
void ice__trace(const char *fmt, ...) ICE_PRINTF(1, 2);
bool ice__tracing(void);
/* The code of the last error, or ICE_ERROR if none is set. */
int ice_error__code(void);
bool ice_error__is_oom(void);

/*
 * Keeping the error being reported across clean-up work that may raise its
 * own (deleting what a failure left, aborting an upload): save, clean up,
 * restore. Restoring with no error saved clears whatever the clean-up raised.
 */
typedef struct ice_error_saved {
	bool had, oom;
	int code, klass;
	char message[1024];
} ice_error_saved;
void ice_error__save(ice_error_saved *saved);
void ice_error__restore(const ice_error_saved *saved);

#endif
