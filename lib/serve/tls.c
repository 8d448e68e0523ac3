/*
 * serve/tls.c - TLS for ice serve through OpenSSL (libmicrohttpd's own TLS
 * is GnuTLS; the project's TLS is OpenSSL's).
 *
 * An accept thread takes connections from the listening socket; each gets a
 * thread that performs the TLS handshake (with a deadline, so a client that
 * stalls cannot hold a thread), then relays bytes between the TLS session and
 * one end of a socket pair whose other end is handed to the HTTP server as a
 * plain connection. The number of connections is capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"

#define HANDSHAKE_SECONDS 10
#define RELAY_BUF 16384

struct serve_tls {
	SSL_CTX *ctx;
	int listen_fd;
	int wake[2]; /* a pipe that stops the accept thread */
	int max;
	int (*hand_over)(int fd, void *payload);
	void *payload;
	pthread_t acceptor;
	pthread_mutex_t lock;
	pthread_cond_t gone;
	int active;
	int *fds; /* client sockets of live connections (max of them) */
	atomic_bool stopping;
};

typedef struct tls_conn {
	serve_tls *t;
	int fd;
	int slot;
} tls_conn;

static int openssl_error(const char *file, const char *what)
{
	char why[256] = "unknown error";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: %s: %s", file, what, why);
}

/* Writes all of `len` bytes to a plain socket. */
static bool write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void relay(SSL *ssl, int client, int plain)
{
	char *buf = ice__malloc(RELAY_BUF);
	if (!buf)
		return;
	for (;;) {
		struct pollfd p[2] = {{client, POLLIN, 0}, {plain, POLLIN, 0}};
		if (SSL_pending(ssl) == 0 && poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (SSL_pending(ssl) > 0 || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			int n = SSL_read(ssl, buf, RELAY_BUF);
			if (n <= 0) {
				int e = SSL_get_error(ssl, n);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					continue;
				break;
			}
			if (!write_all(plain, buf, (size_t)n))
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(plain, buf, RELAY_BUF, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (SSL_write(ssl, buf, (int)n) <= 0)
				break;
		}
	}
	ice__free(buf);
}

static void *serve_one(void *arg)
{
	tls_conn *c = arg;
	serve_tls *t = c->t;
	SSL *ssl = SSL_new(t->ctx);
	struct timeval tv = {HANDSHAKE_SECONDS, 0};
	int pair[2] = {-1, -1};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (ssl && SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
		struct timeval none = {0, 0};
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
		if (t->hand_over(pair[1], t->payload) == 0) {
			pair[1] = -1; /* the HTTP server owns and closes it */
			relay(ssl, c->fd, pair[0]);
		}
		SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	pthread_mutex_lock(&t->lock);
	t->fds[c->slot] = -1;
	close(c->fd);
	t->active--;
	pthread_cond_broadcast(&t->gone);
	pthread_mutex_unlock(&t->lock);
	ice__free(c);
	return NULL;
}

static void *accept_loop(void *arg)
{
	serve_tls *t = arg;
	while (!atomic_load(&t->stopping)) {
		struct pollfd p[2] = {{t->listen_fd, POLLIN, 0}, {t->wake[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		int fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		tls_conn *c = NULL;
		int slot = -1;
		pthread_mutex_lock(&t->lock);
		for (int i = 0; i < t->max && slot < 0; i++)
			if (t->fds[i] < 0)
				slot = i;
		if (slot >= 0 && (c = ice__calloc(1, sizeof(*c))) != NULL) {
			t->fds[slot] = fd;
			t->active++;
		}
		pthread_mutex_unlock(&t->lock);
		if (!c) {
			close(fd); /* at the connection limit */
			continue;
		}
		c->t = t;
		c->fd = fd;
		c->slot = slot;
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&th, &attr, serve_one, c) != 0) {
			pthread_mutex_lock(&t->lock);
			t->fds[slot] = -1;
			t->active--;
			pthread_mutex_unlock(&t->lock);
			close(fd);
			ice__free(c);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

int serve_tls_start(serve_tls **out, const char *cert, const char *key, int listen_fd, int max_connections,
                    int (*hand_over)(int fd, void *payload), void *payload)
{
	serve_tls *t;
	int rc = 0;
	*out = NULL;
	if (!(t = ice__calloc(1, sizeof(*t))) || !(t->fds = ice__calloc((size_t)max_connections, sizeof(int)))) {
		ice__free(t);
		return ICE_ERROR;
	}
	for (int i = 0; i < max_connections; i++)
		t->fds[i] = -1;
	t->listen_fd = listen_fd;
	t->max = max_connections;
	t->hand_over = hand_over;
	t->payload = payload;
	t->wake[0] = t->wake[1] = -1;
	atomic_init(&t->stopping, false);
	if (!(t->ctx = SSL_CTX_new(TLS_server_method())))
		rc = openssl_error(cert, "TLS context");
	else if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		rc = openssl_error(cert, "TLS version");
	else if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1)
		rc = openssl_error(cert, "certificate");
	else if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1)
		rc = openssl_error(key, "private key");
	else if (SSL_CTX_check_private_key(t->ctx) != 1)
		rc = openssl_error(key, "the key does not match the certificate");
	else if (pipe2(t->wake, O_CLOEXEC) != 0)
		rc = ice_error__os("tls", "pipe");
	if (!rc) {
		pthread_mutex_init(&t->lock, NULL);
		pthread_cond_init(&t->gone, NULL);
		if (pthread_create(&t->acceptor, NULL, accept_loop, t) != 0) {
			pthread_mutex_destroy(&t->lock);
			pthread_cond_destroy(&t->gone);
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "tls: cannot start a thread");
		}
	}
	if (rc) {
		if (t->wake[0] >= 0) {
			close(t->wake[0]);
			close(t->wake[1]);
		}
		SSL_CTX_free(t->ctx);
		ice__free(t->fds);
		ice__free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void serve_tls_stop_accepting(serve_tls *t)
{
	if (!t || atomic_exchange(&t->stopping, true))
		return;
	if (write(t->wake[1], "x", 1) < 0) {
		/* the accept loop also checks `stopping` */
	}
	pthread_join(t->acceptor, NULL);
}

void serve_tls_stop(serve_tls *t)
{
	if (!t)
		return;
	serve_tls_stop_accepting(t);
	/* Wake every relay (their HTTP sides are closed by now), wait for them. */
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < t->max; i++)
		if (t->fds[i] >= 0)
			shutdown(t->fds[i], SHUT_RDWR);
	while (t->active > 0)
		pthread_cond_wait(&t->gone, &t->lock);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->gone);
	close(t->wake[0]);
	close(t->wake[1]);
	SSL_CTX_free(t->ctx);
	ice__free(t->fds);
	ice__free(t);
}
