/*
 * tests/unit/io/http_server.c - the scripted loopback server of
 * http_server.h: one thread accepts, one thread per connection answers
 * requests in a loop (keep-alive) until the client closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"

#define MAX_IDS 64
#define MAX_CONNS 256

struct test_server {
	int fd;
	int port;
	pthread_t acceptor;
	pthread_mutex_t mu;
	volatile int stopping;
	unsigned accepts, requests;
	char last_head[8192];
	char *last_body;
	size_t last_body_len;
	struct {
		char id[64];
		int count;
	} ids[MAX_IDS];
	int nids;
	pthread_t conns[MAX_CONNS];
	int conn_fds[MAX_CONNS];
	int nconns;
};

typedef struct conn {
	test_server *s;
	int fd;
} conn;

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* How many times this id was asked for before (then counts this one). */
static int bump(test_server *s, const char *id)
{
	int seen = 0;
	pthread_mutex_lock(&s->mu);
	int i;
	for (i = 0; i < s->nids; i++)
		if (strcmp(s->ids[i].id, id) == 0)
			break;
	if (i == s->nids && s->nids < MAX_IDS) {
		snprintf(s->ids[i].id, sizeof(s->ids[i].id), "%s", id);
		s->ids[i].count = 0;
		s->nids++;
	}
	if (i < MAX_IDS)
		seen = s->ids[i].count++;
	pthread_mutex_unlock(&s->mu);
	return seen;
}

static _Thread_local bool head_request;

static int respond(int fd, int status, const char *extra_headers, const char *body, size_t len)
{
	char head[1024];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d Whatever\r\nContent-Length: %zu\r\nX-Test: yes\r\n%s\r\n",
	                 status, len, extra_headers ? extra_headers : "");
	if (send_all(fd, head, (size_t)n))
		return -1;
	return len && !head_request ? send_all(fd, body, len) : 0;
}

