/*
 * serve/http.c - the HTTP front of the server, on libmicrohttpd (the only
 * file that includes microhttpd.h).
 *
 * A pool of threads polls with epoll; a request's body is gathered up to
 * max-body (413 past it, 413 at once when Content-Length says so), then its
 * connection is suspended and ice_server_handle() answers it on a handler
 * thread, so that a slow request (a commit waiting for its turn, a store
 * that answers slowly) never holds the other connections its polling thread
 * serves. Handler threads are started as requests wait for one, up to
 * max-connections (each connection has one request at a time), and kept. Limits: connections
 * (max-connections), an idle timeout per connection (timeout: a client that
 * sends nothing for that long is dropped, so slow clients cannot hold the
 * server), header space (libmicrohttpd's per-connection memory, 32 KiB:
 * longer request lines and headers get 414/431). Keep-alive as HTTP/1.1 says.
 *
 * The listening socket is ours: bound here, handed to libmicrohttpd, or, with
 * a TLS certificate, to tls.c, which terminates TLS and hands each
 * connection's plain side to libmicrohttpd.
 *
 * Stopping: no new connections, requests being answered finish (a commit
 * lands or fails whole), then the threads stop. Every request ends in one
 * access log line: method, path (query values that could be secrets
 * redacted by ice_uri__redact), status, time, principal; never a header or a body.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"

typedef struct http_req http_req;

struct serve_http {
	struct MHD_Daemon *daemon;
	int listen_fd;
	int port;
	serve_tls *tls;
	atomic_int inflight;
	/* handler threads and the requests waiting for one */
	pthread_mutex_t lock;
	pthread_cond_t work;
	http_req *head, *tail;
	size_t waiting, idle;
	pthread_t *threads;
	size_t nthreads, max_threads;
	bool stopping;
};

/* One request on a connection. */
struct http_req {
	ice_server *s;
	char *uri; /* as sent: path and query */
	char *method;
	ice_buf body;
	bool started;
	bool too_large;
	bool answered;
	int status;
	char *principal;
	struct timespec start;
	/* handed to a handler thread: its connection is suspended meanwhile */
	struct MHD_Connection *conn;
	http_req *next;
	bool dispatched, handled;
	int handle_rc;
	ice_server_response resp;
	char *authorization, *content_type, *if_none_match, *access_delegation;
};

void serve_log(ice_server *s, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	if (!s->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One line, printable: request bytes cannot forge log lines. */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	s->log(line, s->log_payload);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	ice_server *s = cls;
	http_req *hr = ice__calloc(1, sizeof(*hr));
	(void)conn;
	if (!hr)
		return NULL;
	hr->s = s;
	hr->uri = ice__strdup(uri ? uri : "");
	ice_buf__init(&hr->body, s->cfg->max_body);
	clock_gettime(CLOCK_MONOTONIC, &hr->start);
	atomic_fetch_add(&s->http->inflight, 1);
	return hr;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	ice_server *s = cls;
	http_req *hr = *con_cls;
	(void)toe;
	if (!hr)
		return;
	(void)conn;
	if (s->log) {
		char uri[1024];
		/* Query values whose names look secret are masked (util/uri.c). */
		ice_uri__redact(uri, sizeof(uri), hr->uri ? hr->uri : "-");
		serve_log(s, "%s %s %d %.1fms %s", hr->method ? hr->method : "-", uri, hr->status, ms_since(&hr->start),
		          hr->principal ? hr->principal : "-");
	}
	ice_buf__free(&hr->body);
	ice__free(hr->uri);
	ice__free(hr->method);
	ice__free(hr->principal);
	ice__free(hr->authorization);
	ice__free(hr->content_type);
	ice__free(hr->if_none_match);
	ice__free(hr->access_delegation);
	ice_server_response_free(&hr->resp);
	ice__free(hr);
	*con_cls = NULL;
	atomic_fetch_sub(&s->http->inflight, 1);
}

static void free_body(void *p)
{
	ice__free(p);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, http_req *hr, ice_server_response *resp)
{
	struct MHD_Response *mr;
	enum MHD_Result ok;
	if (resp->body) {
		mr = MHD_create_response_from_buffer_with_free_callback(resp->body_len, resp->body, free_body);
		if (mr)
			resp->body = NULL; /* MHD owns it now */
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!mr)
		return MHD_NO;
	if (resp->body_len)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (resp->etag)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_ETAG, resp->etag);
	/* Stopping: requests that got in are answered, then their connections close. */
	if (atomic_load(&hr->s->stopping))
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
	hr->status = resp->status;
	hr->answered = true;
	ok = MHD_queue_response(conn, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	return ok;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, http_req *hr)
{
	ice_server_response resp;
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
	                 "{\"error\":{\"message\":\"the request body is larger than %zu bytes\","
	                 "\"type\":\"BadRequestException\",\"code\":413}}",
	                 hr->s->cfg->max_body);
	memset(&resp, 0, sizeof(resp));
	resp.status = 413;
	if (!(resp.body = ice__strndup(msg, (size_t)n)))
		return MHD_NO;
	resp.body_len = (size_t)n;
	enum MHD_Result ok = send_reply(conn, hr, &resp);
	ice_server_response_free(&resp);
	return ok;
}

