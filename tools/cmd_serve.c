/*
 * tools/cmd_serve.c - `ice serve`: an Iceberg REST catalog server over a
 * warehouse. Everything the server does is in the library (ice/serve.h);
 * this file reads the options, opens the catalog, prints where it listens,
 * writes the access log and turns SIGTERM/SIGINT into a graceful stop
 * (requests in flight finish, then the process exits 0).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum {
	OPT_LISTEN = OPT_FIRST_COMMAND_OPTION,
	OPT_CONFIG,
	OPT_AUTH,
	OPT_ACCESS_LOG,
	OPT_GRACE,
	OPT_SET,
};

typedef struct log_sink {
	FILE *f;
	pthread_mutex_t lock;
} log_sink;

static void write_log(const char *line, void *payload)
{
	log_sink *sink = payload;
	char when[40];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&sink->lock);
	fprintf(sink->f, "%s.%03ldZ %s\n", when, ts.tv_nsec / 1000000, line);
	fflush(sink->f);
	pthread_mutex_unlock(&sink->lock);
}

CLI_COMMAND(serve)
{
	static const struct option options[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"auth", required_argument, NULL, OPT_AUTH},
		{"access-log", required_argument, NULL, OPT_ACCESS_LOG},
		{"grace", required_argument, NULL, OPT_GRACE},
		{"set", required_argument, NULL, OPT_SET},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("serve");
	ice_server_config *cfg = NULL;
	ice_catalog *catalog = NULL;
	ice_server *server = NULL;
	const char *listen = NULL, *auth = NULL, *config = NULL, *log_path = NULL;
	char **sets = NULL;
	size_t nsets = 0;
	long grace_s = 30;
	log_sink sink = {stderr, PTHREAD_MUTEX_INITIALIZER};
	int opt, rc = EXIT_OK;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_LISTEN: listen = optarg; break;
		case OPT_CONFIG: config = optarg; break;
		case OPT_AUTH: auth = optarg; break;
		case OPT_ACCESS_LOG: log_path = optarg; break;
		case OPT_GRACE: {
			char *end;
			grace_s = strtol(optarg, &end, 10);
			if (*end || grace_s < 0 || grace_s > 3600) {
				free(sets);
				return cli_usage_error(cmd, "--grace takes seconds (0 to 3600)");
			}
			break;
		}
		case OPT_SET: {
			char **grown = realloc(sets, (nsets + 1) * sizeof(char *));
			if (!grown) {
				free(sets);
				return cli_error("out of memory");
			}
			sets = grown;
			sets[nsets++] = optarg;
			break;
		}
		case '?': case ':': free(sets); return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
				free(sets);
				if (rc == -1) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	if (optind < argc) {
		free(sets);
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if (ice_server_config_new(&cfg) != 0) {
		free(sets);
		return cli_fail(ICE_ERROR);
	}
	/* The file first, then the options over it. */
	if ((config && (rc = ice_server_config_load(cfg, config)) != 0) ||
	    (listen && (rc = ice_server_config_set(cfg, "listen", listen)) != 0) ||
	    (auth && (rc = ice_server_config_set(cfg, "auth", auth)) != 0)) {
		rc = rc == ICE_EINVALID && !config ? cli_usage_error(cmd, "%s", ice_error_last()->message) : cli_fail(rc);
		goto done;
	}
	for (size_t i = 0; i < nsets; i++) {
		char *eq = strchr(sets[i], '=');
		if (!eq) {
			rc = cli_usage_error(cmd, "--set takes KEY=VALUE");
			goto done;
		}
		*eq = '\0';
		int src = ice_server_config_set(cfg, sets[i], eq + 1);
		*eq = '=';
		if (src) {
			rc = cli_usage_error(cmd, "%s", ice_error_last()->message);
			goto done;
		}
	}
	if (!cli->catalog && ice_server_config_catalog(cfg))
		cli->catalog = ice_server_config_catalog(cfg);
	if ((rc = cli_open_catalog(cli, &catalog)) != 0)
		goto done;
	if ((rc = ice_server_new(&server, catalog, cfg)) != 0) {
		rc = cli_fail(rc);
		goto done;
	}
	/* "none": no access log (and no file of that name). */
	bool logging = !log_path || strcmp(log_path, "none") != 0;
	if (logging && log_path && strcmp(log_path, "-") != 0 && !(sink.f = fopen(log_path, "a"))) {
		rc = cli_error("%s: cannot open the access log", log_path);
		goto done;
	}
	if (logging)
		ice_server_set_log(server, write_log, &sink);

	/* Signals are taken by this thread alone (sigwait); the server's
	 * threads, started below, inherit the blocked mask. */
	sigset_t stop;
	int sig = 0;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = ice_server_listen(server)) != 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_COMPACT) != 0) {
			rc = cli_fail(ICE_ERROR);
			goto done;
		}
		ice_json_begin_object(w);
		ice_json_key(w, "listening");
		ice_json_string(w, ice_server_config_listen(cfg));
		ice_json_key(w, "port");
		ice_json_int(w, ice_server_port(server));
		ice_json_key(w, "catalog");
		ice_json_string(w, ice_catalog_uri(catalog));
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		if (rc)
			goto done;
		fputc('\n', cli->out);
	} else
		fprintf(cli->out, "ice serve: listening on port %d (%s), catalog %s\n", ice_server_port(server),
		        ice_server_config_listen(cfg), ice_catalog_uri(catalog));
	fflush(cli->out);
	sigwait(&stop, &sig);
	if (!cli->quiet)
		fprintf(stderr, "ice serve: %s: finishing requests in flight, then stopping\n",
		        sig == SIGTERM ? "SIGTERM" : "SIGINT");
	ice_server_stop(server, (int)grace_s * 1000);
	rc = EXIT_OK;
done:
	ice_server_free(server);
	ice_catalog_free(catalog);
	ice_server_config_free(cfg);
	if (sink.f && sink.f != stderr)
		fclose(sink.f);
	free(sets);
	return rc;
}