/* Reads one request; 0 when the client closed. */
static int read_request(int fd, char *head, size_t head_size, char **body, size_t *body_len)
{
	size_t n = 0;
	char *end = NULL;
	*body = NULL;
	*body_len = 0;
	while (!end) {
		if (n + 1 >= head_size)
			return -1;
		ssize_t r = recv(fd, head + n, 1, 0);
		if (r <= 0)
			return 0;
		n += (size_t)r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	size_t len = 0;
	for (char *line = strstr(head, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n"))
		if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
			len = strtoul(line + 17, NULL, 10);
	*body = malloc(len + 1);
	for (size_t got = 0; got < len;) {
		ssize_t r = recv(fd, *body + got, len - got, 0);
		if (r <= 0) {
			free(*body);
			*body = NULL;
			return 0;
		}
		got += (size_t)r;
	}
	(*body)[len] = '\0';
	*body_len = len;
	return 1;
}

/* Answers one request; -1 closes the connection. */
static int answer(test_server *s, int fd, const char *method, const char *path, const char *body, size_t body_len)
{
	char id[64];
	int count = 0, code = 0;
	head_request = strcmp(method, "HEAD") == 0;
	if (strncmp(path, "/ok/", 4) == 0) {
		char b[512];
		int n = snprintf(b, sizeof(b), "hello %s", path);
		return respond(fd, 200, NULL, b, (size_t)n);
	}
	if (sscanf(path, "/status/%d", &code) == 1) {
		const char *doc = "<?xml version=\"1.0\"?><Error><Code>Teapot</Code><Message>no</Message></Error>";
		return respond(fd, code, "Content-Type: application/xml\r\n", doc, strlen(doc));
	}
	if (sscanf(path, "/flaky/%63[^/]/%d/%d", id, &count, &code) == 3) {
		if (bump(s, id) < count)
			return respond(fd, code, "Retry-After: 0\r\n", "<Error><Code>SlowDown</Code></Error>", 36);
		return respond(fd, 200, NULL, "ok", 2);
	}
	if (sscanf(path, "/drop/%63[^/]/%d", id, &count) == 2) {
		if (bump(s, id) < count)
			return -1;
		return respond(fd, 200, NULL, "ok", 2);
	}
	if (sscanf(path, "/trunc/%63[^/]/%d", id, &count) == 2) {
		char b[100];
		memset(b, 'y', sizeof(b));
		if (bump(s, id) < count) {
			const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
			send_all(fd, h, strlen(h));
			send_all(fd, b, 10);
			return -1;
		}
		return respond(fd, 200, NULL, b, sizeof(b));
	}
	if (sscanf(path, "/big/%d", &count) == 1) {
		char *b = malloc((size_t)count + 1);
		memset(b, 'x', (size_t)count);
		int rc = respond(fd, 200, NULL, b, (size_t)count);
		free(b);
		return rc;
	}
	if (strcmp(path, "/echo") == 0)
		return respond(fd, 200, NULL, body, body_len);
	if (strcmp(path, "/stall") == 0) {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
		send_all(fd, h, strlen(h));
		for (int i = 0; i < 30 && !s->stopping; i++)
			sleep_ms(100);
		return -1;
	}
	if (sscanf(path, "/wait/%d", &count) == 1) {
		sleep_ms(count);
		return respond(fd, 200, NULL, "waited", 6);
	}
	return respond(fd, 404, NULL, "", 0);
}

static void *serve_conn(void *arg)
{
	conn *c = arg;
	test_server *s = c->s;
	char head[8192];
	for (;;) {
		char *body = NULL, method[16], path[2048];
		size_t body_len = 0;
		if (read_request(c->fd, head, sizeof(head), &body, &body_len) <= 0)
			break;
		pthread_mutex_lock(&s->mu);
		s->requests++;
		snprintf(s->last_head, sizeof(s->last_head), "%s", head);
		free(s->last_body);
		s->last_body = malloc(body_len + 1);
		memcpy(s->last_body, body, body_len + 1);
		s->last_body_len = body_len;
		pthread_mutex_unlock(&s->mu);
		int rc = -1;
		if (sscanf(head, "%15s %2047s", method, path) == 2) {
			char *q = strchr(path, '?');
			if (q)
				*q = '\0';
			rc = answer(s, c->fd, method, path, body, body_len);
		}
		free(body);
		if (rc)
			break;
	}
	shutdown(c->fd, SHUT_RDWR);
	free(c);
	return NULL;
}

static void *acceptor(void *arg)
{
	test_server *s = arg;
	while (!s->stopping) {
		struct pollfd p = {s->fd, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			continue;
		conn *c = malloc(sizeof(*c));
		c->s = s;
		c->fd = fd;
		pthread_mutex_lock(&s->mu);
		s->accepts++;
		if (s->nconns < MAX_CONNS && pthread_create(&s->conns[s->nconns], NULL, serve_conn, c) == 0) {
			s->conn_fds[s->nconns++] = fd;
		} else {
			close(fd);
			free(c);
		}
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

test_server *test_server_start(void)
{
	test_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s->fd, 64) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0) {
		close(s->fd);
		free(s);
		return NULL;
	}
	s->port = ntohs(a.sin_port);
	pthread_create(&s->acceptor, NULL, acceptor, s);
	return s;
}

int test_server_port(const test_server *s)
{
	return s->port;
}

unsigned test_server_accepts(test_server *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned n = s->accepts;
	pthread_mutex_unlock(&s->mu);
	return n;
}

unsigned test_server_requests(test_server *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned n = s->requests;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void test_server_last(test_server *s, char *head, size_t head_size, char *body, size_t body_size, size_t *body_len)
{
	pthread_mutex_lock(&s->mu);
	snprintf(head, head_size, "%s", s->last_head);
	*body_len = s->last_body_len;
	if (body && body_size) {
		size_t n = s->last_body_len < body_size ? s->last_body_len : body_size;
		if (s->last_body)
			memcpy(body, s->last_body, n);
	}
	pthread_mutex_unlock(&s->mu);
}

int test_server_closed_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	close(fd); /* bound, never listened: connections are refused */
	return port;
}

void test_server_stop(test_server *s)
{
	if (!s)
		return;
	s->stopping = 1;
	pthread_join(s->acceptor, NULL);
	for (int i = 0; i < s->nconns; i++) {
		shutdown(s->conn_fds[i], SHUT_RDWR);
		pthread_join(s->conns[i], NULL);
		close(s->conn_fds[i]);
	}
	close(s->fd);
	free(s->last_body);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