/* A request header kept with the request (NULL when absent). */
static int copy_header(struct MHD_Connection *conn, const char *name, char **out)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	if (!v)
		return 0;
	return (*out = ice__strdup(v)) ? 0 : ICE_ERROR;
}

/* Answers a whole request into hr->resp (on any thread). */
static void handle(http_req *hr)
{
	ice_server_request rq;
	char *q = strchr(hr->uri, '?');
	memset(&rq, 0, sizeof(rq));
	memset(&hr->resp, 0, sizeof(hr->resp));
	if (q)
		*q = '\0';
	rq.method = hr->method;
	rq.path = hr->uri;
	rq.query = q ? q + 1 : NULL;
	rq.authorization = hr->authorization;
	rq.content_type = hr->content_type;
	rq.if_none_match = hr->if_none_match;
	rq.access_delegation = hr->access_delegation;
	rq.body = hr->body.ptr;
	rq.body_len = hr->body.len;
	hr->handle_rc = ice_server_handle(hr->s, &rq, &hr->resp);
	if (q)
		*q = '?';
	hr->handled = true;
}

static void *handler_main(void *arg)
{
	serve_http *h = arg;
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->head && !h->stopping) {
			h->idle++;
			pthread_cond_wait(&h->work, &h->lock);
			h->idle--;
		}
		http_req *hr = h->head;
		if (!hr)
			break; /* stopping, nothing left */
		h->head = hr->next;
		if (!h->head)
			h->tail = NULL;
		h->waiting--;
		pthread_mutex_unlock(&h->lock);
		handle(hr);
		/* the polling thread sends the answer (on_request again) */
		MHD_resume_connection(hr->conn);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/*
 * Suspends the request's connection and queues the request for a handler
 * thread, starting one when every thread is busy; nonzero (nothing done)
 * when none can run it.
 */
static int dispatch(serve_http *h, http_req *hr)
{
	pthread_mutex_lock(&h->lock);
	if (h->stopping) {
		pthread_mutex_unlock(&h->lock);
		return ICE_ERROR;
	}
	/* every idle thread will take one of those waiting: one more is needed */
	if (h->idle <= h->waiting && h->nthreads < h->max_threads) {
		if (pthread_create(&h->threads[h->nthreads], NULL, handler_main, h) == 0)
			h->nthreads++;
		else if (h->nthreads == 0) {
			pthread_mutex_unlock(&h->lock);
			return ICE_ERROR;
		}
	}
	hr->dispatched = true;
	hr->next = NULL;
	MHD_suspend_connection(hr->conn);
	if (h->tail)
		h->tail->next = hr;
	else
		h->head = hr;
	h->tail = hr;
	h->waiting++;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* Lets the handler threads finish what is queued, and joins them. */
static void handlers_stop(serve_http *h)
{
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->work);
	pthread_mutex_unlock(&h->lock);
	for (size_t i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	h->nthreads = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	ice_server *s = cls;
	http_req *hr = *con_cls;
	(void)url;
	(void)version;
	if (!hr)
		return MHD_NO; /* out of memory in on_uri */
	if (!hr->started) {
		/* The first call (headers only): refuse a declared oversized body. */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		hr->started = true;
		hr->method = ice__strdup(method);
		if (cl && strtoull(cl, NULL, 10) > s->cfg->max_body)
			return too_large(conn, hr);
		return MHD_YES;
	}
	if (hr->answered) {
		*upload_data_size = 0; /* an early 413: the rest is dropped */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!hr->too_large && ice_buf__put(&hr->body, upload_data, *upload_data_size) != 0)
			hr->too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hr->too_large)
		return too_large(conn, hr);
	if (!hr->uri || !hr->method)
		return MHD_NO;
	if (!hr->handled) {
		if (hr->dispatched)
			return MHD_YES; /* still being answered */
		if (copy_header(conn, MHD_HTTP_HEADER_AUTHORIZATION, &hr->authorization) ||
		    copy_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE, &hr->content_type) ||
		    copy_header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH, &hr->if_none_match) ||
		    copy_header(conn, "X-Iceberg-Access-Delegation", &hr->access_delegation))
			return MHD_NO;
		hr->conn = conn;
		if (dispatch(s->http, hr) == 0)
			return MHD_YES; /* answered when a handler resumes the connection */
		/* no handler thread could start: answer here */
		handle(hr);
	}
	if (hr->handle_rc)
		return MHD_NO;
	hr->principal = hr->resp.principal;
	hr->resp.principal = NULL;
	enum MHD_Result ok = send_reply(conn, hr, &hr->resp);
	ice_server_response_free(&hr->resp);
	return ok;
}

