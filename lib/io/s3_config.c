/*
 * io/s3_config.c - where S3 requests go and how: Iceberg's FileIO
 * property names (as Java's S3FileIO and PyIceberg read them), then the
 * standard AWS sources - the environment, then the shared credentials and
 * config files of a profile. The first source that sets a value wins;
 * credentials come whole from one source (a key id from one place and a
 * secret from another would be a configuration mistake, so it is refused).
 *
 * Properties understood (defaults in brackets):
 *   s3.endpoint, s3.region [us-east-1], s3.access-key-id,
 *   s3.secret-access-key, s3.session-token, s3.anonymous [false],
 *   s3.path-style-access / s3.force-virtual-addressing [path-style for
 *   endpoints that are IP addresses or localhost, else virtual-hosted],
 *   s3.multipart.part-size (or Java's s3.multipart.part-size-bytes) [32 MiB],
 *   s3.multipart.threshold [1.5 parts], s3.multipart.num-threads [4 parts in
 *   flight], s3.delete.batch-size [1000], s3.staging-dir,
 *   s3.retry.num-retries [5], s3.retry.min-wait-ms [100],
 *   s3.retry.max-wait-ms [20000], s3.connect-timeout and
 *   s3.request-timeout (seconds, as PyIceberg), s3.read-ahead-bytes
 *   [64 MiB], s3.conditional-writes [auto].
 * Other s3.* keys (server-side encryption, storage classes, ...) are not
 * acted on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "s3.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define MIB ((uint64_t)1 << 20)

/* The last value given for `key`, or NULL. */
static const char *prop(const ice_properties *props, const char *key)
{
	for (size_t i = props ? props->n : 0; i > 0; i--)
		if (strcmp(props->items[i - 1].key, key) == 0)
			return props->items[i - 1].value;
	return NULL;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int bad(const char *key, const char *why)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: %s", key, why);
}

static int get_bool(const ice_properties *props, const char *key, int *out)
{
	const char *v = prop(props, key);
	if (!v)
		return 0;
	if (!strcasecmp(v, "true"))
		*out = 1;
	else if (!strcasecmp(v, "false"))
		*out = 0;
	else
		return bad(key, "expected true or false");
	return 0;
}

static int get_int(const ice_properties *props, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const char *v = prop(props, key);
	int64_t n;
	if (!v)
		return 0;
	if (!ice_str__to_int64(v, strlen(v), &n) || n < lo || n > hi) {
		char why[128];
		snprintf(why, sizeof(why), "expected a whole number from %lld to %lld", (long long)lo, (long long)hi);
		return bad(key, why);
	}
	*out = n;
	return 0;
}

/* Seconds, possibly fractional, to milliseconds. */
static int get_seconds(const ice_properties *props, const char *key, int64_t *ms_out)
{
	const char *v = prop(props, key);
	double s;
	if (!v)
		return 0;
	if (!ice_str__to_double(v, strlen(v), &s) || !(s > 0) || s > 86400)
		return bad(key, "expected a number of seconds");
	*ms_out = (int64_t)(s * 1000.0 + 0.5);
	return 0;
}

static int set_str(char **dst, const char *v)
{
	ice__free(*dst);
	*dst = NULL;
	if (v && !(*dst = ice__strdup(v)))
		return ICE_ERROR;
	return 0;
}

/* ---- profile files ------------------------------------------------------------ */

/* A whole small local file, or NULL (missing or unreadable: no profile). */
static char *read_small_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *data;
	size_t len = 0, cap = 1 << 20;
	if (fd < 0)
		return NULL;
	if (!(data = ice__malloc(cap + 1))) {
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap)
			break;
	}
	close(fd);
	data[len] = '\0';
	return data;
}

typedef struct profile {
	char *access_key_id, *secret_access_key, *session_token;
	char *region, *endpoint, *s3_endpoint, *addressing_style, *ca_bundle;
} profile;

static void profile_free(profile *p)
{
	ice_aws_credentials c = {p->access_key_id, p->secret_access_key, p->session_token};
	ice_aws_credentials__clear(&c); /* wiped */
	ice__free(p->region);
	ice__free(p->endpoint);
	ice__free(p->s3_endpoint);
	ice__free(p->addressing_style);
	ice__free(p->ca_bundle);
	memset(p, 0, sizeof(*p));
}

static int take(char **dst, const char *v, size_t n)
{
	if (*dst || n == 0)
		return 0; /* the first setting in the section wins; empty is unset */
	return (*dst = ice__strndup(v, n)) ? 0 : ICE_ERROR;
}

/* "[name]" in the credentials file; "[profile name]" in the config file,
 * where the default profile may also be plain "[default]". */
