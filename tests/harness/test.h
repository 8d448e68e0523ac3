/*
 * tests/harness/test.h - a minimal unit-test harness in the spirit of
 * libgit2's clar: tests are functions named test_<module>_<aspect>__<case>,
 * registered automatically, run by one binary that takes name prefixes.
 *
 *   TEST(test_util_buf__grows) { CHECK(...); }
 *
 * A failed CHECK records the failure (file, line, expression and the
 * library's last error) and returns from the test.
 */
#ifndef ICE_TEST_H
#define ICE_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ice/errors.h"

typedef void (*ice_test_fn)(void);

void ice_test_register(const char *name, ice_test_fn fn);
void ice_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool ice_test_failed(void);
/* The shared conformance corpus (../shared/fixtures) and the repository root. */
const char *ice_test_fixtures(void);
const char *ice_test_source_root(void);
/* "<fixtures>/<rel>" in a static buffer (valid until the next call). */
const char *ice_test_fixture(const char *rel);
/* Remove a directory tree (links are removed, never followed). */
void ice_test_rm_tree(const char *dir);
/* Read a whole file; NULL on failure. Free with free(). */
char *ice_test_read_file(const char *path, size_t *len_out);

#define TEST(name)                                                                                  \
	static void name(void);                                                                     \
	__attribute__((constructor)) static void register_##name(void)                              \
	{                                                                                           \
		ice_test_register(#name, name);                                                     \
	}                                                                                           \
	static void name(void)

#define LAST_ERROR() (ice_error_last() ? ice_error_last()->message : "(no library error)")

#define CHECK(cond)                                                                                 \
	do {                                                                                        \
		if (!(cond)) {                                                                      \
			ice_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                      \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                        \
	do {                                                                                        \
		if (!(cond)) {                                                                      \
			ice_test_fail(__FILE__, __LINE__, __VA_ARGS__);                             \
			return;                                                                     \
		}                                                                                   \
	} while (0)

/* The call must return 0; otherwise report the library's message. */
#define CHECK_OK(expr)                                                                              \
	do {                                                                                        \
		int check_rc_ = (expr);                                                             \
		if (check_rc_ != 0) {                                                               \
			ice_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #expr, check_rc_,   \
			              LAST_ERROR());                                                \
			return;                                                                     \
		}                                                                                   \
	} while (0)

/* The call must return exactly `code`. */
#define CHECK_RC(expr, code)                                                                        \
	do {                                                                                        \
		int check_rc_ = (expr);                                                             \
		if (check_rc_ != (code)) {                                                          \
			ice_test_fail(__FILE__, __LINE__, "%s returned %d, expected %d (%s)", #expr, \
			              check_rc_, (int)(code), LAST_ERROR());                        \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_INT(a, b)                                                                             \
	do {                                                                                        \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                     \
		if (check_a_ != check_b_) {                                                         \
			ice_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, check_a_, \
			              check_b_);                                                    \
			return;                                                                     \
		}                                                                                   \
	} while (0)

/* The last error is out of memory ("out of memory", or "<what>: out of memory"
 * naming the file being read or written). */
#define CHECK_OOM()                                                                                 \
	do {                                                                                        \
		const char *oom_msg_ = ice_error_last() ? ice_error_last()->message : "";              \
		size_t oom_n_ = strlen(oom_msg_);                                                   \
		if (oom_n_ < 13 || strcmp(oom_msg_ + oom_n_ - 13, "out of memory") != 0) {         \
			ice_test_fail(__FILE__, __LINE__, "not out of memory: %s", oom_msg_);      \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_STR(a, b)                                                                             \
	do {                                                                                        \
		const char *check_a_ = (a), *check_b_ = (b);                                        \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                   \
			ice_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,      \
			              check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
			return;                                                                     \
		}                                                                                   \
	} while (0)

/* The last error message must contain `needle`. */
#define CHECK_ERROR_CONTAINS(needle)                                                                \
	do {                                                                                        \
		const char *check_m_ = LAST_ERROR();                                                \
		if (!strstr(check_m_, (needle))) {                                                  \
			ice_test_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"", check_m_,     \
			              (needle));                                                    \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#endif