/* libmicrohttpd's own messages: its format strings, its arguments. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	ice_server *s = cls;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	serve_log(s, "http: %s", line);
}
#pragma GCC diagnostic pop

/* Binds and listens on "host:port"; the socket, or -1 after an error. */
static int bind_listen(const char *listen_addr, int *port_out)
{
	char host[256], port[16];
	const char *colon = strrchr(listen_addr, ':');
	struct addrinfo hints, *ai = NULL;
	int fd = -1, one = 1, gai;
	size_t hlen;
	if (!colon || (hlen = (size_t)(colon - listen_addr)) == 0 || hlen >= sizeof(host) || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= sizeof(port)) {
		ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: expected HOST:PORT", listen_addr);
		return -1;
	}
	memcpy(host, listen_addr, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, port, &hints, &ai)) != 0) {
		ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: %s", listen_addr, gai_strerror(gai));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 256) != 0) {
		ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "%s: cannot listen: %s", listen_addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int hand_over(int fd, void *payload)
{
	ice_server *s = payload;
	struct sockaddr_in peer;
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return MHD_add_connection(s->http->daemon, fd, (const struct sockaddr *)&peer, sizeof(peer)) == MHD_YES ? 0 : -1;
}

static void http_free(serve_http *h)
{
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->work);
	ice__free(h->threads);
	ice__free(h);
}

int serve_http_start(ice_server *s)
{
	const ice_server_config *c = s->cfg;
	serve_http *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	if (s->http)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "the server is already listening");
	if (!(h = ice__calloc(1, sizeof(*h))))
		return ICE_ERROR;
	atomic_init(&h->inflight, 0);
	h->max_threads = c->max_connections > 0 ? (size_t)c->max_connections : 1;
	if (!(h->threads = ice__calloc(h->max_threads, sizeof(pthread_t)))) {
		ice__free(h);
		return ICE_ERROR;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->work, NULL);
	if ((h->listen_fd = bind_listen(c->listen, &h->port)) < 0) {
		http_free(h);
		return ice_error__code();
	}
	s->http = h;
	if (c->tls_cert)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	/* With TLS, connections come from tls.c (MHD_add_connection). */
	struct MHD_OptionItem listen_opt[] = {
		{c->tls_cert ? MHD_OPTION_END : MHD_OPTION_LISTEN_SOCKET, h->listen_fd, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	h->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
	    on_done, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)c->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_ARRAY, listen_opt,
	    MHD_OPTION_END);
	if (!h->daemon) {
		close(h->listen_fd);
		http_free(h);
		s->http = NULL;
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "%s: the HTTP server did not start", c->listen);
	}
	if (c->tls_cert) {
		int rc = serve_tls_start(&h->tls, c->tls_cert, c->tls_key, h->listen_fd, c->max_connections, hand_over, s);
		if (rc) {
			MHD_stop_daemon(h->daemon);
			close(h->listen_fd);
			http_free(h);
			s->http = NULL;
			return rc;
		}
	}
	return 0;
}

int serve_http_port(const ice_server *s)
{
	return s->http ? s->http->port : 0;
}

void serve_http_stop(ice_server *s, int grace_ms)
{
	serve_http *h = s->http;
	if (!h)
		return;
	/* No new connections (the TLS front stops accepting too). */
	if (h->tls)
		serve_tls_stop_accepting(h->tls);
	else
		MHD_quiesce_daemon(h->daemon);
	for (int waited = 0; atomic_load(&h->inflight) > 0 && waited < grace_ms; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* Requests being answered finish (a commit lands or fails whole) and
	 * resume their connections: none is left suspended for the stop. */
	handlers_stop(h);
	MHD_stop_daemon(h->daemon);
	serve_tls_stop(h->tls);
	close(h->listen_fd);
	s->http = NULL;
	http_free(h);
}