static bool section_is(const char *sec, size_t sn, const char *name, bool config_file)
{
	size_t nl = strlen(name);
	if (config_file && sn > 8 && !strncmp(sec, "profile ", 8)) {
		sec += 8;
		sn -= 8;
		while (sn && *sec == ' ') {
			sec++;
			sn--;
		}
		return sn == nl && !strncmp(sec, name, nl);
	}
	if (config_file && strcmp(name, "default") != 0)
		return false;
	return sn == nl && !strncmp(sec, name, nl);
}

/*
 * Reads the section of `name` from an INI file as the AWS tools write it:
 * "[name]" in the credentials file, "[profile name]" (or "[default]") in
 * the config file; "key = value" lines; a "s3 =" line opens indented
 * sub-settings.
 */
static int parse_profile(profile *p, const char *text, const char *name, bool config_file)
{
	bool in = false, in_s3 = false;
	int rc = 0;
	for (const char *line = text; line && *line && !rc;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		const char *s = line;
		bool indented = n && (line[0] == ' ' || line[0] == '\t');
		line = nl ? nl + 1 : NULL;
		ice_str__trim(&s, &n);
		if (!n || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			const char *sec = s + 1;
			size_t sn = n >= 2 && s[n - 1] == ']' ? n - 2 : 0;
			ice_str__trim(&sec, &sn);
			in = section_is(sec, sn, name, config_file);
			in_s3 = false;
			continue;
		}
		if (!in)
			continue;
		const char *eq = memchr(s, '=', n);
		if (!eq)
			continue;
		const char *k = s, *v = eq + 1;
		size_t kn = (size_t)(eq - s), vn = n - kn - 1;
		ice_str__trim(&k, &kn);
		ice_str__trim(&v, &vn);
		if (!indented)
			in_s3 = kn == 2 && !strncmp(k, "s3", 2) && vn == 0;
		if (indented && in_s3) {
			if (kn == 16 && !strncmp(k, "addressing_style", 16))
				rc = take(&p->addressing_style, v, vn);
			else if (kn == 12 && !strncmp(k, "endpoint_url", 12))
				rc = take(&p->s3_endpoint, v, vn);
			continue;
		}
#define KEY(lit, field)                                                                             \
	if (kn == sizeof(lit) - 1 && !strncmp(k, lit, kn)) {                                        \
		rc = take(&p->field, v, vn);                                                        \
		continue;                                                                           \
	}
		KEY("aws_access_key_id", access_key_id)
		KEY("aws_secret_access_key", secret_access_key)
		KEY("aws_session_token", session_token)
		KEY("region", region)
		KEY("endpoint_url", endpoint)
		KEY("ca_bundle", ca_bundle)
#undef KEY
	}
	return rc;
}

static int read_profile(profile *p, const char *path, const char *name, bool config_file)
{
	char *text = read_small_file(path);
	int rc;
	if (!text)
		return 0;
	rc = parse_profile(p, text, name, config_file);
	memset(text, 0, strlen(text)); /* it may have held secrets */
	ice__free(text);
	return rc;
}

static int load_profile(profile *p)
{
	const char *name = env("AWS_PROFILE"), *home = env("HOME");
	const char *cred_file = env("AWS_SHARED_CREDENTIALS_FILE"), *config_file = env("AWS_CONFIG_FILE");
	char buf[4096];
	int rc;
	if (!name)
		name = env("AWS_DEFAULT_PROFILE");
	if (!name)
		name = "default";
	if (!cred_file && home) {
		snprintf(buf, sizeof(buf), "%s/.aws/credentials", home);
		cred_file = buf;
	}
	if (cred_file && (rc = read_profile(p, cred_file, name, false)) != 0)
		return rc;
	if (!config_file && home) {
		snprintf(buf, sizeof(buf), "%s/.aws/config", home);
		config_file = buf;
	}
	if (config_file && (rc = read_profile(p, config_file, name, true)) != 0)
		return rc;
	return 0;
}

/* ---- resolving ------------------------------------------------------------------ */

static int set_endpoint(ice_s3_config *c, const char *v, const char *key)
{
	size_t n = strlen(v);
	ice__free(c->endpoint);
	c->endpoint = NULL;
	while (n && v[n - 1] == '/')
		n--;
	if (!n)
		return bad(key, "empty endpoint");
	if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) {
		c->endpoint = ice__strndup(v, n);
	} else if (strstr(v, "://")) {
		return bad(key, "the endpoint must be an http:// or https:// URL");
	} else {
		/* host[:port] alone means HTTPS, as the AWS tools read it. */
		if ((c->endpoint = ice__malloc(n + 9)) != NULL) {
			memcpy(c->endpoint, "https://", 8);
			memcpy(c->endpoint + 8, v, n);
			c->endpoint[n + 8] = '\0';
		}
	}
	if (!c->endpoint)
		return ICE_ERROR;
	const char *sep = strstr(c->endpoint, "://");
	const char *auth = sep ? sep + 3 : "";
	size_t an = strcspn(auth, "/");
	if (an == 0)
		return bad(key, "no host in the endpoint URL");
	if (memchr(auth, '@', an))
		return bad(key, "credentials do not belong in the endpoint URL");
	return 0;
}

