/*
 * Fuzz target: the AWS shared credentials and config files as the S3
 * configuration reads a profile from them (sections, "key = value" lines,
 * the indented sub-settings of "s3 ="). The first byte picks the profile
 * name and the file's syntax; the rest is the file. A configuration that
 * resolves has a region, an http(s) endpoint without credentials in it (or
 * none), and credentials that are whole or absent.
 */
#include <string.h>

#include "fuzz.h"
#include "io/s3.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_s3_config c;
	if (size < 1)
		return 0;
	const char *name = (data[0] & 1) ? "work" : "default";
	bool config_file = (data[0] & 2) != 0;
	int rc = ice_s3_config__from_profile_text(&c, (const char *)data + 1, size - 1, name, config_file);
	if (rc == 0) {
		FUZZ_ASSERT(c.region && c.region[0]);
		if (c.endpoint) {
			FUZZ_ASSERT(!strncmp(c.endpoint, "http://", 7) || !strncmp(c.endpoint, "https://", 8));
			const char *auth = strstr(c.endpoint, "://") + 3;
			const char *slash = strchr(auth, '/');
			const char *at = strchr(auth, '@');
			FUZZ_ASSERT(!at || (slash && at > slash));
		}
		FUZZ_ASSERT(!c.creds.access_key_id == !c.creds.secret_access_key);
		FUZZ_ASSERT(c.path_style >= -1 && c.path_style <= 1);
		ice_s3_config__free(&c);
	} else {
		FUZZ_ASSERT(rc == ICE_EINVALID || rc == ICE_ERROR);
	}
	ice_error_clear();
	return 0;
}