void ice_s3_config__free(ice_s3_config *c)
{
	if (!c)
		return;
	ice__free(c->endpoint);
	ice__free(c->region);
	ice_aws_credentials__clear(&c->creds);
	ice__free(c->staging_dir);
	ice__free(c->ca_bundle);
	memset(c, 0, sizeof(*c));
}

static int resolve_credentials(ice_s3_config *c, const ice_properties *props, const profile *p)
{
	const char *id = prop(props, "s3.access-key-id"), *secret = prop(props, "s3.secret-access-key");
	const char *token = prop(props, "s3.session-token");
	if (id || secret) {
		if (!id || !secret)
			return bad(id ? "s3.secret-access-key" : "s3.access-key-id",
			           "missing (s3.access-key-id and s3.secret-access-key go together)");
		c->creds_source = "the s3.* properties";
		return ice_aws_credentials__set(&c->creds, id, secret, token);
	}
	id = env("AWS_ACCESS_KEY_ID");
	secret = env("AWS_SECRET_ACCESS_KEY");
	if (id || secret) {
		if (!id || !secret)
			return bad(id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
			           "missing (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together)");
		c->creds_source = "the environment";
		return ice_aws_credentials__set(&c->creds, id, secret, env("AWS_SESSION_TOKEN"));
	}
	if (p->access_key_id || p->secret_access_key) {
		if (!p->access_key_id || !p->secret_access_key)
			return bad("aws profile", "has only one of aws_access_key_id and aws_secret_access_key");
		c->creds_source = "the AWS profile";
		return ice_aws_credentials__set(&c->creds, p->access_key_id, p->secret_access_key, p->session_token);
	}
	c->creds_source = NULL;
	return 0;
}

static int resolve_with(ice_s3_config *c, const ice_properties *props, profile *loaded);

int ice_s3_config__resolve(ice_s3_config *c, const ice_properties *props)
{
	profile p;
	int rc;
	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	if ((rc = load_profile(&p)) != 0) {
		profile_free(&p);
		return rc;
	}
	return resolve_with(c, props, &p);
}

int ice_s3_config__from_profile_text(ice_s3_config *c, const char *text, size_t len, const char *name,
                                     bool config_file)
{
	profile p;
	char *copy = ice__strndup(text, len);
	int rc;
	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	if (!copy)
		return ICE_ERROR;
	rc = parse_profile(&p, copy, name, config_file);
	ice__free(copy);
	if (rc) {
		profile_free(&p);
		return rc;
	}
	return resolve_with(c, NULL, &p);
}

/* Resolves with the profile already read (freed here). */
static int resolve_with(ice_s3_config *c, const ice_properties *props, profile *loaded)
{
	profile p = *loaded;
	int64_t n;
	int b, rc = 0;
	const char *v;
	memset(c, 0, sizeof(*c));
	c->path_style = -1;
	c->part_size = 32 * MIB;
	c->threshold = 1.5;
	c->parts_in_flight = 4;
	c->delete_batch = 1000;
	c->read_ahead = 64 * MIB;
	c->conditional = ICE_S3_COND_AUTO;
	c->http.retry = (ice_http_retry_policy)ICE_HTTP_RETRY_DEFAULT;

	/* Where. */
	if ((v = prop(props, "s3.endpoint")) != NULL)
		rc = set_endpoint(c, v, "s3.endpoint");
	else if ((v = env("AWS_ENDPOINT_URL_S3")) != NULL)
		rc = set_endpoint(c, v, "AWS_ENDPOINT_URL_S3");
	else if ((v = env("AWS_ENDPOINT_URL")) != NULL)
		rc = set_endpoint(c, v, "AWS_ENDPOINT_URL");
	else if (p.s3_endpoint)
		rc = set_endpoint(c, p.s3_endpoint, "aws profile s3.endpoint_url");
	else if (p.endpoint)
		rc = set_endpoint(c, p.endpoint, "aws profile endpoint_url");
	if (rc)
		goto done;
	if ((!(v = prop(props, "s3.region")) || !*v) && (!(v = prop(props, "client.region")) || !*v) &&
	    !(v = env("AWS_REGION")) && !(v = env("AWS_DEFAULT_REGION")) && !(v = p.region))
		v = "us-east-1";
	if ((rc = set_str(&c->region, v)) != 0)
		goto done;
	b = -1;
	if ((rc = get_bool(props, "s3.path-style-access", &b)) != 0)
		goto done;
	if (b < 0) {
		int virt = -1;
		if ((rc = get_bool(props, "s3.force-virtual-addressing", &virt)) != 0)
			goto done;
		if (virt >= 0)
			b = !virt;
		else if (p.addressing_style && !strcmp(p.addressing_style, "path"))
			b = 1;
		else if (p.addressing_style && !strcmp(p.addressing_style, "virtual"))
			b = 0;
	}
	c->path_style = b;

	/* Who. */
	b = 0;
	if ((rc = get_bool(props, "s3.anonymous", &b)) != 0)
		goto done;
	c->anonymous = b == 1;
	if (!c->anonymous && (rc = resolve_credentials(c, props, &p)) != 0)
		goto done;

	/* How. */
	n = -1;
	if ((rc = get_int(props, "s3.multipart.part-size-bytes", 5 * (int64_t)MIB, 5LL << 30, &n)) != 0 ||
	    (rc = get_int(props, "s3.multipart.part-size", 5 * (int64_t)MIB, 5LL << 30, &n)) != 0)
		goto done;
	if (n > 0)
		c->part_size = (uint64_t)n;
	if ((v = prop(props, "s3.multipart.threshold")) != NULL) {
		double f;
		if (!ice_str__to_double(v, strlen(v), &f) || !(f >= 1.0) || f > 1000) {
			rc = bad("s3.multipart.threshold", "expected a factor of the part size, at least 1");
			goto done;
		}
		c->threshold = f;
	}
	n = c->parts_in_flight;
	if ((rc = get_int(props, "s3.multipart.num-threads", 1, 64, &n)) != 0)
		goto done;
	c->parts_in_flight = (int)n;
	n = (int64_t)c->delete_batch;
	if ((rc = get_int(props, "s3.delete.batch-size", 1, 1000, &n)) != 0)
		goto done;
	c->delete_batch = (size_t)n;
	n = (int64_t)c->read_ahead;
	if ((rc = get_int(props, "s3.read-ahead-bytes", 0, 1LL << 40, &n)) != 0)
		goto done;
	c->read_ahead = (uint64_t)n;
	n = c->http.retry.max_retries;
	if ((rc = get_int(props, "s3.retry.num-retries", 0, 100, &n)) != 0)
		goto done;
	c->http.retry.max_retries = (int)n;
	n = c->http.retry.min_wait_ms;
	if ((rc = get_int(props, "s3.retry.min-wait-ms", 0, 3600000, &n)) != 0)
		goto done;
	c->http.retry.min_wait_ms = n;
	n = c->http.retry.max_wait_ms;
	if ((rc = get_int(props, "s3.retry.max-wait-ms", 0, 3600000, &n)) != 0)
		goto done;
	c->http.retry.max_wait_ms = n < c->http.retry.min_wait_ms ? c->http.retry.min_wait_ms : n;
	if ((rc = get_seconds(props, "s3.connect-timeout", &c->http.connect_timeout_ms)) != 0 ||
	    (rc = get_seconds(props, "s3.request-timeout", &c->http.request_timeout_ms)) != 0)
		goto done;
	if ((v = prop(props, "s3.conditional-writes")) != NULL) {
		if (!strcmp(v, "auto"))
			c->conditional = ICE_S3_COND_AUTO;
		else if (!strcmp(v, "true"))
			c->conditional = ICE_S3_COND_ON;
		else if (!strcmp(v, "false"))
			c->conditional = ICE_S3_COND_OFF;
		else if (!strcmp(v, "unsafe"))
			c->conditional = ICE_S3_COND_UNSAFE;
		else {
			rc = bad("s3.conditional-writes", "expected auto, true, false or unsafe");
			goto done;
		}
	}
	if ((rc = set_str(&c->staging_dir, prop(props, "s3.staging-dir"))) != 0)
		goto done;
	if (!(v = env("AWS_CA_BUNDLE")))
		v = p.ca_bundle;
	if ((rc = set_str(&c->ca_bundle, v)) != 0)
		goto done;
	c->http.ca_file = c->ca_bundle;
done:
	profile_free(&p);
	if (rc)
		ice_s3_config__free(c);
	return rc;
}

bool ice_s3_config__table_may_set(const char *key)
{
	static const char *const tuning[] = {
		"s3.multipart.part-size", "s3.multipart.part-size-bytes", "s3.multipart.threshold",
		"s3.multipart.num-threads", "s3.delete.batch-size", "s3.retry.num-retries", "s3.retry.min-wait-ms",
		"s3.retry.max-wait-ms", "s3.read-ahead-bytes",
	};
	for (size_t i = 0; i < sizeof(tuning) / sizeof(tuning[0]); i++)
		if (strcmp(key, tuning[i]) == 0)
			return true;
	return false;
}
